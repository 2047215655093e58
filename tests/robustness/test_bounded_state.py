"""A long-lived sidecar keeps nothing for a test once the test is reset or gone.

The soak (bench/soak.py) found four things that grew with every test on a mock that runs
for hours: ad-hoc Bird tenants, rate-limit windows of past seconds, and the OTP oracle's
codes of reset accounts. Each is pinned here at the structure that held it.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.support.credentials import (
    STOCK,
    VERIFY,
    bird_key,
    vobiz_account,
)

WORKSPACE = "33333333-3333-4333-8333-333333333333"


def bird_tenants(app: Starlette) -> int:
    return len(app.state.mock.providers[0].backend.state.tenants)


async def test_an_ad_hoc_bird_tenant_lives_only_while_it_owns_a_workspace(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    before = bird_tenants(app)
    searcher = bird_key("only-searches")
    assert (await client.get(STOCK, params={"limit": 1}, headers=searcher)).status_code == 200
    assert bird_tenants(app) == before  # a search owns nothing

    buyer = bird_key("buys-then-resets")
    numbers = f"/workspaces/{WORKSPACE}/numbers-long-code"
    [item] = (await client.get(STOCK, params={"limit": 1}, headers=buyer)).json()["results"]
    bought = await client.post(numbers, json={"numberStockItemIds": [item["id"]]}, headers=buyer)
    assert bought.status_code == 201
    assert bird_tenants(app) == before + 1

    reset = await client.post("/_mock/reset", json={"provider": "bird", "tenant": WORKSPACE})
    assert reset.status_code == 200
    assert bird_tenants(app) == before
    # The credential still works, as a new tenant with an empty workspace.
    assert (await client.get(numbers, headers=buyer)).json() == {"results": []}


async def test_a_rate_limit_keeps_counts_for_the_current_window_only(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    """Windows are per tenant (here per workspace); one workspace per test, for hours."""
    fault = {"provider": "bird", "operationId": "listWorkspaceLongCodeNumbers"}
    added = await client.post("/_mock/faults", json={**fault, "rateLimit": {"limit": 5}})
    assert added.status_code == 201
    key = bird_key("limited")
    for n in range(4):
        listed = await client.get(
            f"/workspaces/{n:08d}-4444-4444-8444-444444444444/numbers-long-code", headers=key
        )
        assert listed.status_code == 200
    [limiter] = app.state.mock.faults.all()
    assert len(limiter._windows) == 4
    clock.advance(timedelta(seconds=1))
    listed = await client.get(f"/workspaces/{WORKSPACE}/numbers-long-code", headers=key)
    assert listed.status_code == 200
    assert len(limiter._windows) == 1


async def test_a_vobiz_reset_forgets_the_codes_sent_for_the_account(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = vobiz_account("OTP00001")
    phone = "+14155550177"
    sent = await client.post(
        VERIFY, json={"phone_number": phone, "verification_method": "sms"}, headers=account
    )
    assert sent.status_code == 200
    oracle = await client.get("/_mock/otp", params={"phone_number": phone})
    assert len(oracle.json()["codes"]) == 1

    auth_id = account["X-Auth-ID"]
    reset = await client.post("/_mock/reset", json={"provider": "vobiz", "tenant": auth_id})
    assert reset.status_code == 200
    assert app.state.mock.providers[1].backend.state.sent_codes == {}
    oracle = await client.get("/_mock/otp", params={"phone_number": phone})
    assert oracle.json()["codes"] == []
