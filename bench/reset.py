"""Reset, restore and dump with a large stock, and how long they hold up everyone else.

    python bench/reset.py                  # 1,000,000 US numbers (the scenario schema's maximum)
    python bench/reset.py --count 100000

Starts `mockserver` (the CLI, a real socket) on bench/scenario.yaml with the US stock
resized, buys ten numbers and places a Vobiz order (a test that touched a few numbers), then
times `POST /_mock/reset`, `GET /_mock/state?secrets=true` and `PUT /_mock/state` while a
second client pings `GET /_mock/health` every 5 ms: the longest wait of a ping is the
longest the event loop was held. Start-up time and RSS are printed too (issue 19 makes
those independent of stock size; issue 14 only asks that reset and restore are).
`PYTHONPATH=<worktree>` measures another version of the mock the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

BENCH = Path(__file__).resolve().parent
READY = re.compile(r"ready at (http://[\d.]+:\d+)")
BIRD = {"Authorization": "AccessKey bench_access_key_000000000000000"}
VOBIZ = {"X-Auth-ID": "MA_BENCH001", "X-Auth-Token": "bench_vobiz_token_000000000000"}
STOCK = "/organizations/d0b85ccc-b63a-4e81-b698-c359d77d250e/numbers-stock-items"
BUY = "/workspaces/d386a801-ee8d-4aba-a7e4-78671bd3b11e/numbers-long-code"
ORDER = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="US numbers in stock")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each operation")
    args = parser.parse_args()
    print(json.dumps(run(args.count, args.rounds), indent=2))


def run(count: int, rounds: int) -> dict[str, Any]:
    scenario = yaml.safe_load((BENCH / "scenario.yaml").read_text())
    scenario["bird"]["stock"]["countries"]["US"]["local"]["count"] = count
    path = Path(tempfile.mkstemp(prefix="bench-reset-", suffix=".yaml")[1])
    path.write_text(yaml.safe_dump(scenario))
    command = [sys.executable, "-m", "mockserver", "--scenario", str(path), "--port", "0"]
    command += ["--clock", "manual", "--log-level", "warning"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = READY.search(process.stdout.readline())
        assert ready, "no readiness line"
        report: dict[str, Any] = {
            "stock": count,
            "start_s": round(time.perf_counter() - started, 2),
            "rss_mib": rss_mib(process.pid),
        }
        report |= measure(ready.group(1), rounds)
        return report
    finally:
        process.terminate()
        process.wait(timeout=30)
        path.unlink()


def measure(url: str, rounds: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=600) as client:
        timings: dict[str, list[float]] = {"reset": [], "dump": [], "restore": []}
        probe = Probe(url)
        probe.start()
        try:
            for _ in range(rounds):
                touch(client)
                dump, seconds = timed(client.get, "/_mock/state?secrets=true")
                timings["dump"].append(seconds)
                _, seconds = timed(client.post, "/_mock/reset")
                timings["reset"].append(seconds)
                json_body = {
                    "content": dump.content,
                    "headers": {"content-type": "application/json"},
                }
                _, seconds = timed(client.put, "/_mock/state", **json_body)
                timings["restore"].append(seconds)
        finally:
            probe.stop()
        return {
            **{f"{name}_ms": ms(values) for name, values in timings.items()},
            "dump_kib": round(len(dump.content) / 1024, 1),
            "health_pings": len(probe.waits),
            "health_p50_ms": round(statistics.median(probe.waits) * 1000, 2),
            "longest_stall_ms": round(max(probe.waits) * 1000, 2),
        }


def touch(client: httpx.Client) -> None:
    """What a test does: ten Bird numbers bought, one Vobiz order placed."""
    page = client.get(STOCK, params={"countryCodes": "US", "limit": 50}, headers=BIRD).json()
    ready = [i["id"] for i in page["results"] if not i["backOrderRequired"]][:10]
    bought = client.post(BUY, json={"numberStockItemIds": ready}, headers=BIRD)
    assert bought.status_code == 201, bought.text
    placed = client.post("/api/v1/messaging/numbers/whatsapp/orders", json=ORDER, headers=VOBIZ)
    assert placed.status_code == 201, placed.text


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = call(*args, **kwargs)
    seconds = time.perf_counter() - start
    assert response.status_code < 300, response.text[:500]
    return response, seconds


def ms(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


class Probe(threading.Thread):
    """GET /_mock/health every 5 ms on its own connection; each answer's wait, recorded."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.waits: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=600) as client:
            while not self.done.is_set():
                start = time.perf_counter()
                client.get("/_mock/health")
                self.waits.append(time.perf_counter() - start)
                time.sleep(0.005)

    def stop(self) -> None:
        self.done.set()
        self.join()


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else float("nan")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
