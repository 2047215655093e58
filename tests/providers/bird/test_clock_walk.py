"""Every Bird response validates against the spec at any clock time: numbers of every kind
(WhatsApp, back-ordered, rejected, cancelled) read at every stage of their lifecycles."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mockserver import ManualClock
from tests.support.credentials import BIRD, BIRD_WS, LONG_CODES, STOCK
from tests.support.scenarios import serve, write_scenario

STEPS = [
    0,
    1,
    2.5,
    5,
    8,
    12,
    16,
    21,
    60,
    100,
    301,
    302,
    610,
    3600,
    86_400 * 29,
    86_400 * 2,
    86_400 * 61,
    86_400 * 90,
]


async def test_every_response_validates_through_every_lifecycle(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [
        {"on": "order", "outcome": "rejected", "afterSeconds": 4},
        {"on": "whatsapp", "outcome": "fail", "attempts": 2},
    ]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (app, client):
        page = await client.get(STOCK, params={"countryCodes": "US", "limit": 60}, headers=BIRD)
        items = page.json()["results"]
        chosen = [items[0]["id"]]
        chosen += [next(i["id"] for i in items if i["backOrderRequired"])]
        chosen += [i["id"] for i in items if "whatsapp" in i["capabilities"]][:3]
        chosen = list(dict.fromkeys(chosen))
        bought = await client.post(LONG_CODES, json={"numberStockItemIds": chosen}, headers=BIRD)
        ids = [n["id"] for n in bought.json()["results"]]
        cancel = f"/workspaces/{BIRD_WS}/endpoints/{ids[-1]}/subscriptions/main/cancel"
        for index, step in enumerate(STEPS):
            clock.advance(timedelta(seconds=step))
            if index == 6:
                assert (await client.post(cancel, headers=BIRD)).status_code == 200
            assert (await client.get(LONG_CODES, headers=BIRD)).status_code == 200
            for number_id in ids:
                for path in (
                    f"{LONG_CODES}/{number_id}",
                    f"/workspaces/{BIRD_WS}/endpoints/{number_id}/subscriptions",
                ):
                    response = await client.get(path, headers=BIRD)
                    assert response.status_code in (200, 404), response.text
        assert app.state.mock.failures == []
