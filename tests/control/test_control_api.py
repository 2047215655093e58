"""Every control operation through HTTP (specs/control.yaml), on a manual clock."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import START
from tests.providers.bird.helpers import buy_one, find, number
from tests.support.credentials import (
    BIRD,
    BIRD_ACCESS_KEY,
    BIRD_USER_TOKEN,
    BIRD_WS,
    CHANNELS,
    CONFIRM,
    LONG_CODES,
    ORDER,
    ORDERS,
    PHONE,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
    VOBIZ_TOKEN,
    bird_key,
    vobiz_account,
)

PROBLEM = "application/problem+json"


async def json_of(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def inr_balance(client: httpx.AsyncClient, headers: dict[str, str] = VOBIZ) -> str:
    auth_id = headers["X-Auth-ID"]
    body = await json_of(
        await client.get(f"/api/v1/account/{auth_id}/balance/INR", headers=headers)
    )
    return str(body["available_balance"])


# --- health and clock -------------------------------------------------------------------


async def test_health_reports_version_seed_and_the_clock(client: httpx.AsyncClient) -> None:
    health = await json_of(await client.get("/_mock/health"))
    assert health["status"] == "ok"
    assert health["seed"] == 1
    assert health["clock"] == {"now": "2026-03-01T10:00:00Z", "mode": "manual", "frozen": True}
    assert health["specs"]["control"] == "/_mock/specs/control.json"


async def test_the_clock_advances_sets_forward_only_freezes_and_runs(
    client: httpx.AsyncClient,
) -> None:
    moved = await json_of(await client.post("/_mock/clock/advance", json={"seconds": 90}))
    assert moved["now"] == "2026-03-01T10:01:30Z"
    jumped = await json_of(await client.put("/_mock/clock", json={"now": "2026-03-02T00:00:00Z"}))
    assert jumped["now"] == "2026-03-02T00:00:00Z"
    back = await client.put("/_mock/clock", json={"now": "2026-03-01T00:00:00Z"})
    assert back.status_code == 409
    assert back.headers["content-type"] == PROBLEM
    assert back.json()["code"] == "clock-backwards"
    assert (await json_of(await client.get("/_mock/clock")))["now"] == "2026-03-02T00:00:00Z"
    running = await json_of(await client.post("/_mock/clock/unfreeze"))
    assert running["frozen"] is False
    assert running["now"] >= "2026-03-02T00:00:00"  # it runs on from there, no jump back
    frozen = await json_of(await client.post("/_mock/clock/freeze"))
    assert frozen["frozen"] is True
    again = await json_of(await client.get("/_mock/clock"))
    assert again["now"] == frozen["now"]


async def test_advancing_the_clock_moves_every_lifecycle(client: httpx.AsyncClient) -> None:
    order = await json_of(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    bought = await buy_one(client)
    await client.post("/_mock/clock/advance", json={"seconds": 60})
    completed = await json_of(await client.get(f"{ORDERS}/{order['id']}", headers=VOBIZ))
    assert completed["status"] == "completed"
    assert (await number(client, bought["id"]))["order"]["status"] == "fulfilled"


async def test_bad_control_requests_are_problem_json(client: httpx.AsyncClient) -> None:
    negative = await client.post("/_mock/clock/advance", json={"seconds": -1})
    assert negative.status_code == 422
    problem = negative.json()
    assert negative.headers["content-type"] == PROBLEM
    assert problem["title"] == "Unprocessable Entity"
    assert problem["errors"][0]["location"] == "body"
    malformed = await client.post(
        "/_mock/clock/advance", content=b"{", headers={"content-type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed-json")
    unknown = await client.get("/_mock/nothing-here")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, PROBLEM)
    wrong_method = await client.delete("/_mock/clock")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["allow"]


# --- wallets ----------------------------------------------------------------------------


async def test_wallets_are_listed_with_their_ledgers_and_can_be_set(
    client: httpx.AsyncClient,
) -> None:
    await json_of(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    listed = await json_of(
        await client.get("/_mock/wallets", params={"provider": "vobiz", "tenant": VOBIZ_AUTH_ID})
    )
    inr = next(w for w in listed["wallets"] if w["currency"] == "INR")
    assert inr["openingBalance"] == "25000.00"
    assert [e["kind"] for e in inr["ledger"]] == ["debit"]
    assert inr["balance"] == inr["ledger"][-1]["balanceAfter"]

    set_to = await client.put(f"/_mock/wallets/vobiz/{VOBIZ_AUTH_ID}/INR", json={"balance": "1"})
    wallet = await json_of(set_to)
    assert wallet["balance"] == "1.00"
    assert wallet["ledger"][-1]["kind"] == "debit"  # the adjustment keeps the ledger whole
    assert await inr_balance(client) == "1"
    short = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert short.status_code == 402

    bird = await json_of(await client.get("/_mock/wallets", params={"tenant": BIRD_WS}))
    [bird_wallet] = bird["wallets"]
    assert (bird_wallet["provider"], bird_wallet["owner"]) == ("bird", "acme")
    raised = await client.put(
        f"/_mock/wallets/bird/{BIRD_WS}/{bird_wallet['currency']}", json={"balance": "1000"}
    )
    assert (await json_of(raised))["ledger"][-1]["kind"] == "credit"


async def test_setting_an_unknown_wallet_is_a_clear_problem(client: httpx.AsyncClient) -> None:
    missing = await client.put("/_mock/wallets/vobiz/MA_NOBODY00/INR", json={"balance": "1"})
    assert missing.status_code == 404
    assert "may not have been used yet" in missing.json()["detail"]
    currency = await client.put(f"/_mock/wallets/vobiz/{VOBIZ_AUTH_ID}/EUR", json={"balance": "1"})
    assert (currency.status_code, currency.json()["code"]) == (409, "currency-not-held")
    precise = await client.put(
        f"/_mock/wallets/vobiz/{VOBIZ_AUTH_ID}/INR", json={"balance": "1.001"}
    )
    assert precise.status_code == 422


# --- rules ------------------------------------------------------------------------------


async def test_rules_force_outcomes_in_order_and_are_consumed(client: httpx.AsyncClient) -> None:
    rule = await json_of(
        await client.post(
            "/_mock/rules",
            json={
                "provider": "vobiz",
                "on": "order",
                "outcome": "failed",
                "reason": "Carrier declined",
                "afterSeconds": 2,
                "accountId": VOBIZ_AUTH_ID,
            },
        ),
        201,
    )
    assert (rule["remaining"], rule["tenant"]) == (1, VOBIZ_AUTH_ID)
    assert rule["params"] == {"reason": "Carrier declined", "afterSeconds": 2}
    listed = await json_of(await client.get("/_mock/rules"))
    assert rule["id"] in [r["id"] for r in listed["rules"]]

    other = await json_of(
        await client.post(ORDERS, json=ORDER, headers=vobiz_account("rules001")), 201
    )
    mine = await json_of(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    await client.post("/_mock/clock/advance", json={"seconds": 60})
    failed = await json_of(await client.get(f"{ORDERS}/{mine['id']}", headers=VOBIZ))
    assert (failed["status"], failed["failure_reason"]) == (
        "failed",
        "Carrier declined",
    )
    untouched = await client.get(f"{ORDERS}/{other['id']}", headers=vobiz_account("rules001"))
    assert untouched.json()["status"] == "completed"
    assert rule["id"] not in [r["id"] for r in (await client.get("/_mock/rules")).json()["rules"]]


async def test_a_payment_rule_answers_402_whatever_the_balance(client: httpx.AsyncClient) -> None:
    await client.post(
        "/_mock/rules", json={"provider": "bird", "on": "payment", "outcome": "declined"}
    )
    before = await json_of(await client.get("/_mock/wallets", params={"tenant": BIRD_WS}))
    [item] = await find(client)
    declined = await client.post(
        LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD
    )
    assert declined.status_code == 402
    assert "declined" in declined.json()["message"]
    after = await json_of(await client.get("/_mock/wallets", params={"tenant": BIRD_WS}))
    assert after == before  # nothing charged
    again = await client.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
    assert again.status_code == 201  # the rule was used up

    await client.post(
        "/_mock/rules", json={"provider": "vobiz", "on": "payment", "outcome": "declined"}
    )
    vobiz = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert (vobiz.status_code, vobiz.json()["error"]["code"]) == (402, "INSUFFICIENT_BALANCE")
    assert vobiz.json()["error"]["details"]["shortfall"] in ("0.00", 0, "0")


async def test_rules_can_be_deleted_one_or_all(client: httpx.AsyncClient) -> None:
    body = {"provider": "bird", "on": "whatsapp", "outcome": "fail", "attempts": 2, "count": 3}
    first = await json_of(await client.post("/_mock/rules", json=body), 201)
    await client.post("/_mock/rules", json=body)
    assert (await client.delete(f"/_mock/rules/{first['id']}")).status_code == 204
    assert (await client.delete(f"/_mock/rules/{first['id']}")).status_code == 404
    assert len((await client.get("/_mock/rules")).json()["rules"]) == 1
    assert (await client.delete("/_mock/rules")).status_code == 204
    assert (await client.get("/_mock/rules")).json()["rules"] == []
    mixed = await client.post(
        "/_mock/rules", json={"provider": "bird", "on": "otp", "outcome": "code", "code": "1234"}
    )
    assert mixed.status_code == 422  # an OTP rule is Vobiz's


# --- OTP oracle -------------------------------------------------------------------------


async def test_the_otp_oracle_shows_the_codes_sent_newest_first(
    client: httpx.AsyncClient,
) -> None:
    verify = {"phone_number": PHONE, "verification_method": "sms"}
    await json_of(await client.post(VERIFY, json=verify, headers=VOBIZ))
    await client.post("/_mock/clock/advance", json={"seconds": 31})
    await json_of(
        await client.post(VERIFY, json={**verify, "verification_method": "voice"}, headers=VOBIZ)
    )
    oracle = await json_of(await client.get("/_mock/otp", params={"phone_number": PHONE}))
    latest, voided = oracle["codes"]
    assert (latest["channel"], latest["status"], voided["status"]) == ("voice", "pending", "voided")
    assert latest["expiresAt"] == "2026-03-01T10:10:31Z"
    wrong = "0" * 6 if latest["code"] != "0" * 6 else "1" * 6
    await client.post(CONFIRM, json={"phone_number": PHONE, "otp_code": wrong}, headers=VOBIZ)
    ok = await client.post(
        CONFIRM, json={"phone_number": PHONE, "otp_code": latest["code"]}, headers=VOBIZ
    )
    assert (await json_of(ok))["status"] == "verified"
    after = await json_of(await client.get("/_mock/otp", params={"phone_number": PHONE}))
    assert (after["codes"][0]["status"], after["codes"][0]["attempts"]) == ("verified", 1)
    none = await json_of(await client.get("/_mock/otp", params={"phone_number": "+14155550999"}))
    assert none["codes"] == []


async def test_a_fixed_code_rule_reaches_the_oracle(client: httpx.AsyncClient) -> None:
    await client.post(
        "/_mock/rules", json={"provider": "vobiz", "on": "otp", "outcome": "code", "code": "4321"}
    )
    await client.post(
        VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=VOBIZ
    )
    oracle = await json_of(await client.get("/_mock/otp", params={"phone_number": PHONE}))
    assert oracle["codes"][0]["code"] == "4321"


# --- faults -----------------------------------------------------------------------------


async def test_a_forced_status_answers_in_the_providers_dialect_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    added = await json_of(
        await client.post(
            "/_mock/faults",
            json={
                "path": "/api/v1/messaging/numbers/whatsapp/orders",
                "method": "POST",
                "status": 503,
            },
        ),
        201,
    )
    [fault] = added["faults"]
    before = await inr_balance(client)
    vobiz = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert vobiz.status_code == 503
    assert vobiz.json()["status"] == "error"
    assert vobiz.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert await inr_balance(client) == before
    listed = await json_of(await client.get("/_mock/faults"))
    assert listed["faults"][0]["hits"] == 1
    journal = await json_of(await client.get("/_mock/journal", params={"status": 503}))
    assert journal["entries"][0]["fault"] == fault["id"]
    assert (await client.delete(f"/_mock/faults/{fault['id']}")).status_code == 204
    assert (await client.post(ORDERS, json=ORDER, headers=VOBIZ)).status_code == 201


async def test_faults_match_by_operation_and_tenant(client: httpx.AsyncClient) -> None:
    await client.post(
        "/_mock/faults",
        json={"operationId": "listWorkspaceLongCodeNumbers", "tenant": BIRD_WS, "status": 500},
    )
    hit = await client.get(LONG_CODES, headers=BIRD)
    assert (hit.status_code, hit.json()["code"]) == (500, "InternalServerError")
    other_ws = "11111111-2222-4333-8444-555555555555"
    other = await client.get(f"/workspaces/{other_ws}/numbers-long-code", headers=bird_key("ft"))
    assert other.status_code == 200
    assert (await client.delete("/_mock/faults")).status_code == 204
    assert (await client.get(LONG_CODES, headers=BIRD)).status_code == 200


async def test_birds_documented_rate_limits_as_an_opt_in_profile(
    client: httpx.AsyncClient,
) -> None:
    added = await json_of(
        await client.post("/_mock/faults", json={"profile": "bird-documented-rate-limits"}), 201
    )
    assert [(f["method"], f["rateLimit"]["limit"]) for f in added["faults"]] == [
        ("GET", 50),
        ("POST", 500),
    ]
    statuses = [(await client.get(LONG_CODES, headers=BIRD)).status_code for _ in range(51)]
    assert statuses[:50] == [200] * 50
    limited = await client.get(LONG_CODES, headers=BIRD)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    other_ws = "11111111-2222-4333-8444-555555555555"
    fresh = await client.get(f"/workspaces/{other_ws}/numbers-long-code", headers=bird_key("rl"))
    assert fresh.status_code == 200  # limits count per workspace
    await client.post("/_mock/clock/advance", json={"seconds": 1})
    assert (await client.get(LONG_CODES, headers=BIRD)).status_code == 200


async def test_an_intermittent_fault_is_seeded(client: httpx.AsyncClient) -> None:
    body = {"provider": "bird", "method": "GET", "status": 502, "probability": 0.5, "seed": 7}

    async def pattern() -> list[int]:
        await client.delete("/_mock/faults")
        await client.post("/_mock/faults", json=body)
        return [(await client.get(LONG_CODES, headers=BIRD)).status_code for _ in range(20)]

    first = await pattern()
    assert set(first) == {200, 502}
    assert await pattern() == first


async def test_a_fault_needs_an_effect(client: httpx.AsyncClient) -> None:
    nothing = await client.post("/_mock/faults", json={"provider": "bird"})
    assert nothing.status_code == 422
    backwards = await client.post("/_mock/faults", json={"latencyMs": {"min": 10, "max": 5}})
    assert backwards.status_code == 422


async def test_latency_is_injected(client: httpx.AsyncClient) -> None:
    await client.post("/_mock/faults", json={"provider": "vobiz", "latencyMs": {"min": 30}})
    response = await client.get(f"{ORDERS}", headers=VOBIZ)
    assert response.status_code == 200
    [entry] = (await client.get("/_mock/journal")).json()["entries"]
    assert entry["durationMs"] >= 30


# --- journal ----------------------------------------------------------------------------


async def test_the_journal_records_provider_requests_with_their_request_ids(
    client: httpx.AsyncClient,
) -> None:
    bird = await client.get(LONG_CODES, headers=BIRD)
    vobiz = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    await client.get("/_mock/health")  # the control plane's own requests are not recorded
    journal = await json_of(await client.get("/_mock/journal"))
    assert [e["requestId"] for e in journal["entries"]] == [
        vobiz.headers["x-request-id"],
        bird.headers["x-request-id"],
    ]
    newest = journal["entries"][0]
    assert newest["operationId"] == "createWhatsAppNumberOrder"
    assert (newest["tenant"], newest["status"], newest["at"]) == (
        VOBIZ_AUTH_ID,
        201,
        START.isoformat().replace("+00:00", "Z"),
    )
    only_bird = await json_of(
        await client.get("/_mock/journal", params={"tenant": BIRD_WS, "path": "/workspaces/"})
    )
    assert [e["provider"] for e in only_bird["entries"]] == ["bird"]
    by_id = await json_of(
        await client.get("/_mock/journal", params={"requestId": bird.headers["x-request-id"]})
    )
    assert len(by_id["entries"]) == 1
    assert (await client.delete("/_mock/journal")).status_code == 204
    assert (await json_of(await client.get("/_mock/journal")))["entries"] == []


async def test_the_journal_is_a_bounded_ring_buffer(client: httpx.AsyncClient) -> None:
    for _ in range(1005):
        await client.get("/nothing", headers=BIRD)
    journal = await json_of(await client.get("/_mock/journal", params={"limit": 10000}))
    assert (len(journal["entries"]), journal["capacity"], journal["recorded"]) == (1000, 1000, 1005)


# --- reset and state --------------------------------------------------------------------


async def test_reset_of_one_tenant_leaves_the_others_untouched(
    client: httpx.AsyncClient,
) -> None:
    other = vobiz_account("reset001")
    mine = await json_of(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    theirs = await json_of(await client.post(ORDERS, json=ORDER, headers=other), 201)
    before_other = await inr_balance(client, other)
    reset = await client.post("/_mock/reset", json={"provider": "vobiz", "tenant": VOBIZ_AUTH_ID})
    assert (await json_of(reset))["reset"] == "tenant"
    assert await inr_balance(client) == "25000"
    assert (await client.get(f"{ORDERS}/{mine['id']}", headers=VOBIZ)).status_code == 404
    assert (await client.get(f"{ORDERS}/{theirs['id']}", headers=other)).status_code == 200
    assert await inr_balance(client, other) == before_other
    # The number the reset account had ordered is for sale again.
    again = {**ORDER, "preferred_number": mine["selected_phone_number"]}
    assert (await client.post(ORDERS, json=again, headers=VOBIZ)).status_code == 201

    bought = await buy_one(client)
    await client.post("/_mock/reset", json={"provider": "bird", "tenant": BIRD_WS})
    assert (await client.get(f"{LONG_CODES}/{bought['id']}", headers=BIRD)).status_code == 404
    unknown = await client.post("/_mock/reset", json={"provider": "bird", "tenant": "nobody"})
    assert unknown.status_code == 404
    half = await client.post("/_mock/reset", json={"provider": "bird"})
    assert half.status_code == 422


async def test_a_full_reset_replays_identically(client: httpx.AsyncClient) -> None:
    async def flow() -> list[Any]:
        order = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
        bought = await buy_one(client)
        return [order.json(), bought, order.headers["x-request-id"]]

    first = await flow()
    await client.post(
        "/_mock/rules", json={"provider": "bird", "on": "payment", "outcome": "declined"}
    )
    await client.post("/_mock/faults", json={"provider": "bird", "status": 500})
    assert (await json_of(await client.post("/_mock/reset")))["reset"] == "all"
    again = await flow()
    assert again[:2] == first[:2]  # the randomness starts over: the same ids and numbers
    assert again[2] != first[2]  # but a request id never stands for two requests
    assert (await client.get("/_mock/rules")).json()["rules"] == []
    assert (await client.get("/_mock/faults")).json()["faults"] == []
    assert (await client.get("/_mock/journal")).json()["recorded"] == 3


async def test_a_dump_restored_later_continues_identically(client: httpx.AsyncClient) -> None:
    pending = await json_of(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    dump = await json_of(await client.get("/_mock/state", params={"secrets": "true"}))

    async def later() -> list[Any]:
        await client.post("/_mock/clock/advance", json={"seconds": 45})
        seen = await client.get(f"{ORDERS}/{pending['id']}", headers=VOBIZ)
        order = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
        return [seen.json(), order.json(), await inr_balance(client)]

    first = await later()
    assert first[0]["status"] == "completed"
    await client.post("/_mock/reset")
    restored = await json_of(await client.put("/_mock/state", json=dump))
    assert restored["now"] == "2026-03-01T10:00:00Z"
    assert await later() == first


async def test_a_tenant_dump_and_refused_restores(client: httpx.AsyncClient) -> None:
    await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    part = await json_of(
        await client.get("/_mock/state", params={"provider": "vobiz", "tenant": VOBIZ_AUTH_ID})
    )
    assert part["tenant"] == VOBIZ_AUTH_ID
    refused = await client.put("/_mock/state", json=part)
    assert (refused.status_code, refused.json()["code"]) == (409, "dump-not-restorable")
    full = await json_of(await client.get("/_mock/state", params={"secrets": "true"}))
    other_seed = await client.put("/_mock/state", json={**full, "seed": 2})
    assert other_seed.status_code == 409
    assert "seed" in other_seed.json()["detail"]
    junk = await client.put("/_mock/state", json={"format": "numbers-mock/state"})
    assert junk.status_code == 422  # the spec's required fields
    unknown = await client.get(
        "/_mock/state", params={"provider": "vobiz", "tenant": "MA_NOBODY00"}
    )
    assert unknown.status_code == 404


async def test_a_dump_hides_secrets_unless_asked_and_a_redacted_one_is_not_restored(
    client: httpx.AsyncClient,
) -> None:
    channel = {
        "waba_id": "1911116896216319",
        "phone_number_id": "974161339121558",
        "phone_number": "+14155550999",
        "number_onboarding_mode": "embedded_signup",
        "number_provider": "meta_direct",
        "access_token": "EAAsecret-channel-token",
        "display_name": "Acme",
    }
    assert (await client.post(CHANNELS, json=channel, headers=VOBIZ)).status_code == 201
    secrets = ["EAAsecret-channel-token", BIRD_ACCESS_KEY, BIRD_USER_TOKEN, VOBIZ_TOKEN]
    redacted = await client.get("/_mock/state")
    assert redacted.json()["secrets"] == "redacted"
    assert not [secret for secret in secrets if secret in redacted.text]
    assert "AccessKey <redacted:" in redacted.text  # the scheme stays, the key does not
    whole = await client.get("/_mock/state", params={"secrets": "true"})
    assert whole.json()["secrets"] == "included"
    assert all(secret in whole.text for secret in secrets)
    refused = await client.put("/_mock/state", json=redacted.json())
    assert (refused.status_code, refused.json()["code"]) == (409, "dump-not-restorable")
    assert "secrets=true" in refused.json()["detail"]
    assert (await client.put("/_mock/state", json=whole.json())).status_code == 200
