"""Vobiz's account and phone-number API (specs/vobiz-account.yaml) through the ASGI app:
one world with the WhatsApp API (the same stock, wallets and holders), releases over time,
routing, the ledger as transactions, the flat error dialect, and the control plane."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.conftest import START
from tests.support.credentials import (
    ACCOUNT,
    APPLICATION,
    AUTH_ME,
    AVAILABILITY,
    BALANCE,
    CHANNELS,
    CONCURRENCY,
    INVENTORY,
    ORDERS,
    OWNED,
    PURCHASE,
    TRANSACTIONS,
    TRUNK,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
    VOBIZ_TOKEN,
    vobiz_account,
)
from tests.support.scenarios import serve, write_scenario

OTHER = vobiz_account("rival001")
OTHER_ID = OTHER["X-Auth-ID"]
IN_FEES = 750  # the default scenario's IN number: setup 500 + monthly 250 (INR)
RELEASE_FEE = 700  # the default release fee in INR (the docs' example)


def owned_path(number: str, auth_id: str = VOBIZ_AUTH_ID) -> str:
    return f"/api/v1/account/{auth_id}/numbers/{number}"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def for_sale(client: httpx.AsyncClient, country: str = "IN", **params: Any) -> list[str]:
    query = {"country": country, "per_page": 100, **params}
    page = await ok(await client.get(INVENTORY, params=query, headers=VOBIZ))
    return [item["e164"] for item in page["items"]]


async def buy(client: httpx.AsyncClient, headers: dict[str, str] = VOBIZ) -> str:
    auth_id = headers["X-Auth-ID"]
    inventory = f"/api/v1/account/{auth_id}/inventory/numbers"
    page = await ok(await client.get(inventory, params={"country": "IN"}, headers=headers))
    number: str = page["items"][0]["e164"]
    purchase = f"/api/v1/account/{auth_id}/numbers/purchase-from-inventory"
    bought = await ok(await client.post(purchase, json={"e164": number}, headers=headers))
    assert bought["number"]["e164"] == number
    return number


async def balance(client: httpx.AsyncClient, headers: dict[str, str] = VOBIZ) -> float:
    url = f"/api/v1/account/{headers['X-Auth-ID']}/balance/INR"
    return float((await ok(await client.get(url, headers=headers)))["available_balance"])


async def listed(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    page = await ok(await client.get(OWNED, headers=VOBIZ))
    return {item["e164"]: item for item in page["items"]}


# --- paths: both spellings, every way of writing a number ---------------------------------


async def test_the_docs_and_the_sdk_spellings_reach_the_same_operation(
    client: httpx.AsyncClient,
) -> None:
    lower = await ok(await client.get(INVENTORY, params={"country": "US"}, headers=VOBIZ))
    capital = INVENTORY.replace("/account/", "/Account/")
    upper = await ok(await client.get(capital, params={"country": "US"}, headers=VOBIZ))
    assert lower == upper
    # Only the two documented spellings.
    shouted = await client.get(INVENTORY.replace("/account/", "/ACCOUNT/"), headers=VOBIZ)
    assert shouted.status_code == 404
    journal = (await client.get("/_mock/journal", params={"limit": 3})).json()["entries"]
    served = {entry["path"]: entry["operationId"] for entry in journal}
    assert served[INVENTORY] == served[capital] == "listInventoryNumbers"


@pytest.mark.parametrize(
    "written",
    ["+{digits}", "%2B{digits}", "{digits}", "%252B{digits}"],
    ids=["raw-plus-sdk", "encoded-plus-docs", "no-plus", "encoded-twice"],
)
async def test_a_number_in_the_path_is_the_same_number_however_written(
    client: httpx.AsyncClient, written: str
) -> None:
    number = await buy(client)
    path = owned_path(written.format(digits=number[1:]))
    assigned = await client.post(f"{path}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ)
    assert assigned.status_code == 204, assigned.text
    assert (await listed(client))[number]["trunk_group_id"] == TRUNK
    released = await ok(
        await client.delete(path.replace("/numbers/", "/numbers/", 1), headers=VOBIZ)
    )
    assert released["cancel_url"] == f"{ACCOUNT}/numbers/{number}/cancel-release"


# --- one world with the WhatsApp API --------------------------------------------------------


async def test_the_inventory_is_the_whatsapp_stock_and_a_number_has_one_holder(
    client: httpx.AsyncClient,
) -> None:
    region = await ok(
        await client.get(AVAILABILITY, params={"country": "IN", "limit": 100}, headers=VOBIZ)
    )
    whatsapp = {item["e164"] for item in region["items"]}
    inventory = set(await for_sale(client))
    assert whatsapp <= inventory  # the same stock (availability shows 100 of it at most)
    number = await buy(client)
    assert number not in await for_sale(client)
    region_of = next(i["region"] for i in region["items"] if i["e164"] == number)
    again = await ok(
        await client.get(AVAILABILITY, params={"country": "IN", "limit": 100}, headers=VOBIZ)
    )
    assert number not in {item["e164"] for item in again["items"]}
    # Another account can neither buy it, nor order it, nor verify it as its own.
    taken = await client.post(
        f"/api/v1/account/{OTHER_ID}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers=OTHER,
    )
    assert (taken.status_code, taken.json()) == (
        404,
        {"error": "not_found", "message": "number not found in inventory"},
    )
    order = {
        "country_code": "IN",
        "region": region_of,
        "number_type": "local",
        "currency": "INR",
        "preferred_number": number,
    }
    ordered = await client.post(ORDERS, json=order, headers=OTHER)
    assert ordered.status_code == 409
    assert ordered.json()["error"]["code"] == "NUMBER_NOT_AVAILABLE"
    verified = await client.post(
        VERIFY, json={"phone_number": number, "verification_method": "sms"}, headers=OTHER
    )
    assert verified.status_code == 409
    assert verified.json()["error"]["code"] == "NUMBER_IN_USE"
    # And a number a WhatsApp order holds is not in inventory.
    placed = await ok(
        await client.post(
            ORDERS, json={k: v for k, v in order.items() if k != "preferred_number"}, headers=OTHER
        ),
        201,
    )
    held = placed["selected_phone_number"]
    assert held not in await for_sale(client)
    refused = await client.post(PURCHASE, json={"e164": held}, headers=VOBIZ)
    assert refused.status_code == 404


async def test_inventory_pages_filter_and_count_the_whole_set(client: httpx.AsyncClient) -> None:
    everything = await ok(await client.get(INVENTORY, params={"country": "IN"}, headers=VOBIZ))
    total = everything["total"]
    assert (everything["page"], everything["per_page"], len(everything["items"])) == (1, 25, 25)
    numbers: list[str] = []
    for page in range(1, total // 100 + 2):
        chunk = await ok(
            await client.get(
                INVENTORY, params={"country": "IN", "page": page, "per_page": 100}, headers=VOBIZ
            )
        )
        assert chunk["total"] == total
        numbers += [item["e164"] for item in chunk["items"]]
    assert len(numbers) == len(set(numbers)) == total
    assert numbers == sorted(numbers)
    prefix = numbers[0][:5]  # "+9111": one national prefix
    without = await ok(
        await client.get(INVENTORY, params={"country": "IN", "exclude": prefix[1:]}, headers=VOBIZ)
    )
    assert without["total"] == total - sum(n.startswith(prefix) for n in numbers)
    # Repeated and comma-separated, with or without the +, duplicates ignored.
    both = await ok(
        await client.get(
            f"{INVENTORY}?country=IN&exclude={prefix[1:]},%2B{prefix[1:]}&exclude={prefix[1:]}",
            headers=VOBIZ,
        )
    )
    assert both["total"] == without["total"]
    needle = numbers[3][-4:]
    found = await ok(
        await client.get(INVENTORY, params={"country": "IN", "search": needle}, headers=VOBIZ)
    )
    assert found["total"] == sum(needle in n for n in numbers)
    assert all(needle in item["e164"] for item in found["items"])
    beyond = await ok(
        await client.get(INVENTORY, params={"country": "IN", "page": 1000}, headers=VOBIZ)
    )
    assert (beyond["items"], beyond["total"]) == ([], total)


# --- money: the same wallet, the ledger as transactions -------------------------------------


async def test_purchases_and_orders_pay_from_one_wallet_and_show_as_transactions(
    client: httpx.AsyncClient,
) -> None:
    before = await balance(client)
    number = await buy(client)
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    await ok(await client.post(ORDERS, json=order, headers=VOBIZ), 201)
    assert await balance(client) == before - 2 * IN_FEES
    # The SDK sends limit/offset: dropped, as the current server does (docs).
    page = await ok(await client.get(TRANSACTIONS, params={"limit": 1, "offset": 5}, headers=VOBIZ))
    rows = page["transactions"]
    assert (page["total"], page["page"], page["per_page"], page["total_pages"]) == (2, 1, 50, 1)
    assert [row["reference_type"] for row in rows] == ["did_purchase", "did_rental"]
    purchase = rows[1]
    wallet = await ok(await client.get(BALANCE, headers=VOBIZ))
    assert purchase["balance_id"] == wallet["id"]
    assert (purchase["type"], purchase["amount"], purchase["currency"]) == ("debit", 750, "INR")
    assert number in purchase["description"]
    assert page["summary"] == {
        "total_transactions": 2,
        "total_debit": 1500,
        "total_credit": 0,
        "net_amount": -1500,
        "by_reference_type": [
            {"reference_type": "did_purchase", "total_debit": 750, "total_credit": 0, "count": 1},
            {"reference_type": "did_rental", "total_debit": 750, "total_credit": 0, "count": 1},
        ],
    }
    one = await ok(
        await client.get(
            TRANSACTIONS,
            params={"transaction_id": purchase["id"], "per_page": 5000},
            headers=VOBIZ,
        )
    )
    assert one["transactions"] == [purchase]
    assert one["per_page"] == 50  # documented: above 1000 falls back to 50
    assert one["summary"]["total_transactions"] == 1
    today = purchase["created_at"][:10]
    dated = await client.get(
        TRANSACTIONS, params={"from_date": today, "to_date": today}, headers=VOBIZ
    )
    assert (await ok(dated))["total"] == 2
    broken = await client.get(TRANSACTIONS, params={"from_date": "last week"}, headers=VOBIZ)
    assert (broken.status_code, broken.json()) == (
        500,
        {"error": "Failed to retrieve transactions"},
    )
    filtered = await ok(
        await client.get(
            TRANSACTIONS, params={"reference_type": "did_rental", "currency": "inr"}, headers=VOBIZ
        )
    )
    assert [row["id"] for row in filtered["transactions"]] == [purchase["id"]]


async def test_a_failed_debit_is_the_documented_500_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    number = (await for_sale(client))[0]
    set_to = await client.put(f"/_mock/wallets/vobiz/{VOBIZ_AUTH_ID}/INR", json={"balance": "749"})
    assert set_to.status_code == 200
    rows = (await ok(await client.get(TRANSACTIONS, headers=VOBIZ)))["total"]
    failed = await client.post(PURCHASE, json={"e164": number}, headers=VOBIZ)
    assert (failed.status_code, failed.json()) == (
        500,
        {"error": "internal_server_error", "message": "failed to purchase number"},
    )
    assert number in await for_sale(client)
    assert (await ok(await client.get(TRANSACTIONS, headers=VOBIZ)))["total"] == rows
    assert await balance(client) == 749
    # In USD it can pay: the currency picks the wallet.
    bought = await client.post(PURCHASE, json={"e164": number, "currency": "USD"}, headers=VOBIZ)
    assert (await ok(bought))["number"]["currency"] == "USD"


async def test_a_declined_payment_rule_is_a_500_here_and_a_402_on_the_whatsapp_api(
    client: httpx.AsyncClient,
) -> None:
    rule = {"provider": "vobiz", "on": "payment", "outcome": "declined", "count": 2}
    assert (await client.post("/_mock/rules", json=rule)).status_code == 201
    number = (await for_sale(client))[0]
    declined = await client.post(PURCHASE, json={"e164": number}, headers=VOBIZ)
    assert declined.status_code == 500
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    refused = await client.post(ORDERS, json=order, headers=VOBIZ)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    await ok(await client.post(PURCHASE, json={"e164": number}, headers=VOBIZ))


# --- release over time -------------------------------------------------------------------------


async def test_a_release_is_pending_for_a_day_then_quarantined_then_for_sale_again(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    number = await buy(client)
    path = owned_path(number)
    await ok(
        await client.post(f"{path}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ), 204
    )
    app = {"application_id": APPLICATION}
    await ok(await client.post(f"{path}/application", json=app, headers=VOBIZ))
    paid = await balance(client)
    released = await ok(await client.delete(path, headers=VOBIZ))
    assert released == {
        "cancel_url": f"{ACCOUNT}/numbers/{number}/cancel-release",
        "cooldown_ends_at": "2026-03-02T10:00:00Z",
        "message": "number release initiated",
        "note": "Number will be in pending_release for 24 hours (cancellable), then "
        "quarantined for 45 days before becoming available.",
        "release_fee": RELEASE_FEE,
        "status": "pending_release",
    }
    assert await balance(client) == paid - RELEASE_FEE
    shown = (await listed(client))[number]
    assert shown["status"] == "pending_release"
    assert "trunk_group_id" not in shown
    assert "application_id" not in shown  # documented: the release detaches both
    twice = await client.delete(path, headers=VOBIZ)
    assert (twice.status_code, twice.json()["error"]) == (409, "number_pending_release")
    assign = await client.post(f"{path}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ)
    assert assign.status_code == 409
    clock.advance(timedelta(hours=24))
    assert number not in await listed(client)
    assert number not in await for_sale(client)
    late = await client.post(f"{path}/cancel-release", headers=VOBIZ)
    assert (late.status_code, late.json()) == (400, {"error": "number is not pending release"})
    clock.advance(timedelta(days=45))
    assert number in await for_sale(client)
    await ok(
        await client.post(
            f"/api/v1/account/{OTHER_ID}/numbers/purchase-from-inventory",
            json={"e164": number},
            headers=OTHER,
        )
    )
    gone = await client.delete(path, headers=VOBIZ)
    assert (gone.status_code, gone.json()) == (
        403,
        {"error": "forbidden", "message": "account does not own this number"},
    )


async def test_a_cancelled_release_restores_the_number_and_refunds_the_fee(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    number = await buy(client)
    path = owned_path(number)
    await ok(
        await client.post(f"{path}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ), 204
    )
    paid = await balance(client)
    await ok(await client.delete(path, headers=VOBIZ))
    clock.advance(timedelta(hours=23))
    cancelled = await ok(await client.post(f"{path}/cancel-release", headers=VOBIZ))
    assert cancelled == {
        "message": "release cancelled, number restored to active status",
        "status": "active",
        "currency": "INR",
        "refund_amount": RELEASE_FEE,
    }
    assert await balance(client) == paid
    shown = (await listed(client))[number]
    assert shown["status"] == "active"
    assert "trunk_group_id" not in shown  # documented: not restored
    clock.advance(timedelta(days=60))
    assert number in await listed(client)  # the quarantine it was due for never happens
    rows = (await ok(await client.get(TRANSACTIONS, headers=VOBIZ)))["transactions"]
    assert [r["reference_type"] for r in rows] == ["refund", "did_release", "did_rental"]


async def test_an_immediate_release_cannot_be_cancelled(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    number = await buy(client)
    path = owned_path(number)
    released = await ok(await client.delete(path, params={"immediate": "true"}, headers=VOBIZ))
    assert (released["status"], released["cooldown_ends_at"]) == (
        "quarantined",
        "2026-03-01T10:00:00Z",
    )
    assert "note" not in released
    assert number not in await listed(client)
    refused = await client.post(f"{path}/cancel-release", headers=VOBIZ)
    assert refused.status_code == 400
    clock.advance(timedelta(days=45))
    assert number in await for_sale(client)


async def test_a_refund_rule_restores_the_number_without_the_fee(client: httpx.AsyncClient) -> None:
    rule = {"provider": "vobiz", "on": "refund", "outcome": "failed", "accountId": VOBIZ_AUTH_ID}
    assert (await client.post("/_mock/rules", json=rule)).status_code == 201
    number = await buy(client)
    await ok(await client.delete(owned_path(number), headers=VOBIZ))
    paid = await balance(client)
    cancelled = await ok(await client.post(f"{owned_path(number)}/cancel-release", headers=VOBIZ))
    assert cancelled["refund_status"] == "failed"
    assert "refund_amount" not in cancelled
    assert await balance(client) == paid
    assert (await listed(client))[number]["status"] == "active"


async def test_releasing_what_the_account_did_not_buy_here(client: httpx.AsyncClient) -> None:
    in_stock = (await for_sale(client))[0]
    refused = await client.delete(owned_path(in_stock), headers=VOBIZ)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    theirs = await buy(client, OTHER)
    refused = await client.delete(owned_path(theirs), headers=VOBIZ)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    ordered = (await ok(await client.post(ORDERS, json=order, headers=VOBIZ), 201))[
        "selected_phone_number"
    ]
    refused = await client.delete(owned_path(ordered), headers=VOBIZ)
    assert refused.status_code == 403
    assert "WhatsApp number order" in refused.json()["message"]
    unknown = await client.delete(owned_path("+14155550100"), headers=VOBIZ)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "not_found", "message": "number not found"},
    )
    cancel = await client.post(f"{owned_path('+14155550100')}/cancel-release", headers=VOBIZ)
    assert (cancel.status_code, cancel.json()) == (404, {"error": "number not found"})
    cancel = await client.post(f"{owned_path(theirs)}/cancel-release", headers=VOBIZ)
    assert (cancel.status_code, cancel.json()) == (403, {"error": "access denied"})


async def test_a_released_number_ends_the_accounts_whatsapp_channel_on_it(
    client: httpx.AsyncClient,
) -> None:
    number = await buy(client)
    channel = {
        "waba_id": "102290129340398",
        "phone_number_id": "106540352242922",
        "phone_number": number,
        "number_onboarding_mode": "embedded_signup",
        "number_provider": "meta_direct",
        "access_token": "EAAGm0PX4ZCpsBAKZAZBmock",
        "display_name": "Acme Voice",
    }
    await ok(await client.post(CHANNELS, json=channel, headers=VOBIZ), 201)
    # Another account cannot connect the number it bought.
    other = await client.post(CHANNELS, json=channel, headers=OTHER)
    assert other.json()["error"]["code"] == "NUMBER_IN_USE"
    await ok(await client.delete(owned_path(number), headers=VOBIZ))
    assert (await ok(await client.get(CHANNELS, headers=VOBIZ)))["items"] == []


# --- routing ----------------------------------------------------------------------------


async def test_trunk_and_application_routing_is_state_on_the_number(
    client: httpx.AsyncClient,
) -> None:
    number = await buy(client)
    path = owned_path(number)
    assign = f"{path}/assign"
    unknown = await client.post(assign, json={"trunk_group_id": _uuid(9)}, headers=VOBIZ)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "Trunk not found")
    await ok(await client.post(assign, json={"trunk_group_id": TRUNK.upper()}, headers=VOBIZ), 204)
    again = await client.post(assign, json={"trunk_group_id": TRUNK}, headers=VOBIZ)
    assert again.json() == {
        "error": "invalid request",
        "message": "This number is already assigned to a trunk.",
    }
    assert (await listed(client))[number]["trunk_group_id"] == TRUNK
    await ok(await client.delete(assign, headers=VOBIZ), 204)
    none = await client.delete(assign, headers=VOBIZ)
    assert (none.status_code, none.json()["error"]) == (404, "Number not found")
    assert "trunk_group_id" not in (await listed(client))[number]
    attach = f"{path}/application"
    attached = await ok(
        await client.post(attach, json={"application_id": APPLICATION}, headers=VOBIZ)
    )
    assert attached["message"] == "Number attached to application"
    assert attached["application"]["app_name"] == "Acme IVR"
    assert attached["application"]["sip_uri"] == f"sip:{APPLICATION}@app.vobiz.ai"
    missing = await client.post(attach, json={"application_id": "99999999999999999"}, headers=VOBIZ)
    assert missing.json() == {"error": "not_found", "message": "application not found"}
    assert (await listed(client))[number]["application_id"] == APPLICATION
    detached = await ok(await client.delete(attach, headers=VOBIZ))
    assert detached["application"]["app_id"] == APPLICATION
    noop = await ok(await client.delete(attach, headers=VOBIZ))
    assert noop == {"message": "Number detached from application", "number": number}
    # Not the account's: the documented 404s.
    theirs = await buy(client, OTHER)
    other = await client.post(
        f"{owned_path(theirs)}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ
    )
    assert (other.status_code, other.json()["error"]) == (404, "Number not found")
    # An account whose scenario lists no trunks or applications has whichever it names.
    ad_hoc = f"/api/v1/account/{OTHER_ID}/numbers/{theirs}"
    any_trunk = {"trunk_group_id": _uuid(7)}
    await ok(await client.post(f"{ad_hoc}/assign", json=any_trunk, headers=OTHER), 204)
    app = await ok(
        await client.post(
            f"{ad_hoc}/application", json={"application_id": "app_abc123"}, headers=OTHER
        )
    )
    assert app["application"]["resource_uri"] == f"/v1/Account/{OTHER_ID}/Application/app_abc123/"


def _uuid(digit: int) -> str:
    """A well-formed trunk id of one repeated digit."""
    d = str(digit)
    return f"{d * 8}-{d * 4}-4{d * 3}-8{d * 3}-{d * 12}"


# --- the account ---------------------------------------------------------------------------


async def test_auth_me_and_concurrency_come_from_the_scenario(
    tmp_path: Path, clock: ManualClock
) -> None:
    account = {
        "authId": VOBIZ_AUTH_ID,
        "authTokens": [VOBIZ_TOKEN],
        "balances": {"INR": "100.00"},
        "profile": {"name": "Zed Telecom", "email": "ops@zed.example", "zipCode": "400001"},
        "concurrency": {"active": 3, "base": 8, "purchased": 2},
        "cps": {"base": 2, "purchased": 0},
        "releaseFees": {"INR": "0"},
    }
    listed_number = {"e164": "+912212345678", "region": "MH"}
    stock = {
        "countries": {
            "IN": {
                "currency": "INR",
                "perRegion": 1,
                "regions": ["MH"],
                "numbers": [listed_number],
                "fees": {"INR": {"setup": "10", "monthly": "5"}},
            }
        }
    }
    path = write_scenario(tmp_path, {"vobiz": {"accounts": [account], "stock": stock}})
    async with serve(path, clock) as (_, client):
        me = await ok(await client.get(AUTH_ME, headers=VOBIZ))
        assert (me["auth_id"], me["name"], me["company"], me["zip_code"]) == (
            VOBIZ_AUTH_ID,
            "Zed Telecom",
            "Zed Telecom",
            "400001",
        )
        assert (me["concurrent_calls_limit"], me["cps_limit"], me["auth_secret"]) == (
            10,
            2,
            "<redacted>",
        )
        concurrency = await ok(await client.get(CONCURRENCY, headers=VOBIZ))
        assert {k: v for k, v in concurrency.items() if k != "request_id"} == {
            "account_id": VOBIZ_AUTH_ID,
            "concurrent_calls": 3,
            "max_concurrent": 10,
            "utilization_pct": 30,
        }
        assert "+912212345678" in await for_sale(client)
        await ok(await client.post(PURCHASE, json={"e164": "+912212345678"}, headers=VOBIZ))
        released = await ok(await client.delete(owned_path("+912212345678"), headers=VOBIZ))
        assert released["release_fee"] == 0
        # An ad-hoc account: the documented limits, its own auth id.
        other = await ok(await client.get(AUTH_ME, headers=OTHER))
        assert (other["auth_id"], other["concurrent_calls_limit"], other["cps_limit"]) == (
            OTHER_ID,
            10,
            11,
        )


async def test_basic_credentials_open_the_same_account(client: httpx.AsyncClient) -> None:
    basic = base64.b64encode(f"{VOBIZ_AUTH_ID}:{VOBIZ_TOKEN}".encode()).decode()
    page = await ok(await client.get(TRANSACTIONS, headers={"Authorization": f"Basic {basic}"}))
    assert page["total"] == 0
    mismatch = await client.get(f"/api/v1/account/{OTHER_ID}/transactions", headers=VOBIZ)
    assert mismatch.json() == {
        "error": "forbidden",
        "message": "Access denied: account ID mismatch",
    }


# --- the control plane reaches the new operations --------------------------------------------


async def test_a_tenant_reset_gives_the_accounts_numbers_back(client: httpx.AsyncClient) -> None:
    mine, theirs = await buy(client), await buy(client, OTHER)
    released = await buy(client)
    await ok(await client.delete(owned_path(released), headers=VOBIZ))
    reset = await client.post("/_mock/reset", json={"provider": "vobiz", "tenant": VOBIZ_AUTH_ID})
    assert reset.status_code == 200, reset.text
    assert await listed(client) == {}
    everything: set[str] = set()
    for page in range(1, 10):
        everything |= set(await for_sale(client, page=page))
    assert {mine, released} <= everything
    assert theirs not in everything


async def test_a_state_dump_keeps_bought_numbers_and_their_routing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    number = await buy(client)
    await ok(
        await client.post(
            f"{owned_path(number)}/assign", json={"trunk_group_id": TRUNK}, headers=VOBIZ
        ),
        204,
    )
    before = await listed(client)
    dump = (await client.get("/_mock/state", params={"secrets": "true"})).json()
    [account] = [a for a in dump["vobiz"]["accounts"] if a["authId"] == VOBIZ_AUTH_ID]
    [saved] = account["numbers"]
    assert (saved["number"]["number"], saved["trunkGroupId"]) == (number, TRUNK)
    assert (await client.post("/_mock/reset")).status_code == 200
    assert await listed(client) == {}
    assert (await client.put("/_mock/state", json=dump)).status_code == 200
    assert await listed(client) == before
    assert number not in await for_sale(client)


async def test_faults_reach_the_account_api_in_its_dialect(client: httpx.AsyncClient) -> None:
    fault = {"provider": "vobiz", "operationId": "purchaseNumberFromInventory", "status": 503}
    assert (await client.post("/_mock/faults", json=fault)).status_code == 201
    number = (await for_sale(client))[0]
    refused = await client.post(PURCHASE, json={"e164": number}, headers=VOBIZ)
    assert refused.status_code == 503
    assert refused.json()["error"] == "service_unavailable"
    assert number in await for_sale(client)


async def test_a_computed_stock_of_millions_counts_pages_and_sells_exactly(tmp_path: Path) -> None:
    """Vobiz's stock is computed from the seed too (seeded_stock.py): a million numbers a
    region cost nothing until touched, the inventory's total counts them by bisection, and
    a purchase takes exactly one out until a reset."""
    countries = {
        "US": {
            "currency": "USD",
            "perRegion": 1_000_000,
            "regions": ["CA", "NY"],
            "fees": {"USD": {"setup": "5", "monthly": "2"}},
        }
    }
    path = write_scenario(tmp_path, {"vobiz": {"stock": {"countries": countries}}})
    async with serve(path, ManualClock(START)) as (_app, client):
        query = {"country": "US", "per_page": 5}
        page = await ok(await client.get(INVENTORY, params=query, headers=VOBIZ))
        numbers = [item["e164"] for item in page["items"]]
        assert numbers == sorted(numbers)
        assert page["total"] == 2_000_000
        bought = await ok(await client.post(PURCHASE, json={"e164": numbers[0]}, headers=VOBIZ))
        assert bought["number"]["e164"] == numbers[0]
        after = await ok(await client.get(INVENTORY, params=query, headers=VOBIZ))
        assert after["total"] == 2_000_000 - 1
        assert after["items"][0]["e164"] == numbers[1]
        assert (await client.post("/_mock/reset")).status_code == 200
        again = await ok(await client.get(INVENTORY, params=query, headers=VOBIZ))
        assert (again["total"], again["items"][0]["e164"]) == (2_000_000, numbers[0])
