"""README.md: its operations table is the one the specs generate, and it keeps its shape.

The shape is what a newcomer reads first: one line saying what this is, two commands to start
it and to test, a pytest example short enough to copy, every lifecycle drawn with the
default scenario's durations, the control API, every setting, what is copied and what is
invented, and how to work on the project. Each check reads the code or the data the README
describes, so the README cannot drift from them unnoticed.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# Imported here so that pytester's in-process run, which drops the modules it imported
# first, never leaves a second copy of them behind (as tests/test_pytest_plugin.py does).
import uvicorn  # noqa: F401
import yaml

from mockserver import pytest_plugin
from mockserver.openapi.loader import load_spec
from mockserver.resources import spec_file
from mockserver.settings import PARSERS, env_var

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
GENERATOR = ROOT / "docs" / "operations.py"
REGENERATE = ".venv/bin/python docs/operations.py"
SPECS = {
    "bird": "bird-numbers.yaml",
    "bird-platform": "bird-platform.yaml",
    "vobiz": "vobiz-numbers.yaml",
    "vobiz-account": "vobiz-account.yaml",
}
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


# The README's shape -----------------------------------------------------------------------


def test_the_readme_opens_with_one_line_saying_what_it_is() -> None:
    title, _, rest = readme().partition("\n\n")
    assert title == "# numbers-mock"
    first = rest.split("\n\n", 1)[0]
    assert "\n" not in first, f"the opening paragraph is not one line:\n{first}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert first.replace("**", "") == project["description"], (
        "the README's first line and pyproject's description say different things"
    )


def test_the_sections_come_in_reading_order() -> None:
    order = list(sections())
    wanted = ["Quick start", "Testing with pytest", "Supported operations", "State and time"]
    found = [title for title in order if title in wanted]
    assert found == wanted, f"sections out of order: {order}"


def test_quick_start_gives_the_command_that_serves_and_the_one_that_tests() -> None:
    [block] = fenced(section("Quick start"), "bash")
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    serve, test = commands
    assert serve.endswith(".venv/bin/mockserver"), serve
    assert test.endswith(".venv/bin/python -m pytest"), test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines(), "the README's test command is not the one CI runs (.ci/run)"


def test_the_pytest_example_is_one_short_block_using_the_plugins_fixtures() -> None:
    text = section("Testing with pytest")
    [example] = fenced(text, "python")
    code = [line for line in example.splitlines() if line.strip()]
    assert len(code) <= 10, f"the example has {len(code)} lines of code; keep it to 10"
    tests = [
        node
        for node in ast.walk(ast.parse(example))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    assert len(tests) == 1
    fixtures = [arg.arg for arg in tests[0].args.args]
    unknown = [name for name in fixtures if not hasattr(pytest_plugin, name)]
    assert not unknown, f"fixtures the plugin does not define: {unknown}"
    undocumented = [name for name in fixtures if f"`{name}`" not in text]
    assert not undocumented, f"fixtures missing from the fixture table: {undocumented}"


@pytest.mark.socket
def test_the_pytest_example_passes(pytester: pytest.Pytester) -> None:
    [example] = fenced(section("Testing with pytest"), "python")
    pytester.makepyfile(test_readme_example=example)
    pytester.runpytest_inprocess(*PLUGIN).assert_outcomes(passed=1)


def human(seconds: float) -> str:
    """A duration as the diagrams write it: 5 s, 60 s, 15 min, 1 h, 90 days."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= max(size, 120) and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def lifecycles() -> dict[str, str]:
    """The diagrams of "State and time", by the label that starts them."""
    [diagram] = fenced(section("State and time"))
    found: dict[str, str] = {}
    label = ""
    for line in diagram.splitlines():
        if line[:1].strip():
            label = re.split(r"\s{2,}", line, maxsplit=1)[0]
            found[label] = ""
        found[label] += line[len(label) :] + "\n"
    return found


def enum(spec: str, *path: str) -> list[str]:
    node: Any = yaml.safe_load(spec_file(SPECS[spec]).read_text())["components"]["schemas"]
    for key in path:
        node = node[key]
    return list(node["enum"])


def expected_lifecycles() -> Iterator[tuple[str, list[str]]]:
    """Each diagram, with the words it must hold: every status the spec can return for it and
    the default scenario's durations (fixtures/default.yaml)."""
    scenario = yaml.safe_load((ROOT / "fixtures" / "default.yaml").read_text())
    bird, vobiz = scenario["bird"], scenario["vobiz"]
    orders, whatsapp, subs = bird["orders"], bird["whatsApp"], bird["subscriptions"]
    otp = vobiz["otp"]
    yield (
        "Bird reservation",
        [
            *enum("bird", "NumberStockItemReservation", "properties", "status"),
            human(bird["reservations"]["ttlSeconds"]),
        ],
    )
    yield (
        "Bird order",
        [
            *enum("bird", "LongCodeNumberOrderStatus"),
            *(human(orders[k]) for k in ("processingAfterSeconds", "fulfilledAfterSeconds")),
            human(orders["backOrderSubmittedAfterSeconds"]),
            human(orders["backOrderFulfilledAfterSeconds"]),
        ],
    )
    yield (
        "Bird provisioning",
        [*enum("bird", "EndpointProvisioningStatus"), human(subs["deprovisioningSeconds"])],
    )
    yield (
        "Bird WhatsApp",
        [
            # The stages are the mock's (lifecycles.py); `stage` is a free string in the spec.
            *("requesting-code", "code-requested", "verifying", "verified"),
            *("retry-scheduled", "failed", "expired", "already-exists"),
            human(whatsapp["codeRequestedAfterSeconds"]),
            human(whatsapp["verifyingAfterSeconds"]),
            human(whatsapp["verifiedAfterSeconds"]),
            human(whatsapp["retryAfterSeconds"]),
            f"{whatsapp['maxAttempts']} attempts",
            f"{whatsapp['validForDays']} days",
        ],
    )
    yield (
        "Bird subscription",
        [
            # `none` and `inactive` are documented statuses the mock never gives (fidelity.md).
            *(s for s in enum("bird", "AccountingSubscriptionStatus") if s not in IDLE),
            f"{subs['periodDays']}-day",
        ],
    )
    platform = bird["platform"]
    yield (
        "Bird platform order",
        [*enum("bird-platform", "NumbersOrderStatus"), human(platform["orders"]["pendingSeconds"])],
    )
    yield (
        "Bird platform number",
        [
            *enum("bird-platform", "NumberStatus"),
            *("needs_input", "under_review", "approval_pending", "approved"),
            human(platform["ownershipRegistration"]["reviewSeconds"] / 2),
        ],
    )
    whatsapp_times = platform["whatsApp"]
    yield (
        "Bird platform WhatsApp",
        [
            # The first five of the spec's statuses, and `deleted`: the mock gives no others.
            *enum("bird-platform", "WhatsAppNumberStatus")[:5],
            "deleted",
            *(human(whatsapp_times[k]) for k in ("preparingSeconds", "signupSeconds")),
            human(whatsapp_times["connectingSeconds"]),
            f"{whatsapp_times['signupValidDays']} days",
        ],
    )
    yield (
        "Vobiz order",
        [*enum("vobiz", "OrderStatus"), human(vobiz["orders"]["completedAfterSeconds"])],
    )
    release = vobiz["release"]
    yield (
        "Vobiz number",
        [
            *enum("vobiz-account", "PhoneNumber", "properties", "status"),
            *enum("vobiz-account", "ReleaseResponse", "properties", "status"),
            f"{release['cancellableSeconds'] // 3600} h",
            human(release["quarantineSeconds"]),
        ],
    )
    yield (
        "Vobiz BYON OTP",
        [
            *enum("vobiz", "ByonVerification", "properties", "status"),
            human(otp["ttlSeconds"]),
            human(otp["resendCooldownSeconds"]),
            human(otp["lockSeconds"]),
            f"{otp['maxAttempts']} wrong codes",
        ],
    )


def word(text: str) -> str:
    """A pattern for `text` as a whole word: `active` is not found in `inactive`."""
    return rf"(?<![\w-]){re.escape(text)}(?![\w-])"


def test_state_and_time_draws_every_lifecycle_with_its_statuses_and_durations() -> None:
    drawn = lifecycles()
    missing = []
    for label, words in expected_lifecycles():
        if label not in drawn:
            missing.append(f"no diagram '{label}'")
            continue
        absent = [w for w in words if not re.search(word(w), drawn[label])]
        if absent:
            missing.append(f"{label}: {absent}")
    assert not missing, "State and time:\n" + "\n".join(missing)


def control_paths(dashboard: bool) -> list[str]:
    """The control spec's paths, those of the dashboard's pages or the others, each cut
    before its first parameter (`/_mock/rules/{ruleId}` is written `/_mock/rules/{id}`)."""
    spec = yaml.safe_load((ROOT / "specs" / "control.yaml").read_text())
    paths = []
    for path, item in spec["paths"].items():
        operations = [item[method] for method in ("get", "put", "post", "delete") if method in item]
        tags = {tag for operation in operations for tag in operation.get("tags", ())}
        if ("dashboard" in tags) == dashboard:
            paths.append(path.split("{", 1)[0])
    return paths


def test_the_control_plane_section_lists_every_path_of_its_spec() -> None:
    text = section("Control plane")
    assert "](specs/control.yaml)" in text
    missing = [path for path in control_paths(dashboard=False) if path not in text]
    assert not missing, f"the control plane section skips {missing}"


def test_the_dashboard_section_shows_a_screenshot_and_every_page() -> None:
    text = section("Dashboard")
    images = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text)
    assert images, "the Dashboard section shows no screenshot"
    assert all((ROOT / image).is_file() for image in images), images
    pages = [p for p in control_paths(dashboard=True) if not p.endswith(("/static/", "/login"))]
    missing = [page for page in pages if f"`{page}" not in text]
    assert not missing, f"the Dashboard section skips the pages {missing}"


def test_the_configuration_table_lists_every_setting_with_its_variable() -> None:
    rows = [line for line in section("Configuration").splitlines() if line.startswith("| `--")]
    listed = {re.findall(r"`([^`]+)`", row)[0]: re.findall(r"`([^`]+)`", row)[1] for row in rows}
    wanted = {"--" + name.replace("_", "-"): env_var(name) for name in PARSERS}
    assert listed == wanted


def test_the_fidelity_section_sums_up_the_ledger_and_links_it() -> None:
    text = section("Fidelity")
    assert "](docs/fidelity.md)" in text
    for kind in ("Documented", "Observed", "Invented", "Not emulated"):
        assert f"**{kind}**" in text, f"the summary has no '{kind}' item"


def test_the_development_section_says_how_to_test_lint_and_regenerate() -> None:
    text = section("Development")
    [commands] = fenced(text, "bash")
    for needed in (".venv/bin/python -m pytest", "ruff check", "ruff format", "mypy", REGENERATE):
        assert needed in commands, f"Development does not show `{needed}`"
    places = [p for p in re.findall(r"`([\w./-]+)`", text) if "/" in p and p[0] != "/"]
    assert places, "Development lists no place"
    missing = [p for p in places if not p.startswith(".venv") and not (ROOT / p).exists()]
    assert not missing, f"Development names paths that do not exist: {missing}"
