"""Scenario files and reference data: every file loads, and errors point at the line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from mockserver import Settings, create_app
from mockserver.numbering import numbering_plans
from mockserver.resources import data_dir
from mockserver.scenario import ScenarioError, load_scenario

SCENARIOS = sorted(data_dir("fixtures").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_loads_and_serves(path: Path) -> None:
    app = create_app(Settings(fixtures=path))
    assert app.state.mock.scenario.name


def test_the_embedded_default_is_used_without_a_path() -> None:
    assert load_scenario().name == "default"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('wallet: "250.00"', 'wallet: "2x50"'),
            r"default\.yaml:\d+: bird\.tenants\[0\]\.workspaces\[0\]\.wallet",
        ),
        (("currency: EUR", "currency: XXX"), r':\d+: bird\.currency: "XXX" is not one of'),
        (("      US:\n        local:", "      ZZ:\n        local:"), "no numbering plan for ZZ"),
        (("perRegion: 20", "perRegion: many"), r"vobiz\.stock\.countries\.IN\.perRegion"),
    ],
)
def test_a_bad_scenario_names_file_line_and_setting(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    text = (data_dir("fixtures") / "default.yaml").read_text()
    assert change[0] in text
    bad = tmp_path / "default.yaml"
    bad.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(ScenarioError, match=expected):
        create_app(Settings(fixtures=bad))


def test_unreadable_and_unparsable_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nbird: [\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml:3: not valid YAML"):
        load_scenario(broken)


@pytest.mark.parametrize("code", sorted(numbering_plans()))
def test_numbering_ranges_have_one_length_per_range(code: str) -> None:
    plan = numbering_plans()[code]
    assert plan.calling_code.isdigit()
    for number_range in (*plan.ranges, *plan.testing):
        lengths = {len(prefix) + len(number_range.pattern) for prefix in number_range.prefixes}
        assert len(lengths) == 1, number_range
        assert set(number_range.pattern) <= set("XN0123456789")
        assert number_range.region is None or number_range.region in plan.regions
    assert {"local", "toll-free"} <= set(plan.types())
    # YAML 1.1 reads a bare ON (Ontario) as true: every region code is a string.
    assert all(isinstance(region, str) for region in plan.regions)


SHIPPED_YAML = [
    *sorted(data_dir("specs").glob("*.yaml")),
    *SCENARIOS,
    data_dir("fixtures") / "reference" / "numbering.yaml",
]


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: p.name)
def test_shipped_yaml_survives_the_json_cache(path: Path) -> None:
    """resources.load_shipped_yaml keeps shipped files as JSON, so that a start reads
    JSON: each must mean the same as JSON (no bare ON read as true, no dates)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert orjson.loads(orjson.dumps(data)) == data


def test_the_embedded_default_starts_without_a_yaml_parser(tmp_path: Path) -> None:
    """Specs, plans and the built-in scenarios are read from the JSON cache once it holds
    them: importing PyYAML would cost a start ~25 ms."""
    code = (
        "import sys\nfrom mockserver import create_app\ncreate_app()\nprint('yaml' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for expected in ("True", "False"):  # the first start fills the cache
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert run.stdout.strip() == expected
