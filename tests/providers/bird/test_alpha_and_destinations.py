"""Alpha senders from the scenario, and their destination countries as subscriptions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.providers.bird.helpers import buy_one, wallet_amount
from tests.support.credentials import BIRD, BIRD_WS

ALPHA = f"/workspaces/{BIRD_WS}/numbers-alpha"


async def acme(client: httpx.AsyncClient) -> dict[str, Any]:
    listed = await client.get(ALPHA, headers=BIRD)
    [sender] = listed.json()["results"]
    return dict(sender)


def endpoint_path(endpoint_id: str, tail: str) -> str:
    return f"/workspaces/{BIRD_WS}/endpoints/{endpoint_id}/{tail}"


async def test_the_scenario_sender_is_listed_and_found(client: httpx.AsyncClient) -> None:
    sender = await acme(client)
    assert sender["alphaString"] == "AcmeCorp"
    assert sender["order"]["countryCodes"] == ["NL", "DE", "GB"]
    assert sender["endpoint"]["type"] == "alpha-number"
    found = await client.get(f"{ALPHA}/{sender['id']}", headers=BIRD)
    assert found.json() == sender
    missing = await client.get(f"{ALPHA}/00000000-0000-4000-8000-000000000000", headers=BIRD)
    assert missing.status_code == 404
    assert (await client.get(ALPHA, params={"reverse": "true", "limit": 1}, headers=BIRD)).json()[
        "results"
    ] == [sender]


async def test_validate_prices_destinations_and_changes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    sender = await acme(client)
    before = wallet_amount(app)
    body = {"capability": "sms", "countryCodes": ["FR", "BE"]}
    response = await client.post(
        endpoint_path(sender["id"], "destinations/activate"),
        params={"validate": "true"},
        json=body,
        headers=BIRD,
    )
    assert response.status_code == 200
    price = {"currencyCode": "EUR", "amount": 3_000_000, "exponent": -6}
    assert response.json() == {"subscriptionPrices": {"FR": price, "BE": price}}
    assert wallet_amount(app) == before
    subs = await client.get(endpoint_path(sender["id"], "subscriptions"), headers=BIRD)
    assert [s["name"] for s in subs.json()["results"]] == ["NL", "DE", "GB"]


async def test_activation_charges_per_new_country_and_deactivation_stops(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    sender = await acme(client)
    before = wallet_amount(app)
    body = {"capability": "sms", "countryCodes": ["FR", "NL"]}
    response = await client.post(
        endpoint_path(sender["id"], "destinations/activate"), json=body, headers=BIRD
    )
    assert response.status_code == 201
    assert [
        (d["countryCode"], d["capabilities"][0]["status"]) for d in response.json()["results"]
    ] == [
        ("FR", "active"),
        ("NL", "active"),
    ]
    assert wallet_amount(app) == before - 3_000_000  # NL was active already
    subs = await client.get(endpoint_path(sender["id"], "subscriptions"), headers=BIRD)
    assert [s["name"] for s in subs.json()["results"]] == ["NL", "DE", "GB", "FR"]
    off = await client.post(
        endpoint_path(sender["id"], "destinations/deactivate"),
        json={"capability": "sms", "countryCodes": ["FR"]},
        headers=BIRD,
    )
    assert off.status_code == 200
    assert off.json()["results"][0]["capabilities"][0]["status"] == "inactive"
    fr = await client.get(endpoint_path(sender["id"], "subscriptions/FR"), headers=BIRD)
    assert fr.json()["status"] == "inactive"


async def test_activation_the_wallet_cannot_pay_is_402_and_changes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    sender = await acme(client)
    before = wallet_amount(app)
    countries = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ"][:99]
    response = await client.post(
        endpoint_path(sender["id"], "destinations/activate"),
        json={"capability": "sms", "countryCodes": countries},
        headers=BIRD,
    )
    assert response.status_code == 402
    assert response.json()["code"] == "InsufficientFunds"
    assert wallet_amount(app) == before
    subs = await client.get(endpoint_path(sender["id"], "subscriptions"), headers=BIRD)
    assert len(subs.json()["results"]) == 3


async def test_cancelling_a_destination_ends_it_with_its_period(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    sender = await acme(client)
    cancel = endpoint_path(sender["id"], "subscriptions/DE/cancel")
    canceled = await client.post(cancel, headers=BIRD)
    assert canceled.json()["subscription"]["status"] == "canceling"
    assert canceled.json()["subscription"]["endAt"] == "2026-03-31T10:00:00.000Z"
    clock.advance(timedelta(days=30))
    de = await client.get(endpoint_path(sender["id"], "subscriptions/DE"), headers=BIRD)
    assert de.json()["status"] == "inactive"


async def test_long_code_numbers_do_not_take_destinations(client: httpx.AsyncClient) -> None:
    bought = await buy_one(client)
    response = await client.post(
        endpoint_path(bought["id"], "destinations/activate"),
        json={"capability": "sms", "countryCodes": ["FR"]},
        headers=BIRD,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"
