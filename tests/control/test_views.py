"""What the control plane shows of tenants, codes and requests, for the dashboard and for
any harness: GET /_mock/tenants[/{provider}/{tenant}] (each resource with its statuses as of
now and its next scheduled change), every OTP code sent, one journal entry with its
headers and bodies (secrets redacted), the journal filtered by operation, and the
dashboard's browser session (POST /_mock/session)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.providers.bird.platform.auth import workspace_of
from tests.conftest import START
from tests.providers.bird.helpers import buy_one
from tests.support.credentials import (
    BIRD,
    BIRD_ACCESS_KEY,
    BIRD_WS,
    CHANNELS,
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

PLATFORM_KEY = "bk_eu1_dashboard_view_key_000001"
PLATFORM = {"Authorization": f"Bearer {PLATFORM_KEY}"}


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def tenant(client: httpx.AsyncClient, provider: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = await ok(await client.get(f"/_mock/tenants/{provider}/{name}"))
    return found


def section(detail: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    [found] = [s["records"] for s in detail["sections"] if s["kind"] == kind]
    return found


# --- tenants ---------------------------------------------------------------------------------


async def test_every_tenant_is_listed_with_its_counts(client: httpx.AsyncClient) -> None:
    await ok(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    await ok(await client.get(CHANNELS, headers=vobiz_account("viewer1")))
    listed = (await ok(await client.get("/_mock/tenants")))["tenants"]
    by_name = {(t["provider"], t["tenant"]): t for t in listed}
    acme = by_name[("vobiz", VOBIZ_AUTH_ID)]
    assert acme["surfaces"] == ["vobiz", "vobiz-account"]
    assert acme["counts"] == {"orders": 1, "numbers": 0, "verifications": 0, "channels": 0}
    assert ("vobiz", "MA_VIEWER10") in by_name  # an ad-hoc account, after its first request
    bird = by_name[("bird", BIRD_WS)]
    assert (bird["owner"], bird["surfaces"]) == ("acme", ["bird"])
    only = (await ok(await client.get("/_mock/tenants", params={"provider": "vobiz"})))["tenants"]
    assert {t["provider"] for t in only} == {"vobiz"}
    assert (await client.get("/_mock/tenants", params={"provider": "nope"})).status_code == 422


async def test_a_pending_vobiz_order_shows_when_it_completes(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    placed = await ok(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    detail = await tenant(client, "vobiz", VOBIZ_AUTH_ID)
    assert detail["now"] == "2026-03-01T10:00:00Z"
    [order] = section(detail, "orders")
    assert order["id"] == placed["id"]
    assert order["fields"]["number"] == placed["selected_phone_number"]
    assert order["statuses"] == {"order": "pending"}
    assert order["nextChange"] == {
        "at": "2026-03-01T10:00:30Z",
        "statuses": {"order": "completed"},
    }
    assert order["fields"]["country"] == "IN"
    [inr] = [w for w in detail["wallets"] if w["currency"] == "INR"]
    assert inr["balance"] == "24250.00"
    assert inr["ledger"][0]["kind"] == "debit"
    await ok(await client.post("/_mock/clock/advance", json={"seconds": 30}))
    [order] = section(await tenant(client, "vobiz", VOBIZ_AUTH_ID), "orders")
    assert (order["statuses"], order["nextChange"]) == ({"order": "completed"}, None)


async def test_a_failing_order_and_a_verification_show_their_next_change(
    client: httpx.AsyncClient,
) -> None:
    rule = {"provider": "vobiz", "on": "order", "outcome": "failed", "afterSeconds": 5}
    await ok(await client.post("/_mock/rules", json=rule), 201)
    await ok(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    body = {"phone_number": PHONE, "verification_method": "sms"}
    await ok(await client.post(VERIFY, json=body, headers=VOBIZ))
    detail = await tenant(client, "vobiz", VOBIZ_AUTH_ID)
    [order] = section(detail, "orders")
    assert order["nextChange"] == {"at": "2026-03-01T10:00:05Z", "statuses": {"order": "failed"}}
    [verification] = section(detail, "verifications")
    assert verification["statuses"] == {"verification": "pending"}
    assert verification["fields"]["number"] == PHONE
    assert verification["nextChange"] == {
        "at": "2026-03-01T10:10:00Z",
        "statuses": {"verification": "expired"},
    }


async def test_a_bird_number_shows_every_status_and_its_next_change(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    bought = await buy_one(client, countryCodes="US")
    detail = await tenant(client, "bird", BIRD_WS)
    assert detail["owner"] == "acme"
    [number] = section(detail, "numbers")
    assert number["id"] == bought["id"]
    assert number["statuses"] == {
        "order": "submitted",
        "provisioning": "provisioning",
        "subscription": "planned",
    }
    assert number["nextChange"] == {
        "at": "2026-03-01T10:00:02Z",
        "statuses": {"order": "processing"},
    }
    clock.advance(timedelta(seconds=5))
    [number] = section(await tenant(client, "bird", BIRD_WS), "numbers")
    assert number["statuses"]["order"] == "fulfilled"
    assert number["statuses"]["provisioning"] == "provisioned"
    assert number["statuses"]["subscription"] == "active"
    # The tenant's access key names all its workspaces, as a reset does.
    by_key = await tenant(client, "bird", BIRD_ACCESS_KEY)
    assert [n["id"] for n in section(by_key, "numbers")] == [bought["id"]]


async def walk(client: httpx.AsyncClient, provider: str, name: str, kind: str) -> list[str]:
    """Follow one record's next changes to the end: at each, the clock is set there and the
    record's statuses are what the change said. Returns the changes, in order."""
    seen = []
    for _ in range(50):
        [record] = section(await tenant(client, provider, name), kind)
        change = record["nextChange"]
        if change is None:
            return seen
        await ok(await client.put("/_mock/clock", json={"now": change["at"]}))
        [after] = section(await tenant(client, provider, name), kind)
        assert after["statuses"] | change["statuses"] == after["statuses"], (change, after)
        seen.append(" ".join(f"{k}={v}" for k, v in change["statuses"].items()))
    raise AssertionError(f"no end to {seen}")


async def test_a_whatsapp_number_walks_its_changes_to_the_end(
    client: httpx.AsyncClient,
) -> None:
    rule = {"provider": "bird", "on": "whatsapp", "outcome": "fail", "attempts": 1}
    await ok(await client.post("/_mock/rules", json=rule), 201)
    page = await client.get(
        "/organizations/d0b85ccc-b63a-4e81-b698-c359d77d250e/numbers-stock-items",
        params={"countryCodes": "NL", "features": "whatsapp", "limit": 20},
        headers=BIRD,
    )
    item = next(i for i in page.json()["results"] if not i["backOrderRequired"])
    path = f"/workspaces/{BIRD_WS}/numbers-long-code"
    await ok(await client.post(path, json={"numberStockItemIds": [item["id"]]}, headers=BIRD), 201)
    changes = await walk(client, "bird", BIRD_WS, "numbers")
    assert changes[:3] == [
        "order=processing",
        "order=fulfilled provisioning=provisioned whatsapp=requesting-code subscription=active",
        "whatsapp=code-requested",
    ]
    assert "whatsapp=retry-scheduled" in changes  # the attempt the rule failed
    assert changes[-2:] == ["whatsapp=verified", "whatsapp=expired"]


async def test_a_vobiz_verification_walks_to_its_expiry(client: httpx.AsyncClient) -> None:
    body = {"phone_number": PHONE, "verification_method": "voice"}
    await ok(await client.post(VERIFY, json=body, headers=VOBIZ))
    assert await walk(client, "vobiz", VOBIZ_AUTH_ID, "verifications") == ["verification=expired"]


async def test_a_platform_tenant_shows_its_orders_and_numbers(client: httpx.AsyncClient) -> None:
    found = await ok(
        await client.get(
            "/v1/numbers/available",
            params={"country_code": "GB", "number_type": "mobile", "limit": 1},
            headers=PLATFORM,
        )
    )
    number = found["data"][0]["number"]
    placed = await ok(
        await client.post("/v1/numbers/orders", json={"number": number}, headers=PLATFORM), 201
    )
    ws = workspace_of(PLATFORM_KEY)
    listed = (await ok(await client.get("/_mock/tenants", params={"provider": "bird"})))["tenants"]
    [summary] = [t for t in listed if t["tenant"] == ws]
    assert summary["surfaces"] == ["bird-platform"]
    assert summary["counts"]["orders"] == 1
    detail = await tenant(client, "bird", ws)
    [order] = section(detail, "orders")
    assert (order["id"], order["statuses"]) == (placed["id"], {"order": placed["status"]})
    if placed["status"] == "completed":
        [held] = section(detail, "numbers")
        assert held["id"] == placed["number_id"]
        assert held["statuses"]["number"] in ("active", "pending_ownership_registration")
    # The API key names the same tenant.
    assert (await tenant(client, "bird", PLATFORM_KEY))["wallets"] == detail["wallets"]


async def test_an_unknown_or_ambiguous_tenant_is_refused(client: httpx.AsyncClient) -> None:
    missing = await client.get("/_mock/tenants/vobiz/MA_NOBODY00")
    assert (missing.status_code, missing.json()["code"]) == (404, "not-found")
    # Two ad-hoc Bird tenants in a workspace of the same id: the id names neither.
    shared = "5c0ffee0-0000-4000-8000-000000000001"
    for name in ("first", "second"):
        path = f"/workspaces/{shared}/numbers-long-code"
        assert (await client.get(path, headers=bird_key(name))).status_code == 200
    ambiguous = await client.get(f"/_mock/tenants/bird/{shared}")
    assert (ambiguous.status_code, ambiguous.json()["code"]) == (409, "ambiguous-tenant")
    listed = (await ok(await client.get("/_mock/tenants", params={"provider": "bird"})))["tenants"]
    names = {t["tenant"] for t in listed}
    assert shared not in names  # listed under each tenant's id, which names it exactly
    for name in names:
        await tenant(client, "bird", name)


# --- OTP codes, the journal ---------------------------------------------------------------


async def test_every_code_sent_is_listed_newest_first_without_a_number(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    other = "+14155550199"
    for phone in (PHONE, other):
        body = {"phone_number": phone, "verification_method": "sms"}
        await ok(await client.post(VERIFY, json=body, headers=VOBIZ))
        clock.advance(timedelta(seconds=1))
    every = await ok(await client.get("/_mock/otp"))
    assert every["phone_number"] is None
    assert [c["phoneNumber"] for c in every["codes"]] == [other, PHONE]
    assert all(c["tenant"] == VOBIZ_AUTH_ID for c in every["codes"])
    newest = await ok(await client.get("/_mock/otp", params={"limit": 1}))
    assert [c["phoneNumber"] for c in newest["codes"]] == [other]
    one = await ok(await client.get("/_mock/otp", params={"phone_number": PHONE}))
    assert [c["phoneNumber"] for c in one["codes"]] == [PHONE]


async def test_the_journal_filters_by_operation(client: httpx.AsyncClient) -> None:
    await ok(await client.post(ORDERS, json=ORDER, headers=VOBIZ), 201)
    await ok(await client.get(CHANNELS, headers=VOBIZ))
    found = await ok(
        await client.get("/_mock/journal", params={"operationId": "createWhatsAppNumberOrder"})
    )
    assert [e["operationId"] for e in found["entries"]] == ["createWhatsAppNumberOrder"]


async def test_a_journal_entry_has_its_headers_and_bodies_with_secrets_redacted(
    client: httpx.AsyncClient,
) -> None:
    channel = {
        "waba_id": "102290129340398",
        "phone_number_id": "106540352242922",
        "phone_number": PHONE,
        "number_onboarding_mode": "bring_your_own",
        "number_provider": "twilio",
        "access_token": "EAAGm0PX4ZCpsBAKZAZBsecret",
        "display_name": "Acme Support",
    }
    # Refused (the number is not verified), and journaled with what was sent all the same.
    refused = await client.post(CHANNELS, json=channel, headers=VOBIZ)
    assert refused.status_code == 409, refused.text
    request_id = refused.headers["x-request-id"]
    await ok(await client.get("/workspaces/" + BIRD_WS + "/numbers-long-code", headers=BIRD))
    entry = await ok(await client.get(f"/_mock/journal/{request_id}"))
    assert (entry["requestId"], entry["operationId"], entry["status"]) == (
        request_id,
        "createWhatsAppChannel",
        409,
    )
    sent = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert sent["x-auth-id"] == VOBIZ_AUTH_ID
    assert sent["x-auth-token"] == "[redacted]"
    assert '"access_token":"[redacted]"' in entry["request"]["body"]
    assert '"display_name":"Acme Support"' in entry["request"]["body"]
    assert "NUMBER_NOT_VERIFIED" in entry["response"]["body"]
    assert entry["response"]["headers"][:2] == [
        {"name": "x-request-id", "value": request_id},
        {"name": "content-type", "value": "application/json"},
    ]
    assert entry["bodiesTruncated"] is False
    text = str(entry)
    assert VOBIZ_TOKEN not in text
    assert "EAAGm0PX4ZCpsBAKZAZBsecret" not in text
    # Bird's AccessKey keeps its scheme, loses its key.
    [bird] = (await ok(await client.get("/_mock/journal", params={"provider": "bird"})))["entries"]
    detail = await ok(await client.get(f"/_mock/journal/{bird['requestId']}"))
    authorization = [h for h in detail["request"]["headers"] if h["name"] == "authorization"]
    assert authorization == [{"name": "authorization", "value": "AccessKey [redacted]"}]
    assert BIRD_ACCESS_KEY not in str(detail)
    missing = await client.get("/_mock/journal/req_000000000000")
    assert missing.status_code == 404


async def test_long_bodies_are_kept_as_excerpts() -> None:
    app = create_app(
        Settings(seed=1, validate_responses=True, journal_excerpt_chars=40),
        clock=ManualClock(START),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        placed = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
        entry = await ok(await client.get(f"/_mock/journal/{placed.headers['x-request-id']}"))
    assert entry["bodiesTruncated"] is True
    assert len(entry["request"]["body"]) <= 40
    assert len(entry["response"]["body"]) <= 40


# --- the dashboard's browser session -------------------------------------------------------

TOKEN = "s3cret-token-for-the-dashboard"


@pytest.fixture
async def guarded() -> Any:
    app = create_app(Settings(control_token=TOKEN), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


async def test_a_session_needs_the_token_and_is_taken_from_the_browser_only(
    guarded: httpx.AsyncClient,
) -> None:
    wrong = await guarded.post("/_mock/session", json={"token": "not-the-token"})
    assert wrong.status_code == 401
    signed = await guarded.post("/_mock/session", json={"token": TOKEN})
    assert signed.status_code == 204
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/_mock/" in cookie
    assert TOKEN not in cookie
    jar = {"cookie": cookie.split(";", 1)[0]}
    # The browser's own pages and calls (Fetch Metadata) may use it...
    for site in ("same-origin", "none"):
        headers = {**jar, "sec-fetch-site": site}
        assert (await guarded.get("/_mock/wallets", headers=headers)).status_code == 200
        assert (await guarded.get("/_mock/ui/tenants", headers=headers)).status_code == 200
    # ...another site (another port of localhost too), or a client that says nothing, not.
    for headers in (
        {**jar, "sec-fetch-site": "same-site"},
        {**jar, "sec-fetch-site": "cross-site"},
        jar,
    ):
        refused = await guarded.post("/_mock/reset", headers=headers)
        assert refused.status_code == 401, headers
    forged = {"cookie": "numbers_mock_control=00", "sec-fetch-site": "same-origin"}
    assert (await guarded.get("/_mock/wallets", headers=forged)).status_code == 401


async def test_without_a_token_the_session_is_not_needed(client: httpx.AsyncClient) -> None:
    answered = await client.post("/_mock/session", json={"token": "anything"})
    assert answered.status_code == 204
    assert "set-cookie" not in answered.headers
