"""Vobiz availability, orders and balance through the HTTP surface."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mockserver import ManualClock
from tests.support.credentials import (
    AVAILABILITY,
    ORDERS,
    VOBIZ,
    VOBIZ_AUTH_ID,
    vobiz_account,
)
from tests.support.scenarios import default_scenario, serve, write_scenario

ORDER = {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"}


def balance_path(auth_id: str = VOBIZ_AUTH_ID, currency: str = "INR") -> str:
    return f"/api/v1/account/{auth_id}/balance/{currency}"


async def test_availability_lists_numbers_of_the_region(client: httpx.AsyncClient) -> None:
    response = await client.get(
        AVAILABILITY, params={"country": "IN", "region": "MH"}, headers=VOBIZ
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 20
    for item in items:
        assert item["e164"].startswith("+91")
        assert len(item["e164"]) == 13
        assert (item["country"], item["region"], item["currency"]) == ("IN", "MH", "INR")
        assert (item["setup_fee"], item["monthly_fee"]) == (500, 250)


async def test_a_stock_in_canada_offers_ontario_numbers(tmp_path: Path) -> None:
    # The numbering plan's Ontario is "ON", which YAML 1.1 reads as true unless quoted.
    vobiz: Any = default_scenario()["vobiz"]
    stock = vobiz["stock"]
    fees = {"USD": {"setup": "5", "monthly": "2"}}
    stock["countries"]["CA"] = {"currency": "USD", "perRegion": 2, "fees": fees}
    path = write_scenario(tmp_path, {"vobiz": {"stock": stock}})
    async with serve(path, ManualClock()) as (_, client):
        response = await client.get(
            AVAILABILITY, params={"country": "CA", "region": "ON"}, headers=VOBIZ
        )
    assert response.status_code == 200
    assert [item["region"] for item in response.json()["items"]] == ["ON", "ON"]


async def test_availability_needs_a_country_and_finds_nothing_where_none_is_offered(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get(AVAILABILITY, headers=VOBIZ)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["errors"][0]["field"] == "country"
    unknown = await client.get(AVAILABILITY, params={"country": "ZZ"}, headers=VOBIZ)
    assert unknown.status_code == 200
    assert unknown.json() == {"items": []}


async def test_an_order_in_a_country_not_offered_finds_no_numbers(
    client: httpx.AsyncClient,
) -> None:
    before = (await client.get(balance_path(), headers=VOBIZ)).json()
    refused = await client.post(ORDERS, json={**ORDER, "country_code": "ZZ"}, headers=VOBIZ)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "NUMBERS_UNAVAILABLE"
    assert (await client.get(balance_path(), headers=VOBIZ)).json() == before


async def test_an_order_debits_setup_and_monthly_and_goes_pending_to_completed(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    before = (await client.get(balance_path(), headers=VOBIZ)).json()
    response = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert response.status_code == 201
    order = response.json()
    assert order["status"] == "pending"
    assert order["failure_reason"] is None
    assert (order["setup_cost"], order["monthly_cost"], order["currency"]) == (500, 250, "INR")
    after = (await client.get(balance_path(), headers=VOBIZ)).json()
    assert after["available_balance"] == before["available_balance"] - 750
    available = await client.get(
        AVAILABILITY, params={"country": "IN", "region": "MH", "limit": 100}, headers=VOBIZ
    )
    assert order["selected_phone_number"] not in {i["e164"] for i in available.json()["items"]}
    clock.advance(timedelta(minutes=1))
    again = await client.get(f"{ORDERS}/{order['id']}", headers=VOBIZ)
    assert again.json()["status"] == "completed"
    listed = await client.get(ORDERS, params={"status": "completed"}, headers=VOBIZ)
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]


async def test_too_little_balance_is_402_and_changes_nothing(client: httpx.AsyncClient) -> None:
    account = vobiz_account("poor0001")
    for _ in range(16):  # 10000 INR of ad-hoc balance pays for 13 orders of 750
        response = await client.post(ORDERS, json=ORDER, headers=account)
        if response.status_code == 402:
            break
        assert response.status_code == 201
    body = response.json()
    assert response.status_code == 402
    assert body["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert body["error"]["details"] == {
        "required": 750,
        "available": 250,
        "currency": "INR",
        "shortfall": 500,
    }
    balance = await client.get(balance_path(account["X-Auth-ID"]), headers=account)
    assert balance.json()["balance"] == 250


async def test_cancelling_a_pending_order_refunds_it(client: httpx.AsyncClient) -> None:
    order = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
    before = (await client.get(balance_path(), headers=VOBIZ)).json()["balance"]
    cancelled = await client.post(f"{ORDERS}/{order['id']}/cancel", headers=VOBIZ)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get(balance_path(), headers=VOBIZ)).json()["balance"] == before + 750
    twice = await client.post(f"{ORDERS}/{order['id']}/cancel", headers=VOBIZ)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "ORDER_NOT_PENDING"


async def test_a_preferred_number_that_is_taken_is_409(client: httpx.AsyncClient) -> None:
    first = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
    wanted = {**ORDER, "preferred_number": first["selected_phone_number"]}
    response = await client.post(ORDERS, json=wanted, headers=vobiz_account("second01"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NUMBER_NOT_AVAILABLE"


async def test_another_accounts_balance_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get(balance_path("MA_OTHER001"), headers=VOBIZ)
    assert response.status_code == 403
    # The account API's flat body (the transactions page's rule and message).
    assert response.json() == {
        "error": "forbidden",
        "message": "Access denied: account ID mismatch",
    }


async def test_accounts_do_not_see_each_others_orders(client: httpx.AsyncClient) -> None:
    order = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
    other = vobiz_account("nosy0001")
    assert (await client.get(ORDERS, headers=other)).json() == {"items": []}
    response = await client.get(f"{ORDERS}/{order['id']}", headers=other)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ORDER_NOT_FOUND"
