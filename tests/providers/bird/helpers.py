"""Small helpers shared by the Bird tests: find stock, buy, read a number."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.credentials import BIRD, BIRD_WS, LONG_CODES, STOCK


async def find(client: httpx.AsyncClient, count: int = 1, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(STOCK, params={"limit": count, **filters}, headers=BIRD)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["results"]
    assert len(items) == count
    return items


async def find_some(client: httpx.AsyncClient, limit: int, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get(STOCK, params={"limit": limit, **filters}, headers=BIRD)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["results"]
    return items


async def buy_one(
    client: httpx.AsyncClient,
    headers: dict[str, str] = BIRD,
    path: str = LONG_CODES,
    back_ordered: bool = False,
    **filters: Any,
) -> dict[str, Any]:
    """Buy the first item of a search (limit 20) that is back-ordered or not, as asked:
    a back-ordered one's order starts as draft (the seed decides which are)."""
    found = await find_some(client, 20, **filters)
    item = next(i for i in found if i["backOrderRequired"] == back_ordered)
    response = await client.post(path, json={"numberStockItemIds": [item["id"]]}, headers=headers)
    assert response.status_code == 201, response.text
    number: dict[str, Any] = response.json()["results"][0]
    return number


async def number(client: httpx.AsyncClient, number_id: str) -> dict[str, Any]:
    response = await client.get(f"{LONG_CODES}/{number_id}", headers=BIRD)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def subscriptions_path(number_id: str, name: str = "") -> str:
    path = f"/workspaces/{BIRD_WS}/endpoints/{number_id}/subscriptions"
    return f"{path}/{name}" if name else path


def wallet_amount(app: Any) -> int:
    state = app.state.mock.providers[0].backend.state
    tenant = state.tenants[state.credentials[BIRD["Authorization"]]]
    workspace = tenant.workspaces[BIRD_WS]
    return int(workspace.wallet.balance.amount)
