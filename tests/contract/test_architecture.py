"""ARCHITECTURE.md's import rules hold: `lint-imports` keeps every contract in
pyproject.toml, and breaks when a rule is broken (a copy of the package with one bad
import, so the check is shown to bite)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
]


def lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with this repository's contracts, on the package under `package_parent`."""
    env = {**os.environ, "PYTHONPATH": str(package_parent), "COLUMNS": "400"}
    config = ["--config", str(ROOT / "pyproject.toml"), "--no-cache"]
    return subprocess.run(
        [*LINT, *config], cwd=package_parent, env=env, capture_output=True, text=True, check=False
    )


def test_every_import_contract_is_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: (\d+) kept, 0 broken", result.stdout), result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        (
            "providers/bird/stock.py",
            "from mockserver.providers.vobiz import models as _other",
            "A provider never imports another provider",
        ),
        (
            "control/backend.py",
            "from mockserver.providers.bird.backend import BirdBackend as _concrete",
            "The control plane and the state dump reach providers only through",
        ),
        (
            "snapshot.py",
            "from mockserver.providers.vobiz import snapshot as _codec",
            "The control plane and the state dump reach providers only through",
        ),
        (
            "domain/wallet.py",
            "from mockserver.clock import SystemClock as _wall",
            "The domain is pure",
        ),
        (
            "ui/pages.py",
            "from mockserver.providers.vobiz.backend import VobizBackend as _concrete",
            "The dashboard is a client of the control plane",
        ),
        (
            "ui/api.py",
            "from mockserver.control.backend import ControlBackend as _inside",
            "The dashboard is a client of the control plane",
        ),
        (
            "providers/vobiz/orders.py",
            "import openapi_core as _spec",
            "Only the edge (mockserver.openapi) imports openapi-core",
        ),
    ],
)
def test_a_broken_rule_fails_the_check(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    shutil.copytree(ROOT / "mockserver", tmp_path / "mockserver")
    target = tmp_path / "mockserver" / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(line.startswith(contract[:40]) for line in broken), result.stdout
