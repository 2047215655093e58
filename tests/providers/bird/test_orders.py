"""A purchase over time: the order, provisioning and capability statuses follow the clock;
rules reject or cancel orders, refunding them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.providers.bird.helpers import buy_one, find, number, wallet_amount
from tests.support.credentials import BIRD, LONG_CODES, STOCK
from tests.support.scenarios import serve, write_scenario


def statuses(body: dict[str, Any]) -> tuple[str, str, list[str]]:
    endpoint = body["endpoint"]
    return body["order"]["status"], endpoint["provisioningStatus"], endpoint["issues"]


async def test_an_order_goes_submitted_processing_fulfilled(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    bought = await buy_one(client, countryCodes="GB", types="local", features="voice-inbound")
    assert statuses(bought) == ("submitted", "provisioning", ["subscription-is-not-active"])
    voice = bought["endpoint"]["capabilities"][0]
    assert voice["name"] == "voice"
    assert voice["inbound"] == {"status": "inactive", "issues": ["subscription-is-not-active"]}
    clock.advance(timedelta(seconds=2))
    assert statuses(await number(client, bought["id"]))[0] == "processing"
    clock.advance(timedelta(seconds=3))
    body = await number(client, bought["id"])
    assert statuses(body) == ("fulfilled", "provisioned", [])
    assert body["endpoint"]["capabilities"][0]["inbound"] == {"status": "active", "issues": []}
    assert body["order"]["updatedAt"] == "2026-03-01T10:00:05.000Z"
    assert body["createdAt"] == "2026-03-01T10:00:00.000Z"


async def test_a_back_ordered_item_waits_as_draft_and_takes_longer(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    page = await client.get(STOCK, params={"countryCodes": "US", "limit": 99}, headers=BIRD)
    item = next(i for i in page.json()["results"] if i["backOrderRequired"])
    bought = await client.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
    number_id = bought.json()["results"][0]["id"]
    assert bought.json()["results"][0]["order"]["status"] == "draft"
    clock.advance(timedelta(minutes=5))
    assert (await number(client, number_id))["order"]["status"] == "submitted"
    clock.advance(timedelta(seconds=2))
    assert (await number(client, number_id))["order"]["status"] == "processing"
    clock.advance(timedelta(minutes=5))
    assert statuses(await number(client, number_id))[:2] == ("fulfilled", "provisioned")


async def test_a_rejected_order_is_refunded_and_its_item_restocked(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [{"on": "order", "outcome": "rejected", "afterSeconds": 3}]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (app, client):
        before = wallet_amount(app)
        bought = await buy_one(client, countryCodes="NL", types="mobile")
        bought_price = await _price(client, app, bought)
        price = bought_price
        assert wallet_amount(app) == before - price
        clock.advance(timedelta(seconds=3))
        body = await number(client, bought["id"])
        assert statuses(body) == ("rejected", "deprovisioned", ["subscription-is-not-active"])
        assert wallet_amount(app) == before
        ledger = _ledger(app)
        assert [(e.kind, e.amount.amount, e.at.second) for e in ledger[-2:]] == [
            ("debit", bought_price, 0),
            ("credit", bought_price, 3),
        ]
        restocked = await client.get(
            STOCK, params={"countryCodes": "NL", "types": "mobile", "limit": 99}, headers=BIRD
        )
        assert bought["numberString"] in {i["numberString"] for i in restocked.json()["results"]}
        # The rule was used up: the next purchase goes through.
        second = await buy_one(client, countryCodes="NL", types="mobile")
        clock.advance(timedelta(seconds=10))
        assert statuses(await number(client, second["id"]))[0] == "fulfilled"


async def test_a_rule_can_be_limited_to_a_workspace(tmp_path: Path, clock: ManualClock) -> None:
    rules = [
        {
            "on": "order",
            "outcome": "cancelled",
            "afterSeconds": 1,
            "workspaceId": "44444444-4444-4444-8444-444444444444",
        }
    ]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (_, client):
        mine = await buy_one(client, countryCodes="NL")
        clock.advance(timedelta(seconds=10))
        assert (await number(client, mine["id"]))["order"]["status"] == "fulfilled"


async def _price(client: httpx.AsyncClient, app: Starlette, bought: dict[str, Any]) -> int:
    backend = app.state.mock.providers[0].backend
    for tenant in backend.state.tenants.values():
        for workspace in tenant.workspaces.values():
            if bought["id"] in workspace.numbers:
                return int(workspace.numbers[bought["id"]].item.monthly_price.amount)
    raise AssertionError("bought number not found")


def _ledger(app: Starlette) -> list[Any]:
    backend = app.state.mock.providers[0].backend
    tenant = backend.state.tenants[backend.state.credentials[BIRD["Authorization"]]]
    return list(next(iter(tenant.workspaces.values())).wallet.entries)


async def test_list_filters_and_pages_follow_purchase_order(client: httpx.AsyncClient) -> None:
    ids = [i["id"] for i in await find(client, 3, countryCodes="US")]
    ids += [i["id"] for i in await find(client, 2, countryCodes="GB")]
    bought = await client.post(LONG_CODES, json={"numberStockItemIds": ids}, headers=BIRD)
    numbers = [n["id"] for n in bought.json()["results"]]

    async def listed(**params: Any) -> list[str]:
        response = await client.get(LONG_CODES, params=params, headers=BIRD)
        return [n["id"] for n in response.json()["results"]]

    assert await listed() == numbers
    assert await listed(reverse="true") == numbers[::-1]
    assert await listed(numberString="1") == numbers[:3]
    assert await listed(numberString="+44") == numbers[3:]
    assert await listed(countryCodes="GB") == numbers[3:]
    first = await client.get(LONG_CODES, params={"limit": 2}, headers=BIRD)
    second = await client.get(
        LONG_CODES, params={"limit": 2, "pageToken": first.json()["nextPageToken"]}, headers=BIRD
    )
    assert [n["id"] for n in first.json()["results"] + second.json()["results"]] == numbers[:4]


async def test_a_number_is_found_by_its_endpoint_id_too(client: httpx.AsyncClient) -> None:
    bought = await buy_one(client)
    body = await number(client, bought["endpointId"])
    assert body["id"] == bought["id"]
