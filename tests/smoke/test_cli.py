"""`mockserver` as a user runs it: readiness line, env vars, clean failures, SIGTERM."""

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

pytestmark = pytest.mark.socket
READY = re.compile(
    r"^numbers-mock \S+ ready at (http://127\.0\.0\.1:(\d+)) .*scenario '(\S+)'\); "
    r"its credentials: GET \1/_mock/credentials\n"
)


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_port_zero_prints_one_readiness_line_and_serves() -> None:
    process = start("--port", "0", "--log-level", "warning", env={"MOCKSERVER_SEED": "5"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = READY.match(line)
        assert match, line
        health = httpx.get(f"{match.group(1)}/_mock/health", timeout=10).json()
        assert health["seed"] == 5
        assert health["scenario"] == "default"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "http"], {}, "mockserver: error: --port: 'http' is not an integer"),
        (
            [],
            {"MOCKSERVER_PORT": "70000"},
            "mockserver: error: MOCKSERVER_PORT: '70000' is not a port",
        ),
        (["--log-level", "loud"], {}, "mockserver: error: --log-level: 'loud' is not a log level"),
        (["--scenario", "/nonexistent.yaml"], {}, "mockserver: error: cannot read scenario file"),
        (["--seed"], {}, "mockserver: error: argument --seed: expected one argument"),
        (["--clock", "lunar"], {}, "mockserver: error: --clock: 'lunar' is not a clock mode"),
        (
            [],
            {"MOCKSERVER_CLOCK_START": "2026-03-01T10:00:00"},
            "mockserver: error: MOCKSERVER_CLOCK_START: '2026-03-01T10:00:00' needs a UTC offset",
        ),
        (["--journal-size", "-1"], {}, "mockserver: error: --journal-size: '-1' must be 0 (no"),
        (["--seed", "-1"], {}, "mockserver: error: --seed: '-1' is negative: a seed is 0 or"),
        ([], {"MOCKSERVER_SEED": "-7"}, "mockserver: error: MOCKSERVER_SEED: '-7' is negative"),
    ],
)
def test_bad_settings_exit_2_with_one_line(
    args: list[str], env: dict[str, str], message: str
) -> None:
    process = start(*args, env=env)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert err.startswith(message), err
    assert err.count("\n") == 1
    assert out == ""


def test_an_invalid_scenario_file_names_each_problems_line(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("name: mine\nbird: {}\nvobiz: {}\n")
    process = start("--scenario", str(scenario))
    _, err = process.communicate(timeout=20)
    assert process.returncode == 2
    first, *problems = err.splitlines()
    assert first == f"mockserver: error: {scenario}: 7 problems:", err
    assert len(problems) == 7, err
    bird = [p for p in problems if p.startswith(f"  {scenario}:2: bird: ")]
    vobiz = [p for p in problems if p.startswith(f"  {scenario}:3: vobiz: ")]
    assert len(bird) == 4, err  # currency, tenants, adHocTenants, stock
    assert len(vobiz) == 3, err


def test_a_manual_clock_starts_frozen_where_it_is_told() -> None:
    process = start(
        "--port", "0", "--log-level", "warning", "--clock", "manual",
        env={"MOCKSERVER_CLOCK_START": "2026-03-01T10:00:00Z", "MOCKSERVER_JOURNAL_SIZE": "5"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        match = READY.match(process.stdout.readline())
        assert match
        base = match.group(1)
        clock = httpx.get(f"{base}/_mock/clock", timeout=10).json()
        assert clock == {"now": "2026-03-01T10:00:00Z", "mode": "manual", "frozen": True}
        for _ in range(7):
            httpx.get(f"{base}/nowhere", timeout=10)
        journal = httpx.get(f"{base}/_mock/journal", timeout=10).json()
        assert (len(journal["entries"]), journal["recorded"]) == (5, 7)
        assert httpx.get(f"{base}/_mock/clock", timeout=10).json()["now"] == clock["now"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def test_flags_win_over_environment() -> None:
    env = {
        "MOCKSERVER_PORT": "9000",
        "MOCKSERVER_VALIDATE_RESPONSES": "false",
        "MOCKSERVER_SEED": "4",
    }
    settings = parse_settings(["--port", "9100"], env)
    assert (settings.port, settings.validate_responses, settings.seed) == (9100, False, 4)
    assert parse_settings([], {}).port == 8080
