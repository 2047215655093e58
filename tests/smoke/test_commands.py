"""`mockserver scenarios`, `--scenario NAME|PATH` and its deprecated spelling `--fixtures`,
and what `--help` shows of settings that take one of a few values."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockserver.cli import parse_settings
from mockserver.resources import data_dir
from mockserver.scenario import built_in_scenarios
from mockserver.settings import CHOICES
from tests.smoke.test_cli import READY


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_scenarios_lists_each_built_in_one_with_its_description() -> None:
    result = run("scenarios")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for scenario in built_in_scenarios():
        [line] = [line for line in lines if line.split(" ", 1)[0] == scenario.name]
        assert line.split(None, 1)[1] == scenario.description
    assert [line.split(" ", 1)[0] for line in lines[:3]] == ["default", "ci-strict", "empty"]
    assert str(data_dir("fixtures")) in result.stdout  # where to copy one from
    assert result.stderr == ""


@pytest.mark.socket
def test_a_built_in_scenario_is_served_by_name_and_the_ready_line_says_so() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--scenario", "ci-strict",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = READY.match(line)
        assert match, line
        assert match.group(3) == "ci-strict"
        health = httpx.get(f"{match.group(1)}/_mock/health", timeout=10).json()
        assert health["scenario"] == "ci-strict"
        listed = httpx.get(f"{match.group(1)}/_mock/credentials", timeout=10).json()
        assert listed["scenario"] == "ci-strict"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err


def test_fixtures_still_works_and_warns() -> None:
    strict = str(data_dir("fixtures") / "ci-strict.yaml")
    for args, env, warning in (
        (["--fixtures", strict], {}, "--fixtures is deprecated: use --scenario"),
        ([], {"MOCKSERVER_FIXTURES": strict}, "MOCKSERVER_FIXTURES is deprecated: use "
         "MOCKSERVER_SCENARIO"),
    ):  # fmt: skip
        result = run("credentials", *args, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Scenario 'ci-strict'\n")
        assert result.stderr == f"mockserver: warning: {warning}\n"


def test_a_flag_wins_over_either_variable_and_both_flags_are_refused(tmp_path: Path) -> None:
    env = {"MOCKSERVER_FIXTURES": "/from/env.yaml", "MOCKSERVER_SCENARIO": "empty"}
    assert parse_settings([], {"MOCKSERVER_SCENARIO": "empty"}).scenario_source == "empty"
    # Both variables: the new spelling wins.
    assert parse_settings([], env).scenario_source == "empty"
    flag = parse_settings(["--scenario", "ci-strict"], env)
    assert flag.scenario_source == "ci-strict"
    old = parse_settings(["--fixtures", "mine.yaml"], env)
    assert old.scenario_source == Path("mine.yaml")
    result = run("--scenario", "empty", "--fixtures", "mine.yaml")
    assert result.returncode == 2
    assert "give --scenario only" in result.stderr


def test_help_shows_the_choices_of_every_setting_that_has_them() -> None:
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for name, choices in CHOICES.items():
        flag = "--" + name.replace("_", "-")
        assert re.search(rf"{flag} \[?\{{{','.join(choices)}\}}", text), (flag, choices)
    assert "--scenario NAME|PATH" in text
    assert "mockserver scenarios" in text  # the commands are named in the epilog
    assert "mockserver credentials" in text
