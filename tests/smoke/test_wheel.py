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
