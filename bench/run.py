"""numbers-mock benchmark: cold start, throughput, latency and memory, beside Prism 5.

    python bench/run.py                 # the main table (10 s runs, 16 connections)
    python bench/run.py --scaling       # plus stock search at 1k/10k/100k items, buy of 1/10/25 ids
    python bench/run.py --skip-prism    # without Prism (it is skipped anyway when npx is missing)

Run it from a checkout nobody edits meanwhile (e.g. `git worktree add /tmp/bench HEAD`,
then `PYTHONPATH=/tmp/bench python /tmp/bench/bench/run.py`): every trial starts a fresh
server from the source tree.

The server runs pinned to CPU 0 and wrk (Debian package `wrk`) to CPU 1, on loopback only,
each run bounded in time. Every POST buy really buys: it takes fresh stock ids (listed up
front from the same seed and scenario) and the bench wallet never runs dry; wrk's count
of non-2xx answers is printed so a run that stopped buying is visible. Results go to
bench/out/ as JSON and to stdout as a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
ORG = "d0b85ccc-b63a-4e81-b698-c359d77d250e"
WS = "d386a801-ee8d-4aba-a7e4-78671bd3b11e"
KEY = "bench_access_key_000000000000000"
STOCK_PATH = f"/organizations/{ORG}/numbers-stock-items?countryCodes=US&limit=10"
BUY_PATH = f"/workspaces/{WS}/numbers-long-code"
SERVER_CPU, LOAD_CPU = "0", "1"


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    steal_percent: float = 0.0  # CPU time the hypervisor took from this VM during the run


@dataclass
class Result:
    server: str
    cold_start_s: float | None = None
    rss_idle_mib: float | None = None
    runs: dict[str, Load] = field(default_factory=dict)
    trials: list[dict[str, Any]] = field(default_factory=list)  # every repeat, for the record


def main() -> int:
    args = parse_args()
    need("wrk", "the Debian package wrk")
    need("taskset", "util-linux")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    results = [repeated(args, lambda: bench_mock(args, BENCH / "scenario.yaml", "numbers-mock"))]
    if not args.skip_prism and shutil.which("npx"):
        results.append(repeated(args, lambda: bench_prism(args)))
    elif not args.skip_prism:
        print("npx not found: Prism skipped", file=sys.stderr)
    scaling = run_scaling(args) if args.scaling else {}
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "duration_s": args.duration,
            "connections": args.connections,
            "repeat": args.repeat,
        },
        "default_scenario": default_scenario_start(args),
        "results": [asdict(r) for r in results],
        "scaling": scaling,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"bench-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--skip-prism", action="store_true", help="do not start Prism")
    parser.add_argument("--scaling", action="store_true", help="also measure how cost grows")
    parser.add_argument("--validator", default=None, help="MOCKSERVER_VALIDATOR for the mock")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="fresh server runs per server; the median is reported (default 3: shared "
        "machines are noisy)",
    )
    return parser.parse_args()


def repeated(args: argparse.Namespace, trial: Callable[[], Result]) -> Result:
    """Run a whole trial (fresh server: start, warm up, GET, POST) `repeat` times; keep the
    median of every figure, and every trial's figures for the record."""
    trials = [trial() for _ in range(args.repeat)]
    result = Result(trials[0].server)
    result.cold_start_s = median([t.cold_start_s or 0.0 for t in trials])
    result.rss_idle_mib = median([t.rss_idle_mib or 0.0 for t in trials])
    for name in trials[0].runs:
        loads = [t.runs[name] for t in trials]
        result.runs[name] = Load(
            median([x.requests_per_second for x in loads]),
            median([x.p50_ms for x in loads]),
            median([x.p99_ms for x in loads]),
            sum(x.requests for x in loads),
            sum(x.non_2xx for x in loads),
        )
    result.trials = [
        {
            "cold_start_s": t.cold_start_s,
            "rss_idle_mib": t.rss_idle_mib,
            "runs": {k: asdict(v) for k, v in t.runs.items()},
        }
        for t in trials
    ]
    return result


def default_scenario_start(args: argparse.Namespace) -> dict[str, float]:
    """Cold start to a healthy /_mock/health and idle RSS with the embedded default
    scenario: what `mockserver` with no arguments does (median of `repeat` starts)."""
    colds, rsses = [], []
    for _ in range(max(args.repeat, 5)):
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "mockserver",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        with started(command, dict(os.environ)) as process:
            colds.append(wait_ready(port, "/_mock/health", process))
            time.sleep(0.5)
            rsses.append(tree_rss_mib(process.pid))
    return {"cold_start_s": median(colds), "rss_idle_mib": median(rsses), "cold_start_all_s": colds}


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        sys.exit(f"bench: {tool} not found (install {package})")


# --- numbers-mock ------------------------------------------------------------------------


def bench_mock(args: argparse.Namespace, scenario: Path, name: str) -> Result:
    ids = stock_ids(scenario)
    port = free_port()
    env = {**os.environ, "MOCKSERVER_VALIDATE_RESPONSES": "true"}
    if args.validator:
        env["MOCKSERVER_VALIDATOR"] = args.validator
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "--port",
        str(port),
        "--scenario",
        str(scenario),
        "--log-level",
        "warning",
    ]
    result = Result(name)
    with started(command, env) as process:
        result.cold_start_s = wait_ready(port, "/_mock/health", process)
        time.sleep(0.5)
        result.rss_idle_mib = tree_rss_mib(process.pid)
        base = f"http://127.0.0.1:{port}"
        bought = warm_up(args, base, ids)
        result.runs["GET stock search"] = wrk_get(args, base + STOCK_PATH)
        result.runs["POST buy"] = wrk_buy(args, base + BUY_PATH, ids, 1, skip=bought)
    return result


def warm_up(args: argparse.Namespace, base: str, ids: Path) -> int:
    """Two seconds of each load before measuring: caches, allocator and (for Prism) the JIT.
    Returns how many ids the warm-up used: the ones it bought, plus one per connection for
    requests still in flight when it stopped, for the measured run to start after them."""
    wrk_get(args, base + STOCK_PATH, duration=2)
    return wrk_buy(args, base + BUY_PATH, ids, 1, duration=2).requests + args.connections


def stock_ids(scenario: Path) -> Path:
    """The bench stock's ids, from the same seed and scenario the server starts with."""
    from mockserver import Settings, create_app

    app = create_app(Settings(fixtures=scenario, seed=1))
    inventory = app.state.mock.providers[0].backend.state.inventory
    items, _ = inventory.scan([("US", "+")], lambda item: True, 10_000_000)
    path = Path(tempfile.mkstemp(prefix="bench-ids-", suffix=".txt")[1])
    path.write_text("\n".join(item.id for item in items) + "\n")
    return path


# --- Prism ------------------------------------------------------------------------------


def bench_prism(args: argparse.Namespace) -> Result:
    spec = served_bird_spec()
    port = free_port()
    command = [
        "npx",
        "--yes",
        "@stoplight/prism-cli@5",
        "mock",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        str(spec),
    ]
    result = Result("Prism 5 (mock, static examples)")
    with started(command, dict(os.environ)) as process:
        result.cold_start_s = wait_ready(port, STOCK_PATH, process, headers=auth(), timeout=120)
        time.sleep(0.5)
        result.rss_idle_mib = tree_rss_mib(process.pid)
        base = f"http://127.0.0.1:{port}"
        ids = BENCH / "out" / "prism-ids.txt"
        ids.write_text("123e4567-e89b-12d3-a456-426614174000\n")
        warm_up(args, base, ids)
        result.runs["GET stock search"] = wrk_get(args, base + STOCK_PATH)
        result.runs["POST buy"] = wrk_buy(args, base + BUY_PATH, ids, 1)
    return result


def served_bird_spec() -> Path:
    """The Bird spec exactly as the mock serves it (Prism needs a file or a URL)."""
    from mockserver.openapi.loader import load_spec
    from mockserver.resources import spec_file

    document = dict(load_spec("bird", spec_file("bird-numbers.yaml")).document)
    path = BENCH / "out" / "bird.json"
    path.write_text(json.dumps(document))
    # Prism warms up by `npx` resolving the package; a first run may download it.
    return path


# --- scaling ------------------------------------------------------------------------------


def run_scaling(args: argparse.Namespace) -> dict[str, Any]:
    template = yaml.safe_load((BENCH / "scenario.yaml").read_text())
    found: dict[str, Any] = {"stock search by stock size": {}, "buy by ids per request": {}}
    for count in (1_000, 10_000, 100_000):
        scenario = scaled(template, count)
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "mockserver",
            "--port",
            str(port),
            "--scenario",
            str(scenario),
            "--log-level",
            "warning",
        ]
        with started(command, dict(os.environ)) as process:
            wait_ready(port, "/_mock/health", process)
            load = wrk_get(args, f"http://127.0.0.1:{port}{STOCK_PATH}", duration=5)
        found["stock search by stock size"][str(count)] = asdict(load)
    scenario = BENCH / "scenario.yaml"
    ids = stock_ids(scenario)
    for per_request in (1, 10, 25):
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "mockserver",
            "--port",
            str(port),
            "--scenario",
            str(scenario),
            "--log-level",
            "warning",
        ]
        with started(command, dict(os.environ)) as process:
            wait_ready(port, "/_mock/health", process)
            load = wrk_buy(args, f"http://127.0.0.1:{port}{BUY_PATH}", ids, per_request, duration=3)
        found["buy by ids per request"][str(per_request)] = asdict(load)
    return found


def scaled(template: dict[str, Any], count: int) -> Path:
    data = json.loads(json.dumps(template))
    data["bird"]["stock"]["countries"]["US"]["local"]["count"] = count
    path = Path(tempfile.mkstemp(prefix=f"bench-{count}-", suffix=".yaml")[1])
    path.write_text(yaml.safe_dump(data))
    return path


# --- processes, load and measurements ----------------------------------------------------------


class started:
    """Start a server pinned to the server CPU; stop it (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = ["taskset", "-c", SERVER_CPU, *command]
        self.env = env

    def __enter__(self) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return self.process

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it already exited (the error that stopped the trial says why)


def wait_ready(
    port: int,
    path: str,
    process: subprocess.Popen[bytes],
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> float:
    """Seconds from the process start until `path` answers 2xx."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path, headers=headers or {})
            if 200 <= connection.getresponse().status < 300:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"not ready after {timeout} s")


def auth() -> dict[str, str]:
    return {"Authorization": f"AccessKey {KEY}"}


def wrk_get(args: argparse.Namespace, url: str, duration: int | None = None) -> Load:
    return wrk(args, [url, "-H", f"Authorization: AccessKey {KEY}"], duration)


def wrk_buy(
    args: argparse.Namespace,
    url: str,
    ids: Path,
    per_request: int,
    duration: int | None = None,
    skip: int = 0,
) -> Load:
    """POST buys of fresh ids; `skip` passes over ids an earlier run (the warm-up) bought."""
    script = ["-s", str(BENCH / "buy.lua"), url, "--", str(ids), str(per_request), KEY, str(skip)]
    return wrk(args, script, duration)


def wrk(args: argparse.Namespace, target: list[str], duration: int | None) -> Load:
    command = [
        "taskset",
        "-c",
        LOAD_CPU,
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{duration or args.duration}s",
        "--latency",
        *target,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _duration_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _duration_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(rps, p50, p99, total, int(non_2xx.group(1)) if non_2xx else 0)


def _duration_ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group(0)), re.sub(r"[\d.]+", "", text)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants (npx starts node as a child)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return round(total / 1024, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


# --- report -------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    rows = report["results"]
    lines = [
        f"Run {report['date']} on {report['machine']['cpus']} x {report['machine']['cpu']}, "
        f"Python {report['machine']['python']}; wrk -t1 -c{report['settings']['connections']} "
        f"-d{report['settings']['duration_s']}s, server on CPU {SERVER_CPU}, "
        f"wrk on CPU {LOAD_CPU}.",
        "",
        f"Medians of {report['settings']['repeat']} fresh-server trials each. Default scenario "
        f"(`mockserver`, no arguments): cold start to a healthy /_mock/health "
        f"{report['default_scenario']['cold_start_s']:.2f} s, idle RSS "
        f"{report['default_scenario']['rss_idle_mib']:.0f} MiB. The table's cold start and RSS "
        "are with the bench scenario (100,000 numbers).",
        "",
        "| server | GET req/s | GET p50 / p99 ms | POST req/s | POST p50 / p99 ms | non-2xx "
        "| CPU steal (max) | cold start | RSS idle |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        get, post = row["runs"]["GET stock search"], row["runs"]["POST buy"]
        lines.append(
            f"| {row['server']} | {get['requests_per_second']:,.0f} | {get['p50_ms']:.2f} / "
            f"{get['p99_ms']:.2f} | {post['requests_per_second']:,.0f} | {post['p50_ms']:.2f} / "
            f"{post['p99_ms']:.2f} | {get['non_2xx']} / {post['non_2xx']} | "
            f"{max(get['steal_percent'], post['steal_percent']):.0f} % | "
            f"{row['cold_start_s']:.2f} s | {row['rss_idle_mib']:.0f} MiB |"
        )
    if len(rows) > 1:
        mock, prism = rows[0]["runs"], rows[1]["runs"]
        ratio = {k: mock[k]["requests_per_second"] / prism[k]["requests_per_second"] for k in mock}
        lines.append(
            f"| ratio mock / Prism | {ratio['GET stock search']:.2f}x | | "
            f"{ratio['POST buy']:.2f}x | | | | | |"
        )
    for title, table in report.get("scaling", {}).items():
        lines += [
            "",
            f"| {title} | req/s | p50 / p99 ms | non-2xx | CPU steal |",
            "|---|---|---|---|---|",
        ]
        for key, load in table.items():
            lines.append(
                f"| {key} | {load['requests_per_second']:,.0f} | {load['p50_ms']:.2f} / "
                f"{load['p99_ms']:.2f} | {load['non_2xx']} | {load['steal_percent']:.0f} % |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
