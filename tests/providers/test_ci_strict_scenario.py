"""The shipped ci-strict scenario behaves as its header promises."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.resources import data_dir
from tests.conftest import START

ORG = "0b7c2f3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
WS = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
BIRD = {"Authorization": "AccessKey ci_bird_access_key_000000000000"}
VOBIZ = {"X-Auth-ID": "MA_CI000001", "X-Auth-Token": "ci_vobiz_auth_token_000000000000"}
ORDERS = "/api/v1/messaging/numbers/whatsapp/orders"
ORDER = {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"}


@pytest.fixture
async def strict() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(fixtures=data_dir("fixtures") / "ci-strict.yaml"), clock=ManualClock(START)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        yield http
    assert not app.state.mock.failures


async def test_unknown_credentials_are_refused(strict: httpx.AsyncClient) -> None:
    stranger = {"Authorization": "AccessKey someone_elses_key_0000000000"}
    stock = f"/organizations/{ORG}/numbers-stock-items"
    assert (await strict.get(stock, headers=stranger)).status_code == 401
    other = {"X-Auth-ID": "MA_OTHER001", "X-Auth-Token": "other_token_0000"}
    assert (await strict.get(ORDERS, headers=other)).status_code == 401


async def test_everyone_reserves_and_the_wallet_runs_out(strict: httpx.AsyncClient) -> None:
    stock = f"/organizations/{ORG}/numbers-stock-items"
    items = (
        await strict.get(stock, params={"countryCode": "NL", "limit": 2}, headers=BIRD)
    ).json()["results"]
    buy = f"/workspaces/{WS}/numbers-long-code"
    first = {"numberStockItemIds": [items[0]["id"]]}
    assert (await strict.post(buy, json=first, headers=BIRD)).status_code == 422  # unreserved
    for item in items:
        reserve = f"/workspaces/{WS}/numbers-stock-items/{item['id']}/reservation"
        assert (await strict.post(reserve, headers=BIRD)).status_code in (200, 201)
    assert (await strict.post(buy, json=first, headers=BIRD)).status_code == 201
    second = {"numberStockItemIds": [items[1]["id"]]}
    assert (await strict.post(buy, json=second, headers=BIRD)).status_code == 402  # 3.50 left

    assert (await strict.post(ORDERS, json=ORDER, headers=VOBIZ)).status_code == 201
    short = await strict.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert (short.status_code, short.json()["error"]["code"]) == (402, "INSUFFICIENT_BALANCE")
