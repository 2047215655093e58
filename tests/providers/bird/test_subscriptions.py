"""Subscription `main` of a bought number: billed from fulfilment, cancelled at the end of
its period, after which the number deprovisions and leaves the workspace."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.providers.bird.helpers import buy_one, number, subscriptions_path, wallet_amount
from tests.support.credentials import BIRD, LONG_CODES, STOCK


async def test_main_is_planned_then_active_at_the_monthly_price(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    bought = await buy_one(client, countryCodes="DE", types="local")
    listed = await client.get(subscriptions_path(bought["id"]), headers=BIRD)
    [main] = listed.json()["results"]
    assert (main["name"], main["status"], main["subscription"]["status"]) == (
        "main",
        "inactive",
        "planned",
    )
    assert main["price"] == {"currencyCode": "EUR", "amount": 1_250_000, "exponent": -6}
    assert main["subscription"]["correlationId"] == bought["id"]
    clock.advance(timedelta(seconds=5))
    main = (await client.get(subscriptions_path(bought["id"], "main"), headers=BIRD)).json()
    assert (main["status"], main["subscription"]["status"]) == ("active", "active")
    assert main["subscription"]["startAt"] == "2026-03-01T10:00:05.000Z"


async def test_cancel_ends_the_period_then_the_number_deprovisions(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    bought = await buy_one(client, countryCodes="DE", types="local")
    clock.advance(timedelta(days=3))
    cancel = subscriptions_path(bought["id"], "main") + "/cancel"
    canceled = await client.post(cancel, headers=BIRD)
    assert canceled.status_code == 200
    details = canceled.json()["subscription"]
    assert (canceled.json()["status"], details["status"]) == ("active", "canceling")
    assert details["canceledAt"] == "2026-03-04T10:00:00.000Z"
    assert details["endAt"] == "2026-03-31T10:00:05.000Z"  # 30 days after fulfilment
    assert (await client.post(cancel, headers=BIRD)).json() == canceled.json()  # idempotent
    body = await number(client, bought["id"])
    assert body["deprovisionAt"] == details["endAt"]
    assert body["endpoint"]["provisioningStatus"] == "provisioned"
    clock.advance(timedelta(days=27, seconds=5))
    body = await number(client, bought["id"])
    assert body["endpoint"]["provisioningStatus"] == "deprovisioning"
    assert body["endpoint"]["issues"] == ["subscription-is-not-active"]
    main = (await client.get(subscriptions_path(bought["id"], "main"), headers=BIRD)).json()
    assert (main["status"], main["subscription"]["status"]) == ("inactive", "canceled")
    clock.advance(timedelta(seconds=60))
    assert (await client.get(f"{LONG_CODES}/{bought['id']}", headers=BIRD)).status_code == 404
    assert (await client.get(LONG_CODES, headers=BIRD)).json()["results"] == []
    page = await client.get(
        STOCK, params={"countryCodes": "DE", "types": "local", "limit": 99}, headers=BIRD
    )
    assert bought["numberString"] in {i["numberString"] for i in page.json()["results"]}


async def test_cancelling_before_fulfilment_cancels_the_order_and_refunds(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    before = wallet_amount(app)
    bought = await buy_one(client, countryCodes="DE", types="local")
    clock.advance(timedelta(seconds=1))
    canceled = await client.post(subscriptions_path(bought["id"], "main") + "/cancel", headers=BIRD)
    assert canceled.json()["subscription"]["status"] == "canceled"
    body = await number(client, bought["id"])
    assert body["order"]["status"] == "cancelled"
    assert body["endpoint"]["provisioningStatus"] == "deprovisioned"
    assert wallet_amount(app) == before
    clock.advance(timedelta(seconds=10))
    assert (await number(client, bought["id"]))["order"]["status"] == "cancelled"
    # Deprovisioned at once, it has no deprovisioning period: past the 60 s one a provisioned
    # number would have, nothing about it changed, its updatedAt included.
    clock.advance(timedelta(seconds=120))
    later = await number(client, bought["id"])
    assert later["updatedAt"] == later["endpoint"]["updatedAt"] == "2026-03-01T10:00:01.000Z"


async def test_unknown_subscriptions_and_endpoints_are_404(client: httpx.AsyncClient) -> None:
    bought = await buy_one(client)
    missing = await client.get(subscriptions_path(bought["id"], "NL"), headers=BIRD)
    assert missing.status_code == 404
    assert missing.json() == {"code": "NotFound", "message": "Subscription NL not found"}
    nowhere = subscriptions_path("00000000-0000-4000-8000-000000000000")
    assert (await client.get(nowhere, headers=BIRD)).json()["message"] == "Endpoint not found"
