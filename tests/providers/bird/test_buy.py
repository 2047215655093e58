"""Buying long code numbers: the wallet pays, all or nothing, in Bird's error dialect."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.credentials import BIRD, BIRD_USER, BIRD_WS, LONG_CODES, STOCK, bird_key

MISSING = "00000000-0000-4000-8000-000000000000"


async def stock_ids(client: httpx.AsyncClient, count: int, **filters: Any) -> list[str]:
    response = await client.get(STOCK, params={"limit": count, **filters}, headers=BIRD)
    ids = [item["id"] for item in response.json()["results"]]
    assert len(ids) == count
    return ids


def wallet(app: Starlette, headers: dict[str, str] = BIRD, workspace: str = BIRD_WS) -> int:
    """The workspace wallet balance in 10^-6 EUR, read from state."""
    backend = app.state.mock.providers[0].backend
    tenant = backend.state.tenants[backend.state.credentials[headers["Authorization"]]]
    return int(tenant.workspaces[workspace].wallet.balance.amount)


async def buy(
    client: httpx.AsyncClient,
    ids: list[str],
    headers: dict[str, str] = BIRD,
    path: str = LONG_CODES,
) -> httpx.Response:
    return await client.post(path, json={"numberStockItemIds": ids}, headers=headers)


async def test_buying_charges_the_monthly_price_and_returns_the_numbers(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    page = (
        await client.get(STOCK, params={"countryCodes": "GB", "limit": 20}, headers=BIRD)
    ).json()
    # Items in the local inventory: a back-ordered one's order starts as draft.
    items = [i for i in page["results"] if not i["backOrderRequired"]][:3]
    before = wallet(app)
    response = await buy(client, [i["id"] for i in items])
    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["numberString"] for r in results] == [i["numberString"] for i in items]
    for number in results:
        assert number["id"] == number["endpointId"] == number["endpoint"]["id"]
        assert number["endpoint"]["type"] == "long-code-number"
        assert number["order"]["status"] == "submitted"
    charged = sum(i["monthlyPrice"]["amount"] for i in items)
    assert wallet(app) == before - charged


async def test_sold_items_leave_the_stock_for_everyone(client: httpx.AsyncClient) -> None:
    [item_id] = await stock_ids(client, 1, countryCodes="NL")
    assert (await buy(client, [item_id])).status_code == 201
    other = bird_key("other")
    seen = await client.get(STOCK, params={"countryCodes": "NL", "limit": 99}, headers=other)
    assert item_id not in {i["id"] for i in seen.json()["results"]}
    again = await buy(
        client, [item_id], headers=other, path=f"/workspaces/{BIRD_WS}/numbers-long-code"
    )
    assert again.status_code == 422
    assert again.json()["details"] == {
        ".numberStockItemIds[0]": [f"number stock item {item_id} is no longer in stock"]
    }


async def test_insufficient_funds_is_402_and_changes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    # 250.00 EUR buys at most 31 Indian mobile numbers at 8.00; ask for 25 + 25.
    ids = await stock_ids(client, 50, countryCodes="IN", types="mobile")
    assert (await buy(client, ids[:25])).status_code == 201
    before = wallet(app)
    response = await buy(client, ids[25:])
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "InsufficientFunds"
    assert body["details"]["required"] == {
        "currencyCode": "EUR",
        "amount": 200_000_000,
        "exponent": -6,
    }
    assert body["details"]["available"]["amount"] == before
    assert wallet(app) == before
    listed = await client.get(LONG_CODES, params={"limit": 99}, headers=BIRD)
    assert len(listed.json()["results"]) == 25
    still = await client.get(
        STOCK, params={"countryCodes": "IN", "types": "mobile", "limit": 99}, headers=BIRD
    )
    assert set(ids[25:]) <= {i["id"] for i in still.json()["results"]}


async def test_an_unknown_id_is_404_naming_it_and_nothing_is_bought(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    [known] = await stock_ids(client, 1)
    before = wallet(app)
    response = await buy(client, [known, MISSING])
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NotFound"
    assert MISSING in body["message"]
    assert body["details"] == {"numberStockItemIds": [MISSING]}
    assert wallet(app) == before
    assert (await buy(client, [known])).status_code == 201


@pytest.mark.parametrize(
    ("ids", "path", "message"),
    [
        ([], ".numberStockItemIds", "value must contain at least 1 item"),
        (["not-a-uuid"], ".numberStockItemIds[0]", "value must be a valid UUID"),
        ([MISSING] * 2, ".numberStockItemIds", "value must not contain duplicate items"),
        ([MISSING] * 26, ".numberStockItemIds", "value must contain at most 25 items"),
    ],
)
async def test_invalid_id_lists_are_422_with_json_paths(
    client: httpx.AsyncClient, ids: list[str], path: str, message: str
) -> None:
    response = await buy(client, ids)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "InvalidPayload"
    assert body["message"] == "One or more fields provided in the request body are malformed"
    assert message in body["details"][path]


async def test_twenty_five_numbers_in_one_purchase(client: httpx.AsyncClient) -> None:
    ids = await stock_ids(client, 25, countryCodes="US", types="local")
    response = await buy(client, ids, headers=bird_key("bulk"))
    assert response.status_code == 201
    assert len(response.json()["results"]) == 25


async def test_a_user_must_reserve_before_buying(client: httpx.AsyncClient) -> None:
    [item_id] = await stock_ids(client, 1, countryCodes="DE")
    refused = await buy(client, [item_id], headers=BIRD_USER)
    assert refused.status_code == 422
    assert refused.json()["details"] == {
        ".numberStockItemIds[0]": [
            f"number stock item {item_id} must be reserved before a user buys it"
        ]
    }
    reserve = f"/workspaces/{BIRD_WS}/numbers-stock-items/{item_id}/reservation"
    held = await client.post(reserve, headers=BIRD_USER)
    assert held.status_code == 201
    assert held.json()["status"] == "active"
    assert (await buy(client, [item_id], headers=BIRD_USER)).status_code == 201


async def test_bought_numbers_are_listed_and_found_by_id(client: httpx.AsyncClient) -> None:
    ids = await stock_ids(client, 2, countryCodes="BR")
    bought = (await buy(client, ids)).json()["results"]
    listed = (await client.get(LONG_CODES, headers=BIRD)).json()
    assert [n["id"] for n in listed["results"]] == [n["id"] for n in bought]
    assert "nextPageToken" not in listed
    one = await client.get(f"{LONG_CODES}/{bought[1]['id']}", headers=BIRD)
    assert one.status_code == 200
    assert one.json()["numberString"] == bought[1]["numberString"]
    missing = await client.get(f"{LONG_CODES}/{MISSING}", headers=BIRD)
    assert missing.status_code == 404
    assert missing.json() == {"code": "NotFound", "message": "Long Code Number not found"}
