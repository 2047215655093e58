"""README.md: its operations table is the one the specs generate."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

# Imported here so that pytester's in-process run, which drops the modules it imported
# first, never leaves a second copy of them behind (as tests/test_pytest_plugin.py does).
import uvicorn  # noqa: F401

from mockserver.openapi.loader import load_spec
from mockserver.resources import spec_file

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GENERATOR = ROOT / "docs" / "operations.py"
REGENERATE = ".venv/bin/python docs/operations.py"
SPECS = {"bird": "bird-numbers.yaml", "vobiz": "vobiz-numbers.yaml"}
ROW = re.compile(r"^\| `(?P<method>[A-Z]+)` \| `(?P<path>[^`]+)` \| `(?P<op>[^`]+)` \|", re.M)
INSTALLED = any(
    entry.name == "numbers_mock" and entry.value == "mockserver.pytest_plugin"
    for entry in importlib.metadata.entry_points(group="pytest11")
)
PLUGIN = [] if INSTALLED else ["-p", "mockserver.pytest_plugin"]
IDLE = ("none", "inactive")


@cache
def generator() -> ModuleType:
    """docs/operations.py, which is a script, not a package module."""
    spec = importlib.util.spec_from_file_location("docs_operations", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def readme() -> str:
    return README.read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """`## Title` -> the text up to the next `## ` heading."""
    parts = re.split(r"^## (.+)$", readme(), flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def section(title: str) -> str:
    found = sections()
    assert title in found, f"README.md has no '## {title}' section (has: {list(found)})"
    return found[title]


def fenced(text: str, language: str = "") -> list[str]:
    """The fenced code blocks of `text` in that language ("" for a bare fence)."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def generated_block() -> str:
    ops = generator()
    text = readme()
    assert text.count(ops.BEGIN) == 1, f"README.md needs one {ops.BEGIN}"
    assert text.count(ops.END) == 1, f"README.md needs one {ops.END}"
    return text[text.index(ops.BEGIN) : text.index(ops.END) + len(ops.END)]


def spec_operations() -> set[tuple[str, str, str]]:
    return {
        (op.method, op.path, op.operation_id)
        for name, filename in SPECS.items()
        for op in load_spec(name, spec_file(filename)).operations
    }


# The operations table ---------------------------------------------------------------------


def test_the_operations_table_is_the_one_the_specs_generate() -> None:
    ops = generator()
    assert ops.rewrite(readme(), ops.block()) == readme(), (
        f"README.md's operations table is stale: run `{REGENERATE}`"
    )


def test_the_operations_table_lists_every_operation_once() -> None:
    listed = [(m["method"], m["path"], m["op"]) for m in ROW.finditer(generated_block())]
    assert len(listed) == len(set(listed)), "an operation is listed twice"
    assert set(listed) == spec_operations(), f"run `{REGENERATE}`"


def test_every_link_of_the_table_opens_a_fidelity_entry() -> None:
    anchor = generator().anchor
    headings = re.findall(r"^#{1,6} (.+)$", (ROOT / "docs/fidelity.md").read_text(), flags=re.M)
    anchors = [anchor(h) for h in headings]
    assert len(anchors) == len(set(anchors)), "two headings of docs/fidelity.md share an anchor"
    links = re.findall(r"\]\(docs/fidelity\.md#([^)]+)\)", generated_block())
    assert len(links) == len(spec_operations())
    broken = [link for link in links if link not in anchors]
    assert not broken, f"links to no heading of docs/fidelity.md: {broken}"


def test_the_generator_checks_and_rewrites_a_stale_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = generator()
    stale = tmp_path / "README.md"
    fresh = readme()
    stale.write_text(fresh.replace("| `GET` |", "| `PATCH` |", 1), encoding="utf-8")
    assert ops.main(["--check", "--readme", str(stale)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert ops.main(["--readme", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == fresh
    assert ops.main(["--check", "--readme", str(stale)]) == 0


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "docs"],
        ["ruff", "format", "--check", "docs"],
        ["mypy", "docs/operations.py"],
    ],
    ids=" ".join,
)
def test_the_generator_is_lint_clean(command: list[str]) -> None:
    """tests/contract/test_lint.py covers mockserver, tests and bench; the script is held to
    the same rules."""
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
