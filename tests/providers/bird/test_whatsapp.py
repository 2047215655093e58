"""WhatsApp pre-verification of bought WhatsApp-capable numbers, on the clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mockserver import ManualClock
from tests.providers.bird.helpers import number
from tests.support.credentials import BIRD, LONG_CODES, STOCK
from tests.support.scenarios import serve, write_scenario


async def buy_whatsapp(client: httpx.AsyncClient) -> str:
    page = await client.get(
        STOCK, params={"countryCodes": "NL", "features": "whatsapp", "limit": 20}, headers=BIRD
    )
    item = next(i for i in page.json()["results"] if not i["backOrderRequired"])
    bought = await client.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
    assert bought.status_code == 201
    assert "whatsApp" not in bought.json()["results"][0]["endpoint"]  # not before provisioned
    return str(bought.json()["results"][0]["id"])


async def whatsapp(client: httpx.AsyncClient, number_id: str) -> tuple[dict[str, Any], list[str]]:
    body = await number(client, number_id)
    return body["endpoint"].get("whatsApp", {}), body["endpoint"]["issues"]


async def test_a_number_is_pre_verified_in_stages_once_provisioned(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    number_id = await buy_whatsapp(client)
    clock.advance(timedelta(seconds=5))  # fulfilled: pre-verification starts
    state, issues = await whatsapp(client, number_id)
    assert (state["stage"], state["status"], state["attempt"]) == ("requesting-code", "unknown", 1)
    assert len(state["whatsAppId"]) == 16
    assert state["verificationExpiresAt"] is None
    assert issues == ["whatsapp-not-pre-verified"]
    clock.advance(timedelta(seconds=5))
    state, _ = await whatsapp(client, number_id)
    assert (state["stage"], state["status"]) == ("code-requested", "not-verified")
    assert state["requestedCodeAt"] == "2026-03-01T10:00:10.000Z"
    clock.advance(timedelta(seconds=5))
    assert (await whatsapp(client, number_id))[0]["stage"] == "verifying"
    clock.advance(timedelta(seconds=5))
    state, issues = await whatsapp(client, number_id)
    assert (state["stage"], state["status"]) == ("verified", "verified")
    assert state["verificationExpiresAt"] == "2026-05-30T10:00:20.000Z"
    assert issues == []
    body = await number(client, number_id)
    capability = next(c for c in body["endpoint"]["capabilities"] if c["name"] == "whatsapp")
    assert capability["outbound"]["status"] == "active"
    clock.advance(timedelta(days=90))
    state, issues = await whatsapp(client, number_id)
    assert (state["stage"], state["status"]) == ("expired", "expired")
    assert issues == ["whatsapp-not-pre-verified"]


async def test_a_failed_attempt_is_retried_after_a_back_off(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [{"on": "whatsapp", "outcome": "fail", "attempts": 1}]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (_, client):
        number_id = await buy_whatsapp(client)
        clock.advance(timedelta(seconds=20))  # provisioned at 5, attempt 1 fails at 20
        state, issues = await whatsapp(client, number_id)
        assert (state["stage"], state["status"], state["attempt"]) == (
            "retry-scheduled",
            "not-verified",
            1,
        )
        assert state["nextAttemptAt"] == "2026-03-01T10:01:20.000Z"
        assert issues == ["whatsapp-not-pre-verified"]
        clock.advance(timedelta(seconds=60))
        state, _ = await whatsapp(client, number_id)
        assert (state["stage"], state["attempt"]) == ("requesting-code", 2)
        assert "nextAttemptAt" not in state
        clock.advance(timedelta(seconds=15))
        assert (await whatsapp(client, number_id))[0]["status"] == "verified"


async def test_after_the_last_attempt_it_stays_not_verified(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [{"on": "whatsapp", "outcome": "fail", "attempts": 3}]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (_, client):
        number_id = await buy_whatsapp(client)
        clock.advance(timedelta(hours=1))
        state, issues = await whatsapp(client, number_id)
        assert (state["stage"], state["status"], state["attempt"]) == ("failed", "not-verified", 3)
        assert "nextAttemptAt" not in state
        assert issues == ["whatsapp-not-pre-verified"]


async def test_a_number_already_on_whatsapp_cannot_be_pre_verified(
    tmp_path: Path, clock: ManualClock
) -> None:
    rules = [{"on": "whatsapp", "outcome": "already-exists"}]
    async with serve(write_scenario(tmp_path, {"bird": {"rules": rules}}), clock) as (_, client):
        number_id = await buy_whatsapp(client)
        clock.advance(timedelta(minutes=1))
        state, issues = await whatsapp(client, number_id)
        assert (state["stage"], state["status"]) == ("failed", "already-exists")
        assert issues == ["whatsapp-not-pre-verified"]
