"""The Vobiz account API with a large stock: what its pages, purchases and releases cost.

    python bench/account.py                   # 3,000 IN numbers per region (~108,000)
    python bench/account.py --per-region 20   # the default scenario's size

In process (httpx over the ASGI app, response validation off as in server mode), on
bench/scenario.yaml with the IN stock resized: the median time of each request over
`--rounds`, for inventory pages (the first, a deep one, with `exclude`, with a substring
`search`: the one filter that walks the stock), a purchase and a release, the owned list
and the transactions after `--bought` purchases, and the provider reset after them (which
costs what changed, not the stock). Figures are printed, not asserted (DESIGN.md, Style).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from mockserver import ManualClock, Settings, create_app
from mockserver.clock import manual_from_now

BENCH = Path(__file__).resolve().parent
VOBIZ = {"X-Auth-ID": "MA_BENCH001", "X-Auth-Token": "bench_vobiz_token_000000000000"}
ACCOUNT = "/api/v1/account/MA_BENCH001"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-region", type=int, default=3000, help="IN numbers per region")
    parser.add_argument("--rounds", type=int, default=25, help="timed requests of each kind")
    parser.add_argument("--bought", type=int, default=200, help="purchases before the lists")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.per_region, args.rounds, args.bought)), indent=2))


async def run(per_region: int, rounds: int, bought: int) -> dict[str, Any]:
    scenario = yaml.safe_load((BENCH / "scenario.yaml").read_text())
    scenario["vobiz"]["stock"]["countries"]["IN"]["perRegion"] = per_region
    path = Path(tempfile.mkstemp(prefix="bench-account-", suffix=".yaml")[1])
    path.write_text(yaml.safe_dump(scenario))
    clock: ManualClock = manual_from_now()
    started = time.perf_counter()
    app = create_app(Settings(fixtures=path, validate_responses=False), clock=clock)
    built = time.perf_counter() - started
    vobiz = app.state.mock.providers[1]
    transport = httpx.ASGITransport(app=app)
    figures: dict[str, Any] = {"stock": len(vobiz.backend.state.inventory), "start_s": built}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

        async def get(url: str, **params: Any) -> Any:
            response = await http.get(url, params=params, headers=VOBIZ)
            assert response.status_code == 200, response.text
            return response.json()

        inventory = f"{ACCOUNT}/inventory/numbers"
        first = await get(inventory, country="IN", per_page=100)
        total = first["total"]
        prefix = first["items"][0]["e164"][1:6]
        pages = {
            "inventory_first_page": lambda: get(inventory, country="IN", per_page=100),
            "inventory_page_100": lambda: get(inventory, country="IN", page=100, per_page=100),
            "inventory_exclude": lambda: get(inventory, country="IN", exclude=prefix),
            "inventory_search": lambda: get(inventory, country="IN", search="4242"),
        }
        for name, request in pages.items():
            figures[name] = await timed(request, rounds)
        figures["inventory_total"] = total

        numbers = [i["e164"] for i in (await get(inventory, country="IN", per_page=100))["items"]]
        page = 2
        while len(numbers) < bought + rounds:
            found = await get(inventory, country="IN", page=page, per_page=100)
            if not found["items"]:
                raise SystemExit(f"{total} numbers in stock: fewer than --bought + --rounds")
            numbers += [i["e164"] for i in found["items"]]
            page += 1
        queue = iter(numbers)

        async def purchase() -> None:
            body = {"e164": next(queue)}
            response = await http.post(
                f"{ACCOUNT}/numbers/purchase-from-inventory", json=body, headers=VOBIZ
            )
            assert response.status_code == 200, response.text

        figures["purchase"] = await timed(purchase, rounds)
        for _ in range(bought - rounds):
            await purchase()
        owned = [n["e164"] for n in (await get(f"{ACCOUNT}/numbers", per_page=100))["items"]]
        releases = iter(owned)

        async def release() -> None:
            response = await http.delete(f"{ACCOUNT}/numbers/{next(releases)}", headers=VOBIZ)
            assert response.status_code == 200, response.text

        figures["release"] = await timed(release, rounds)
        figures["owned_list"] = await timed(lambda: get(f"{ACCOUNT}/numbers", per_page=100), rounds)
        figures["transactions"] = await timed(lambda: get(f"{ACCOUNT}/transactions"), rounds)
        figures["transactions_rows"] = (await get(f"{ACCOUNT}/transactions"))["total"]
    started = time.perf_counter()
    vobiz.reset()
    figures["provider_reset_s"] = time.perf_counter() - started
    return figures


async def timed(request: Callable[[], Awaitable[Any]], rounds: int) -> str:
    """The median and the slowest of `rounds` requests, in milliseconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await request()
        times.append((time.perf_counter() - started) * 1000)
    return f"median {statistics.median(times):.2f} ms, max {max(times):.2f} ms"


if __name__ == "__main__":
    main()
