"""One seeded source of randomness: the same seed and calls give byte-identical answers."""

from __future__ import annotations

import httpx

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import BIRD, LONG_CODES, STOCK, VOBIZ, VOBIZ_API


async def transcript(seed: int) -> list[bytes]:
    app = create_app(Settings(seed=seed), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    bodies = []
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        page = await client.get(
            STOCK, params={"countryCodes": ["US", "GB"], "limit": 5}, headers=BIRD
        )
        bodies.append(page.content)
        ids = [i["id"] for i in page.json()["results"][:2]]
        bought = await client.post(LONG_CODES, json={"numberStockItemIds": ids}, headers=BIRD)
        bodies.append(bought.content)
        bodies.append((await client.get(STOCK, params={"pageToken": "x"}, headers=BIRD)).content)
        order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "USD"}
        bodies.append(
            (
                await client.post(f"{VOBIZ_API}/numbers/whatsapp/orders", json=order, headers=VOBIZ)
            ).content
        )
        bodies.append((await client.get(f"{VOBIZ_API}/channels/whatsapp")).content)
    return bodies


async def test_the_same_seed_gives_byte_identical_responses() -> None:
    assert await transcript(7) == await transcript(7)


async def test_another_seed_gives_other_stock() -> None:
    first, second = await transcript(7), await transcript(8)
    assert first[0] != second[0]
