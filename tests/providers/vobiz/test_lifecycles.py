"""Vobiz over time: orders that complete or fail, OTP codes with cooldown, attempts and lock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette

from mockserver import ManualClock
from tests.support.credentials import (
    AVAILABILITY,
    BALANCE,
    CONFIRM,
    ORDER,
    ORDERS,
    PHONE,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
    vobiz_account,
)
from tests.support.scenarios import serve, write_scenario


def code_of(app: Starlette, phone: str = PHONE, auth_id: str = VOBIZ_AUTH_ID) -> str:
    backend = app.state.mock.providers[1].backend
    return str(backend.state.accounts[auth_id].verifications[phone].code)


async def balance(client: httpx.AsyncClient) -> float:
    return float((await client.get(BALANCE, headers=VOBIZ)).json()["available_balance"])


async def test_a_failing_order_is_refunded_when_it_fails(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [{"on": "order", "outcome": "failed", "afterSeconds": 5, "reason": "Carrier declined"}]
    async with serve(write_scenario(tmp_path, {"vobiz": {"rules": rules}}), clock) as (_, client):
        before = await balance(client)
        order = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
        assert (order["status"], order["failure_reason"]) == ("pending", None)
        assert await balance(client) == before - 750
        clock.advance(timedelta(seconds=5))
        failed = (await client.get(f"{ORDERS}/{order['id']}", headers=VOBIZ)).json()
        assert (failed["status"], failed["failure_reason"]) == ("failed", "Carrier declined")
        assert failed["updated_at"] == "2026-03-01T10:00:05Z"
        assert await balance(client) == before
        listed = await client.get(
            AVAILABILITY, params={"country": "IN", "region": "KA", "limit": 100}, headers=VOBIZ
        )
        assert order["selected_phone_number"] in {i["e164"] for i in listed.json()["items"]}
        # The number is free again: another account can order it.
        again = {**ORDER, "preferred_number": order["selected_phone_number"]}
        other = await client.post(ORDERS, json=again, headers=vobiz_account("second02"))
        assert other.status_code == 201


async def test_an_order_completes_after_the_scenario_delay(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = write_scenario(tmp_path, {"vobiz": {"orders": {"completedAfterSeconds": 120}}})
    async with serve(path, clock) as (_, client):
        order = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
        clock.advance(timedelta(seconds=119))
        assert (await client.get(f"{ORDERS}/{order['id']}", headers=VOBIZ)).json()[
            "status"
        ] == "pending"
        clock.advance(timedelta(seconds=1))
        done = (await client.get(f"{ORDERS}/{order['id']}", headers=VOBIZ)).json()
        assert (done["status"], done["updated_at"]) == ("completed", "2026-03-01T10:02:00Z")
        late = await client.post(f"{ORDERS}/{order['id']}/cancel", headers=VOBIZ)
        assert late.status_code == 409


async def test_a_new_code_inside_the_cooldown_is_429_with_retry_after(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    first = code_of(app)
    clock.advance(timedelta(seconds=18))
    early = await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    assert early.status_code == 429
    assert early.headers["retry-after"] == "12"
    assert early.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert early.json()["error"]["details"]["retryAfter"] == 12
    clock.advance(timedelta(seconds=12))
    resent = await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "voice"}, headers=VOBIZ
    )
    assert resent.status_code == 200
    assert resent.json()["expires_at"] == "2026-03-01T10:10:30Z"
    second = code_of(app)
    if second != first:  # the old code is void
        stale = await client.post(
            CONFIRM, json={"phone_number": PHONE, "otp_code": first}, headers=VOBIZ
        )
        assert stale.status_code == 400
    ok = await client.post(CONFIRM, json={"phone_number": PHONE, "otp_code": second}, headers=VOBIZ)
    assert ok.status_code == 200


async def test_five_wrong_codes_lock_the_verification(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    right = code_of(app)
    wrong = "000000" if right != "000000" else "111111"
    remaining = []
    for _ in range(5):
        response = await client.post(
            CONFIRM, json={"phone_number": PHONE, "otp_code": wrong}, headers=VOBIZ
        )
        assert response.status_code == 400
        remaining.append(response.json()["error"]["details"]["attempts_remaining"])
    assert remaining == [4, 3, 2, 1, 0]
    locked = await client.post(
        CONFIRM, json={"phone_number": PHONE, "otp_code": right}, headers=VOBIZ
    )
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "VERIFICATION_LOCKED"
    assert locked.headers["retry-after"] == "3600"
    again = await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    assert again.status_code == 429
    clock.advance(timedelta(hours=1))
    fresh = await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    assert fresh.status_code == 200
    assert fresh.json()["status"] == "pending"


async def test_unknown_and_expired_verifications_are_clear_4xx(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    missing = await client.post(
        CONFIRM, json={"phone_number": PHONE, "otp_code": "123456"}, headers=VOBIZ
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "VERIFICATION_NOT_FOUND"
    await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    clock.advance(timedelta(minutes=10))
    expired = await client.post(
        CONFIRM, json={"phone_number": PHONE, "otp_code": "123456"}, headers=VOBIZ
    )
    assert expired.status_code == 422
    assert expired.json()["error"]["details"]["errors"][0] == {
        "field": "otp_code",
        "message": "the code expired; request a new one",
        "code": "EXPIRED",
    }


async def test_a_rule_fixes_the_code_that_is_sent(tmp_path: Path, clock: ManualClock) -> None:
    rules = [{"on": "otp", "outcome": "code", "code": "424242"}]
    async with serve(write_scenario(tmp_path, {"vobiz": {"rules": rules}}), clock) as (_, client):
        await client.post(
            VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
        )
        ok = await client.post(
            CONFIRM, json={"phone_number": PHONE, "otp_code": "424242"}, headers=VOBIZ
        )
        assert ok.status_code == 200


async def test_a_number_is_held_by_one_account_at_a_time(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    other = vobiz_account("other002")
    await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    busy = await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=other
    )
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "NUMBER_IN_USE"
    clock.advance(timedelta(minutes=10))  # the first account's code expired: the number is free
    assert (
        await client.post(
            VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=other
        )
    ).status_code == 200
    order = (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).json()
    ordered = await client.post(
        VERIFY,
        json={"phone_number": order["selected_phone_number"], "verification_method": "sms"},
        headers=other,
    )
    assert ordered.status_code == 409
    # Vobiz's own numbers are ordered, not brought: not even by the account that ordered it,
    # and not while they are for sale.
    mine = await client.post(
        VERIFY,
        json={"phone_number": order["selected_phone_number"], "verification_method": "sms"},
        headers=VOBIZ,
    )
    assert mine.status_code == 409
    assert "buy_from_vobiz" in mine.json()["error"]["message"]
    offered = await client.get(AVAILABILITY, params={"country": "IN"}, headers=VOBIZ)
    for_sale = await client.post(
        VERIFY,
        json={"phone_number": offered.json()["items"][0]["e164"], "verification_method": "sms"},
        headers=VOBIZ,
    )
    assert for_sale.status_code == 409
