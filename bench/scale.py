"""How numbers-mock's cost grows with its stock (issue 19): 1k, 100k, 1M and 10M numbers.

    python bench/scale.py                      # every size
    python bench/scale.py --sizes 1k,100k      # some sizes
    python bench/scale.py --duration 2         # shorter wrk runs (default 5 s)

For each size, bench/scenario.yaml with its Bird stock resized goes to a temporary file:
up to 1M, the US local count is the size; past it, the size is spread over countries and
types, 1M each at most (the scenario schema's limit a country and type), US local first, then
the types with the most numbers in fixtures/reference/numbering.yaml's plans. `mockserver`
starts on it (seed 1, pinned to CPU 0 like bench/run.py's servers), and this measures:

- start-up: from the process start to the first 200 of GET /_mock/health;
- RSS idle: the server's resident memory half a second later;
- stock search: wrk (CPU 1) on bench/run.py's limit-5 US search, after a 1 s warm-up, then
  the same search with a prefix filter (New York's 212): req/s, p50, p99;
- reset: `POST /_mock/reset` timed after a test that touched a few numbers (bench/reset.py's:
  ten Bird numbers bought, one Vobiz order placed), median and max of --resets rounds.

A size the scenario schema refuses (the mock exits with its message) is reported as refused;
one that passes --max-rss-mib while it starts, or does not start within --start-timeout, is
stopped and reported, so that a stock the mock cannot hold cheaply yet does not take the
machine down. Results go to bench/out/scale-*.json and to stdout as a Markdown table.
`PYTHONPATH=<checkout>` chooses the mock measured, as for bench/run.py.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench import run
from bench.reset import ms, timed, touch

SIZES = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
NUMBERING = run.ROOT / "fixtures" / "reference" / "numbering.yaml"
PREFIX_PATH = run.STOCK_PATH + "&prefix=212"
# A country and type stocked with 1M numbers must have many more to draw them from, or the
# seeding spends its time redrawing numbers already taken.
ROOM = 10


def main() -> int:
    args = parse_args()
    run.need("wrk", "the Debian package wrk")
    run.need("taskset", "util-linux")
    run.compile_source()
    rows = [measure(args, label) for label in args.sizes]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": run.machine(),
        "settings": {
            "duration_s": args.duration,
            "connections": args.connections,
            "resets": args.resets,
            "max_rss_mib": args.max_rss_mib,
            "start_timeout_s": args.start_timeout,
        },
        "sizes": rows,
    }
    run.write_report("scale", report, markdown(report))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=list(SIZES),
        help=f"stock sizes, comma-separated, of {', '.join(SIZES)} (default: all)",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--resets", type=int, default=3, help="timed resets a size (default 3)")
    parser.add_argument(
        "--max-rss-mib",
        type=float,
        default=4096,
        help="stop a server that passes this much memory while it starts (default 4096)",
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=300,
        help="seconds a server has to become healthy (default 300)",
    )
    return parser.parse_args()


def sizes(raw: str) -> list[str]:
    chosen = [label.strip() for label in raw.split(",") if label.strip()]
    unknown = [label for label in chosen if label not in SIZES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"sizes are among {', '.join(SIZES)}")
    return chosen


def measure(args: argparse.Namespace, label: str) -> dict[str, Any]:
    count = SIZES[label]
    scenario, buckets = stock_scenario(count)
    row: dict[str, Any] = {"size": label, "stock": count, "buckets": buckets}
    print(f"scale: {label} ({count:,} numbers in {len(buckets)} country and type)", flush=True)
    port = run.free_port()
    command = [*run.mock_command(port, scenario), "--seed", "1"]
    try:
        with run.started(command, dict(os.environ)) as server:
            row["start_s"] = run.wait_ready(
                port,
                "/_mock/health",
                server,
                timeout=args.start_timeout,
                max_rss_mib=args.max_rss_mib,
            )
            time.sleep(0.5)
            row["rss_idle_mib"] = run.tree_rss_mib(server.pid)
            base = f"http://127.0.0.1:{port}"
            run.wrk_get(args, base + run.STOCK_PATH, duration=1)  # warm-up
            row["search"] = asdict(run.wrk_get(args, base + run.STOCK_PATH))
            row["prefix_search"] = asdict(run.wrk_get(args, base + PREFIX_PATH))
            row |= resets(base, args.resets)
            row["rss_end_mib"] = run.tree_rss_mib(server.pid)
    except run.ServerExited as exc:
        refused = exc.returncode == 2 and "mockserver: error:" in exc.output
        lines = exc.output.strip().splitlines()
        row["error"] = ("refused by the scenario schema: " if refused else "exited: ") + (
            " ".join(lines[-3:]) if lines else f"status {exc.returncode}"
        )
    except RuntimeError as exc:  # run.TooLarge, or not ready in time
        row["error"] = f"stopped: {exc}"
    finally:
        scenario.unlink(missing_ok=True)
    if "error" in row:
        print(f"scale: {label}: {row['error']}", flush=True)
    return row


def resets(base: str, rounds: int) -> dict[str, Any]:
    """A test's worth of changes, then a full reset, `rounds` times; and how many numbers a
    prefix search finds (the same page each time: the reset puts them back)."""
    with httpx.Client(base_url=base, timeout=600) as client:
        found = client.get(PREFIX_PATH, headers=run.auth()).json()
        waits = []
        for _ in range(rounds):
            touch(client)
            _, seconds = timed(client.post, "/_mock/reset")
            waits.append(seconds)
    return {"prefix_matches": len(found.get("results", [])), "reset_ms": ms(waits)}


# --- the stock --------------------------------------------------------------------------


def stock_scenario(count: int) -> tuple[Path, dict[str, int]]:
    """bench/scenario.yaml with `count` Bird numbers, in a temporary file; and how many of
    them each country and type has."""
    template = yaml.safe_load((run.BENCH / "scenario.yaml").read_text())
    if count <= run.STOCK_MAX:
        return run.scaled(template, count), {"US local": count}
    us_local = template["bird"]["stock"]["countries"]["US"]["local"]
    countries: dict[str, dict[str, Any]] = {}
    for (country, kind), share in spread(count).items():
        like = us_local if (country, kind) == ("US", "local") else {}
        countries.setdefault(country, {})[kind] = {
            "monthlyPrice": like.get("monthlyPrice", "1.00"),
            "features": like.get("features", ["voice", "sms"]),
            **({"whatsappRate": like["whatsappRate"]} if "whatsappRate" in like else {}),
            "count": share,
        }
    template["bird"]["stock"]["countries"] = countries
    buckets = {f"{c} {k}": v["count"] for c, kinds in countries.items() for k, v in kinds.items()}
    return run.scenario_file(template, f"bench-scale-{count}-"), buckets


def spread(count: int) -> dict[tuple[str, str], int]:
    """`count` numbers, STOCK_MAX at most a country and type: US local first (the searched
    stock), then the types whose numbering plans hold the most numbers."""
    room = capacities()
    order = [("US", "local")] + sorted(
        (bucket for bucket in room if bucket != ("US", "local")),
        key=lambda bucket: (-room[bucket], bucket),
    )
    shares: dict[tuple[str, str], int] = {}
    left = count
    for bucket in order:
        if left == 0:
            break
        if room[bucket] >= ROOM * run.STOCK_MAX:
            shares[bucket] = min(run.STOCK_MAX, left)
            left -= shares[bucket]
    if left:
        raise SystemExit(f"scale: the numbering plans cannot hold {count:,} numbers")
    return shares


def capacities() -> Counter[tuple[str, str]]:
    """How many numbers each country's plan has of each type (numbering.yaml: a range is
    prefixes x a pattern, X any digit, N 2-9, other characters fixed)."""
    plans = yaml.safe_load(NUMBERING.read_text())["countries"]
    room: Counter[tuple[str, str]] = Counter()
    for country, plan in plans.items():
        for numbers in plan["ranges"]:
            per_prefix = math.prod({"X": 10, "N": 8}.get(ch, 1) for ch in numbers["pattern"])
            room[(country, numbers.get("type", "local"))] += per_prefix * len(numbers["prefixes"])
    return room


# --- report -----------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    machine, settings = report["machine"], report["settings"]
    lines = [
        f"Run {report['date']} on {machine['cpus']} x {machine['cpu']}, Python "
        f"{machine['python']}; the mock on CPU {run.SERVER_CPU}, wrk -t1 "
        f"-c{settings['connections']} -d{settings['duration_s']}s on CPU {run.LOAD_CPU}; "
        f"resets: median / max of {settings['resets']}.",
        "",
        "| stock | start-up to healthy | RSS idle | search req/s | search p50 / p99 ms "
        "| prefix search p50 / p99 ms | reset ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in report["sizes"]:
        stock = f"{row['stock']:,}" + (
            f" ({len(row['buckets'])} countries and types)" if len(row["buckets"]) > 1 else ""
        )
        if "error" in row:
            reason = row["error"].replace("|", "\\|")
            lines.append(f"| {stock} | {reason} |" + " |" * 5)
            continue
        search, prefix = row["search"], row["prefix_search"]
        lines.append(
            f"| {stock} | {row['start_s']:.2f} s | {row['rss_idle_mib']:,.0f} MiB | "
            f"{search['requests_per_second']:,.0f} | "
            f"{search['p50_ms']:.2f} / {search['p99_ms']:.2f} | "
            f"{prefix['p50_ms']:.2f} / {prefix['p99_ms']:.2f} | "
            f"{row['reset_ms']['median']:.1f} / {row['reset_ms']['max']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
