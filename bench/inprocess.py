"""Per-request cost of the mock without the network: call the ASGI app directly.

    python bench/inprocess.py [--profile] [--requests 5000] [--log-format json]

Useful to see where the time goes inside the process (the edge, validation, the
handler, encoding); bench/run.py measures the whole server over loopback. With
--log-format, logging is configured as the CLI configures it at info level (one access line
a request, mockserver/logs.py), written to /dev/null: the cost of the access log.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging.config
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from mockserver import Settings, create_app
from mockserver.logs import logging_config
from mockserver.serving import keep_gc_pauses_short

ROOT = Path(__file__).resolve().parents[1]
KEY = b"AccessKey bench_access_key_000000000000000"
STOCK = "/organizations/d0b85ccc-b63a-4e81-b698-c359d77d250e/numbers-stock-items"
BUY = "/workspaces/d386a801-ee8d-4aba-a7e4-78671bd3b11e/numbers-long-code"
# Bird's platform API (the official SDK's): the same stock, a key bench/scenario.yaml lists.
PLATFORM_KEY = b"Bearer bk_eu1_bench_platform_key_0000000"
AVAILABLE = "/v1/numbers/available"
ORDERS = "/v1/numbers/orders"
LOADS = ("get", "post", "platform-get", "platform-post", "buy25")
# Ids a buy25 request buys at once (bench/run.py --scaling: buy of 1/10/25 ids).
BATCH = 25


def scope(
    method: str, path: str, query: bytes = b"", body: bool = False, key: bytes = KEY
) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"authorization", key)]
    if body:
        headers.append((b"content-type", b"application/json"))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }


async def run(
    app: Any, requests: int, ids: list[str], numbers: list[str], only: str = "", limit: int = 10
) -> dict[str, float]:
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    def receiver(body: bytes) -> Any:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        return receive

    results = {}
    if only in ("", "get"):
        get = scope("GET", STOCK, b"countryCodes=US&limit=%d" % limit)
        start = time.perf_counter()
        for _ in range(requests):
            await app(get, receiver(b""), send)
        results["GET stock search"] = (time.perf_counter() - start) / requests * 1e6
    if only in ("", "post"):
        post = scope("POST", BUY, body=True)
        start = time.perf_counter()
        for index in range(requests):
            body = b'{"numberStockItemIds":["' + ids[index].encode() + b'"]}'
            await app(post, receiver(body), send)
        results["POST buy"] = (time.perf_counter() - start) / requests * 1e6
    if only == "buy25":  # not in the default run: it takes 25 fresh ids a request
        post = scope("POST", BUY, body=True)
        start = time.perf_counter()
        for index in range(requests):
            batch = ids[index * BATCH : (index + 1) * BATCH]
            body = b'{"numberStockItemIds":["' + '","'.join(batch).encode() + b'"]}'
            await app(post, receiver(body), send)
        results[f"POST buy of {BATCH}"] = (time.perf_counter() - start) / requests * 1e6
    if only in ("", "platform-get"):
        search = scope("GET", AVAILABLE, b"country_code=US&limit=10", key=PLATFORM_KEY)
        start = time.perf_counter()
        for _ in range(requests):
            await app(search, receiver(b""), send)
        results["GET platform available numbers"] = (time.perf_counter() - start) / requests * 1e6
    if only in ("", "platform-post"):
        order = scope("POST", ORDERS, body=True, key=PLATFORM_KEY)
        start = time.perf_counter()
        for number in numbers[:requests]:  # a fresh number each: a real order, paid
            await app(order, receiver(b'{"number":"' + number.encode() + b'"}'), send)
        results["POST platform order"] = (time.perf_counter() - start) / requests * 1e6
    bad = [s for s in statuses if s >= 300]
    assert not bad, f"{len(bad)} failed requests, e.g. {bad[:3]}"
    return results


def scenario(stock: int) -> Path:
    """The bench scenario, with another US stock size if asked (smaller starts faster)."""
    path = ROOT / "bench" / "scenario.yaml"
    if not stock:
        return path
    data = yaml.safe_load(path.read_text())
    data["bird"]["stock"]["countries"]["US"]["local"]["count"] = stock
    smaller = Path(tempfile.mkstemp(prefix=f"bench-{stock}-", suffix=".yaml")[1])
    smaller.write_text(yaml.safe_dump(data))
    return smaller


def log_to_devnull(settings: Settings) -> None:
    """The CLI's logging configuration, its streams swapped for /dev/null."""
    config = logging_config(settings)
    for handler in config["handlers"].values():
        handler.pop("stream")
        handler.update({"class": "logging.FileHandler", "filename": os.devnull})
    logging.config.dictConfig(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--validator", default="compiled")
    parser.add_argument("--only", choices=LOADS, default="", help="one load only")
    parser.add_argument("--stock", type=int, default=0, help="US stock size (default: 100,000)")
    parser.add_argument(
        "--limit", type=int, default=10, help="page size of the GET search (bench/run.py's is 5)"
    )
    parser.add_argument("--log-format", choices=("text", "json"), help="log as the CLI does")
    parser.add_argument(
        "--prepare-for",
        type=int,
        default=0,
        help="list fresh stock for this many requests whatever --requests is (instructions.py:"
        " its two runs then prepare alike, and listing a computed stock is not counted as a "
        "request's cost)",
    )
    args = parser.parse_args()
    if args.log_format:
        log_to_devnull(Settings(log_format=args.log_format))
    app = create_app(Settings(fixtures=scenario(args.stock), validator=args.validator))
    inventory = app.state.mock.providers[0].backend.state.inventory
    # Disjoint fresh stock for the two writes: api.bird.com buys the first, the platform
    # orders the next (a number bought on one is off sale on the other).
    prepared = max(args.requests, args.prepare_for)
    wanted = prepared * (BATCH if args.only == "buy25" else 1)
    items = inventory.scan([("US", "+")], lambda i: not i.testing, wanted + prepared)[0]
    ids = [i.id for i in items[:wanted]]
    numbers = [i.number for i in items[wanted:]]
    # The garbage collector as the server runs it (mockserver.cli): with the start-up heap
    # in full collections, the few of them a run happens to hit would swing its count.
    keep_gc_pauses_short()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    results = asyncio.run(run(app, args.requests, ids, numbers, args.only, args.limit))
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    for name, micros in results.items():
        print(f"{name}: {micros:.0f} us per request ({1e6 / micros:,.0f} req/s in-process)")


if __name__ == "__main__":
    main()
