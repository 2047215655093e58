"""A non-editable install of the wheel, run from another directory, serves: the specs,
fixtures and the dashboard's templates and static files ship inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
PROBE = """
import asyncio, httpx, mockserver
assert mockserver.__file__.startswith(TARGET), mockserver.__file__
app = mockserver.create_app()
async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        headers = {"Authorization": "AccessKey somebody_else_key"}
        response = await client.get("/organizations/o/numbers-stock-items", headers=headers)
        print(response.status_code)
        for page in ("/_mock/ui/", "/_mock/ui/static/dashboard.js"):
            print((await client.get(page)).status_code)
asyncio.run(main())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("numbers_mock-*.whl")
    return built


def test_the_wheel_carries_specs_and_fixtures(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "mockserver/specs/bird-numbers.yaml",
        "mockserver/specs/vobiz-numbers.yaml",
        "mockserver/specs/vobiz-account.yaml",
        "mockserver/fixtures/default.yaml",
        "mockserver/fixtures/scenario.schema.json",
        "mockserver/fixtures/reference/numbering.yaml",
        "mockserver/ui/templates/base.html",
        "mockserver/ui/static/dashboard.js",
        "mockserver/ui/static/dashboard.css",
    } <= names


def test_the_installed_wheel_serves_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = PROBE.replace("TARGET", repr(str(target)))
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # 'o' is not a UUID: served and validated; the dashboard renders from the installed files.
    assert result.stdout.split() == ["422", "200", "200"]


# A downstream project's own test, using the plugin as its README shows.
DOWNSTREAM_TEST = """
import sys

import httpx

def test_a_vobiz_order_completes(numbers_mock_inprocess):
    mock = numbers_mock_inprocess
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    path = "/api/v1/messaging/numbers/whatsapp/orders"
    placed = mock.client.post(path, json=order, headers=mock.tenant.vobiz_headers)
    assert placed.status_code == 201, placed.text
    mock.control.advance(30)
    got = mock.client.get(f"{path}/{placed.json()['id']}", headers=mock.tenant.vobiz_headers)
    assert got.json()["status"] == "completed"
    loaded = sorted({name.split(".")[0] for name in sys.modules})
    print("LOADED", " ".join(loaded))
"""
PYTEST_PLUGINS = (
    "import importlib.metadata as m; "
    "print(*sorted(e.name for e in m.entry_points(group='pytest11')))"
)
# This project's own test tools: none is what a downstream project gets with [pytest].
DEV_ONLY = ("schemathesis", "hypothesis", "mypy", "ruff", "playwright", "import_linter", "faker")


def test_the_pytest_extra_installs_the_plugin_without_the_dev_tools(
    wheel: Path, tmp_path: Path
) -> None:
    """A fresh virtualenv, as a downstream project has: the wheel with `[pytest]` and pytest,
    from the index and cache this machine's pip uses. Its pytest run loads the plugin by
    its entry point and never imports schemathesis (which is not even installed)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", f"{wheel}[pytest]", "pytest"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    project = tmp_path / "downstream"
    project.mkdir()
    (project / "test_downstream.py").write_text(DOWNSTREAM_TEST)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    [line] = [line for line in result.stdout.splitlines() if line.startswith("LOADED ")]
    loaded = set(line.split()[1:])
    assert {"mockserver", "httpx"} <= loaded
    assert not loaded & set(DEV_ONLY), loaded & set(DEV_ONLY)
    # The pytest plugins every run of that project loads: the mock's and anyio's (httpx's
    # dependency): no schemathesis, hypothesis or Faker (a dev dependency since issue 19).
    entry_points = subprocess.run(
        [python, "-c", PYTEST_PLUGINS], capture_output=True, text=True, check=True
    )
    assert entry_points.stdout.split() == ["anyio", "numbers_mock"], entry_points.stdout
    for tool in DEV_ONLY:
        found = subprocess.run(
            [python, "-c", f"import importlib.util as u; print(u.find_spec({tool!r}) is None)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert found.stdout.strip() == "True", f"{tool} is installed by [pytest]"
