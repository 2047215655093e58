"""Tenants: the documented ones, and any other well-formed credential as its own tenant."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.resources import data_dir
from tests.conftest import START
from tests.support.credentials import BIRD, BIRD_WS, STOCK, VOBIZ_API, bird_key, vobiz_account

SHARED_WS = "22222222-2222-4222-8222-222222222222"
NUMBERS = f"/workspaces/{SHARED_WS}/numbers-long-code"


async def test_ad_hoc_bird_tenants_never_see_each_other(client: httpx.AsyncClient) -> None:
    alice, bob = bird_key("alice"), bird_key("bob")
    [item] = (await client.get(STOCK, params={"limit": 1}, headers=alice)).json()["results"]
    bought = await client.post(NUMBERS, json={"numberStockItemIds": [item["id"]]}, headers=alice)
    assert bought.status_code == 201
    number_id = bought.json()["results"][0]["id"]
    assert len((await client.get(NUMBERS, headers=alice)).json()["results"]) == 1
    assert (await client.get(NUMBERS, headers=bob)).json() == {"results": []}
    assert (await client.get(f"{NUMBERS}/{number_id}", headers=bob)).status_code == 404
    subs = f"/workspaces/{SHARED_WS}/endpoints/{number_id}/subscriptions"
    assert (await client.get(subs, headers=bob)).status_code == 404
    assert (await client.get(subs, headers=alice)).status_code == 200


async def test_a_scenario_tenant_only_has_its_declared_workspaces(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(NUMBERS, headers=BIRD)
    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": f"Workspace {SHARED_WS} not found"}
    assert (
        await client.get(f"/workspaces/{BIRD_WS}/numbers-long-code", headers=BIRD)
    ).status_code == 200


async def test_an_ad_hoc_vobiz_account_is_bound_to_its_first_token(
    client: httpx.AsyncClient,
) -> None:
    account = vobiz_account("bound001")
    channels = f"{VOBIZ_API}/channels/whatsapp"
    assert (await client.get(channels, headers=account)).status_code == 200
    stolen = {**account, "X-Auth-Token": "someone_elses_token"}
    response = await client.get(channels, headers=stolen)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.fixture
def strict_scenario(tmp_path: Path) -> Path:
    text = (data_dir("fixtures") / "default.yaml").read_text()
    text = text.replace("adHocTenants:\n    enabled: true", "adHocTenants:\n    enabled: false")
    text = text.replace("adHocAccounts:\n    enabled: true", "adHocAccounts:\n    enabled: false")
    path = tmp_path / "strict.yaml"
    path.write_text(text)
    return path


async def test_a_strict_scenario_refuses_unknown_credentials(strict_scenario: Path) -> None:
    app = create_app(Settings(fixtures=strict_scenario), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        bird = await client.get(STOCK, headers=bird_key("stranger"))
        assert bird.status_code == 401
        assert bird.json()["message"] == "The credential is not accepted by this scenario"
        vobiz = await client.get(
            f"{VOBIZ_API}/channels/whatsapp", headers=vobiz_account("strange1")
        )
        assert vobiz.status_code == 401
        assert (await client.get(STOCK, headers=BIRD)).status_code == 200
    assert app.state.mock.failures == []
