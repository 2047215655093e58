"""The clock cannot brick the mock: it refuses times after LATEST, every operation of every
spec works at the latest time it accepts (and as the clock runs out past every expiry),
and a full reset puts the clock back where it started."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, SystemClock, create_app
from mockserver.clock import LATEST
from mockserver.openapi.loader import load_spec
from mockserver.resources import spec_file
from tests.conftest import START
from tests.support.credentials import (
    APPLICATION,
    AUTH_ME,
    AVAILABILITY,
    BALANCE,
    BIRD,
    BIRD_ORG,
    BIRD_USER,
    BIRD_WS,
    CHANNELS,
    CONCURRENCY,
    CONFIRM,
    INVENTORY,
    LONG_CODES,
    ORDERS,
    OWNED,
    PHONE,
    PURCHASE,
    STOCK,
    TRANSACTIONS,
    TRUNK,
    VERIFY,
    VOBIZ,
)

LAST = LATEST.isoformat().replace("+00:00", "Z")
ALPHA = f"/workspaces/{BIRD_WS}/numbers-alpha"


def endpoint(endpoint_id: str, tail: str = "") -> str:
    return f"/workspaces/{BIRD_WS}/endpoints/{endpoint_id}/subscriptions{tail}"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


async def tour(client: httpx.AsyncClient) -> None:
    """One call of every Bird and Vobiz operation, as a client would chain them."""
    # A webhook subscription first: every change of the number below is delivered to the
    # inbox, on the way to the latest time and past it.
    hooks = f"/organizations/{BIRD_ORG}/workspaces/{BIRD_WS}/webhook-subscriptions"
    hook = {"service": "numbers", "event": "endpoint.updated", "url": "http://m/_mock/inbox/t"}
    subscribed = await ok(await client.post(hooks, json=hook, headers=BIRD), 201)
    await ok(await client.get(hooks, headers=BIRD))
    await ok(await client.get(f"{hooks}/{subscribed['id']}", headers=BIRD))
    signed = {"signingKey": "at-the-end-of-time"}
    await ok(await client.patch(f"{hooks}/{subscribed['id']}", json=signed, headers=BIRD))
    spare = await ok(await client.post(hooks, json=hook, headers=BIRD), 201)
    await ok(await client.delete(f"{hooks}/{spare['id']}", headers=BIRD), 204)
    items = (await ok(await client.get(STOCK, params={"countryCodes": "US"}, headers=BIRD)))[
        "results"
    ]
    held = f"/workspaces/{BIRD_WS}/numbers-stock-items/{items[1]['id']}/reservation"
    await ok(await client.post(held, headers=BIRD_USER), 201)
    await ok(await client.delete(held, headers=BIRD_USER), 204)
    await ok(await client.post(held, headers=BIRD_USER), 201)
    body = {"numberStockItemIds": [items[0]["id"]]}
    [number] = (await ok(await client.post(LONG_CODES, json=body, headers=BIRD), 201))["results"]
    await ok(await client.get(LONG_CODES, headers=BIRD))
    await ok(await client.get(f"{LONG_CODES}/{number['id']}", headers=BIRD))
    await ok(await client.get(endpoint(number["id"]), headers=BIRD))
    await ok(await client.get(endpoint(number["id"], "/main"), headers=BIRD))
    await ok(await client.post(endpoint(number["id"], "/main/cancel"), headers=BIRD))
    [alpha] = (await ok(await client.get(ALPHA, headers=BIRD)))["results"]
    await ok(await client.get(f"{ALPHA}/{alpha['id']}", headers=BIRD))
    countries = {"capability": "sms", "countryCodes": ["FR"]}
    destinations = f"/workspaces/{BIRD_WS}/endpoints/{alpha['id']}/destinations"
    await ok(await client.post(f"{destinations}/activate", json=countries, headers=BIRD), 201)
    await ok(await client.post(f"{destinations}/deactivate", json=countries, headers=BIRD))

    offer = {"country": "IN", "region": "KA"}
    await ok(await client.get(AVAILABILITY, params=offer, headers=VOBIZ))
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    placed = await ok(await client.post(ORDERS, json=order, headers=VOBIZ), 201)
    await ok(await client.get(ORDERS, headers=VOBIZ))
    await ok(await client.get(f"{ORDERS}/{placed['id']}", headers=VOBIZ))
    await ok(await client.post(f"{ORDERS}/{placed['id']}/cancel", headers=VOBIZ))
    sent = {"phone_number": PHONE, "verification_method": "sms"}
    await ok(await client.post(VERIFY, json=sent, headers=VOBIZ))
    codes = (await ok(await client.get("/_mock/otp", params={"phone_number": PHONE})))["codes"]
    confirm = {"phone_number": PHONE, "otp_code": codes[0]["code"]}
    await ok(await client.post(CONFIRM, json=confirm, headers=VOBIZ))
    channel = {
        "waba_id": "1911116896216319",
        "phone_number_id": "974161339121558",
        "phone_number": PHONE,
        "number_onboarding_mode": "bring_your_own",
        "number_provider": "meta_direct",
        "access_token": "EAAsecret",
        "display_name": "Acme",
    }
    created = await ok(await client.post(CHANNELS, json=channel, headers=VOBIZ), 201)
    await ok(await client.get(CHANNELS, headers=VOBIZ))
    await ok(await client.get(f"{CHANNELS}/{created['id']}", headers=VOBIZ))
    rename = {"display_name": "Acme BV"}
    await ok(await client.put(f"{CHANNELS}/{created['id']}", json=rename, headers=VOBIZ))
    await ok(await client.delete(f"{CHANNELS}/{created['id']}", headers=VOBIZ), 204)
    await ok(await client.get(BALANCE, headers=VOBIZ))
    # The account API: a number bought, routed and released (its quarantine ends 45 days on).
    [item] = (await ok(await client.get(INVENTORY, params={"per_page": 1}, headers=VOBIZ)))["items"]
    await ok(await client.post(PURCHASE, json={"e164": item["e164"]}, headers=VOBIZ))
    await ok(await client.get(OWNED, headers=VOBIZ))
    number = f"{OWNED}/{item['e164']}"
    await ok(
        await client.post(f"{number}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ), 204
    )
    await ok(await client.delete(f"{number}/assign", headers=VOBIZ), 204)
    app = {"application_id": APPLICATION}
    await ok(await client.post(f"{number}/application", json=app, headers=VOBIZ))
    await ok(await client.delete(f"{number}/application", headers=VOBIZ))
    await ok(await client.delete(number, headers=VOBIZ))
    await ok(await client.post(f"{number}/cancel-release", headers=VOBIZ))
    await ok(await client.delete(number, headers=VOBIZ))
    await ok(await client.get(TRANSACTIONS, headers=VOBIZ))
    await ok(await client.get(CONCURRENCY, headers=VOBIZ))
    await ok(await client.get(AUTH_ME, headers=VOBIZ))


async def test_every_operation_works_at_the_latest_time_and_past_its_expiries(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    clock = await ok(await client.put("/_mock/clock", json={"now": LAST}))
    assert clock["now"] == LAST
    await tour(client)
    # Whatever was due later than the last time can never fall due; what fell due on the
    # way to it did, and the state still reads.
    await ok(await client.get("/_mock/state"))
    await ok(await client.get("/_mock/wallets"))
    served = {
        entry["operationId"] for entry in (await ok(await client.get("/_mock/journal")))["entries"]
    }
    for name in ("bird-numbers.yaml", "vobiz-numbers.yaml", "vobiz-account.yaml"):
        spec = load_spec(name, spec_file(name))
        assert {op.operation_id for op in spec.operations} <= served, name
    assert not app.state.mock.failures


async def test_a_tour_that_starts_early_runs_out_its_expiries_at_the_end(
    client: httpx.AsyncClient,
) -> None:
    await tour(client)
    # Every pending effect (a deprovisioning, a reservation's lapse, the WhatsApp validity)
    # falls due on the way to the last time: none of them overflows.
    await ok(await client.put("/_mock/clock", json={"now": LAST}))
    [number] = (await ok(await client.get(LONG_CODES, headers=BIRD)))["results"]
    assert number["order"]["status"] == "cancelled"  # before it was fulfilled: refunded
    await ok(await client.get("/_mock/state"))


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/_mock/clock", {"now": "9000-01-01T00:00:01Z"}, "/now"),
        ("PUT", "/_mock/clock", {"now": "9999-12-31T23:59:58Z"}, "/now"),
        ("POST", "/_mock/clock/advance", {"seconds": 3153600000}, "/seconds"),
    ],
)
async def test_times_after_the_latest_are_refused_and_nothing_moves(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    if path.endswith("advance"):
        # 100 years from the last time but a day: past the last time.
        await ok(await client.put("/_mock/clock", json={"now": "8950-01-01T00:00:00Z"}))
    before = (await ok(await client.get("/_mock/clock")))["now"]
    refused = await client.request(method, path, json=body)
    assert refused.status_code == 422
    problem = refused.json()
    assert "9000-01-01" in problem["detail"]
    assert problem["errors"][0]["path"] == field
    assert (await ok(await client.get("/_mock/clock")))["now"] == before
    assert (await ok(await client.get("/_mock/health")))["status"] == "ok"


async def test_a_full_reset_puts_a_manual_clock_back_at_its_start(
    client: httpx.AsyncClient,
) -> None:
    await ok(await client.put("/_mock/clock", json={"now": LAST}))
    await ok(await client.post("/_mock/clock/unfreeze"))
    await ok(await client.post("/_mock/reset"))
    clock = await ok(await client.get("/_mock/clock"))
    assert clock == {"now": "2026-03-01T10:00:00Z", "mode": "manual", "frozen": True}
    assert START.isoformat().startswith("2026-03-01T10:00:00")


async def test_a_full_reset_puts_a_system_clock_back_on_the_wall_clock() -> None:
    app = create_app(Settings(), clock=SystemClock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        await ok(await client.post("/_mock/clock/advance", json={"seconds": 10 * 365 * 86400}))
        await ok(await client.post("/_mock/clock/freeze"))
        await ok(await client.post("/_mock/reset"))
        clock = await ok(await client.get("/_mock/clock"))
    assert clock["mode"] == "system"
    assert clock["frozen"] is False
    assert SystemClock().now() - app.state.mock.clock.now() < timedelta(minutes=1)


def test_a_start_after_the_latest_time_is_refused() -> None:
    with pytest.raises(ValueError, match="9000-01-01"):
        ManualClock(LATEST + timedelta(seconds=1))
