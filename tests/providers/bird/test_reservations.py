"""Reserving stock items: holds that hide an item from others until released or lapsed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from mockserver import ManualClock
from tests.providers.bird.helpers import find
from tests.support.credentials import BIRD, BIRD_USER, BIRD_WS, LONG_CODES, STOCK, bird_key
from tests.support.scenarios import serve, write_scenario

OTHER = bird_key("rival")
OTHER_WS = "33333333-3333-4333-8333-333333333333"


def reservation(item_id: str, workspace: str = BIRD_WS) -> str:
    return f"/workspaces/{workspace}/numbers-stock-items/{item_id}/reservation"


async def visible_to_other(client: httpx.AsyncClient, item_id: str) -> bool:
    page = await client.get(STOCK, params={"countryCodes": "NL", "limit": 99}, headers=OTHER)
    return item_id in {i["id"] for i in page.json()["results"]}


async def test_a_reservation_hides_the_item_from_others_until_it_lapses(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    [item] = await find(client, countryCodes="NL")
    held = await client.post(reservation(item["id"]), headers=BIRD)
    assert held.status_code == 201
    body = held.json()
    assert body["status"] == "active"
    assert body["numberString"] == item["numberString"]
    assert body["expiresAt"] == "2026-03-01T10:15:00.000Z"
    assert not await visible_to_other(client, item["id"])
    taken = await client.post(reservation(item["id"], OTHER_WS), headers=OTHER)
    assert taken.status_code == 409
    assert item["id"] in taken.json()["message"]
    bought = await client.post(
        f"/workspaces/{OTHER_WS}/numbers-long-code",
        json={"numberStockItemIds": [item["id"]]},
        headers=OTHER,
    )
    assert bought.status_code == 422
    assert item["id"] in bought.json()["details"][".numberStockItemIds[0]"][0]
    clock.advance(timedelta(minutes=15))
    assert await visible_to_other(client, item["id"])
    assert (await client.post(reservation(item["id"], OTHER_WS), headers=OTHER)).status_code == 201


async def test_reserving_again_renews_and_release_frees(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    [item] = await find(client, countryCodes="NL")
    await client.post(reservation(item["id"]), headers=BIRD)
    clock.advance(timedelta(minutes=10))
    renewed = await client.post(reservation(item["id"]), headers=BIRD)
    assert renewed.json()["expiresAt"] == "2026-03-01T10:25:00.000Z"
    clock.advance(timedelta(minutes=10))
    assert not await visible_to_other(client, item["id"])
    assert (await client.delete(reservation(item["id"]), headers=BIRD)).status_code == 204
    assert await visible_to_other(client, item["id"])
    again = await client.delete(reservation(item["id"]), headers=BIRD)
    assert again.status_code == 404


async def test_only_the_holder_can_release(client: httpx.AsyncClient) -> None:
    [item] = await find(client, countryCodes="NL")
    await client.post(reservation(item["id"]), headers=BIRD)
    response = await client.delete(reservation(item["id"], OTHER_WS), headers=OTHER)
    assert response.status_code == 404
    assert not await visible_to_other(client, item["id"])


async def test_buying_consumes_the_reservation(client: httpx.AsyncClient) -> None:
    [item] = await find(client, countryCodes="DE")
    await client.post(reservation(item["id"]), headers=BIRD_USER)
    bought = await client.post(
        LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD_USER
    )
    assert bought.status_code == 201
    assert (await client.delete(reservation(item["id"]), headers=BIRD)).status_code == 404
    assert (await client.post(reservation(item["id"]), headers=BIRD)).status_code == 409


async def test_unknown_items_are_404_and_sold_ones_409(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await client.post(reservation(missing), headers=BIRD)).status_code == 404
    [item] = await find(client, countryCodes="DE")
    await client.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
    sold = await client.post(reservation(item["id"], OTHER_WS), headers=OTHER)
    assert sold.status_code == 409
    assert sold.json()["message"] == f"Number stock item {item['id']} is no longer in stock"


async def test_a_strict_scenario_makes_access_keys_reserve_too(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = write_scenario(tmp_path, {"bird": {"reservations": {"requiredFor": "everyone"}}})
    async with serve(path, clock) as (_, client):
        [item] = await find(client, countryCodes="DE")
        refused = await client.post(
            LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD
        )
        assert refused.status_code == 422
        assert refused.json()["details"] == {
            ".numberStockItemIds[0]": [
                f"number stock item {item['id']} must be reserved before it is bought"
            ]
        }
        await client.post(reservation(item["id"]), headers=BIRD)
        ok = await client.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
        assert ok.status_code == 201


async def test_the_reservation_ttl_comes_from_the_scenario(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = write_scenario(tmp_path, {"bird": {"reservations": {"ttlSeconds": 60}}})
    async with serve(path, clock) as (_, client):
        [item] = await find(client, countryCodes="DE")
        held = await client.post(reservation(item["id"]), headers=BIRD)
        assert held.json()["expiresAt"] == "2026-03-01T10:01:00.000Z"
