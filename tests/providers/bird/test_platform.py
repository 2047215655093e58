"""Bird's platform API over the ASGI app: orders on the mock clock, ownership registration,
the end of a paid period, renewals, one holder per number across both of Bird's APIs,
Idempotency-Key replays, cursor pages, the error envelope, and the control plane."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock
from mockserver.domain.inventory import Inventory
from mockserver.providers.bird.items import StockItem
from mockserver.providers.bird.platform.auth import workspace_of
from tests.support.credentials import BIRD, BIRD_WS, STOCK
from tests.support.scenarios import serve, write_scenario

KEY = "bk_eu1_behaviour_test_key_00000001"
H = {"Authorization": f"Bearer {KEY}"}
WS = workspace_of(KEY)
ORDERS = "/v1/numbers/orders"


def on_sale(
    app: Starlette,
    country: str,
    wanted: Callable[[StockItem], bool],
    count: int = 1,
    back_ordered: bool = False,
) -> list[StockItem]:
    """The first items on sale that `wanted` accepts: in the local inventory, or (asked)
    back-ordered ones, which the seed spreads through the stock."""
    inventory: Inventory[StockItem] = app.state.mock.providers[0].backend.state.inventory

    def accept(item: StockItem) -> bool:
        return not item.testing and item.back_order_required == back_ordered and wanted(item)

    items, _ = inventory.scan([(country, "+")], accept, count)
    assert len(items) == count
    return items


async def order(client: httpx.AsyncClient, number: str, **body: Any) -> dict[str, Any]:
    response = await client.post(ORDERS, json={"number": number, **body}, headers=H)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def get(client: httpx.AsyncClient, path: str, expect: int = 200, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=H)
    assert response.status_code == expect, response.text
    return response.json()


async def balance(client: httpx.AsyncClient, key: str = KEY) -> str:
    token = {"Authorization": f"Bearer boa_{key}"}
    response = await client.get("/v1/organization/billing/wallets", headers=token)
    assert response.status_code == 200, response.text
    found: str = response.json()["data"][0]["balance"]
    return found


async def set_balance(client: httpx.AsyncClient, amount: str) -> None:
    await get(client, "/v1/sms/senders")  # the key opens its tenant on first use
    response = await client.put(f"/_mock/wallets/bird/{WS}/EUR", json={"balance": amount})
    assert response.status_code == 200, response.text


async def rule(client: httpx.AsyncClient, **body: Any) -> None:
    response = await client.post(
        "/_mock/rules", json={"provider": "bird", "workspaceId": WS, **body}
    )
    assert response.status_code == 201, response.text


# --- orders on the clock ---------------------------------------------------------------------


async def test_a_carrier_number_comes_back_pending_and_completes_on_the_clock(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "GB", lambda i: True, back_ordered=True)
    placed = await order(client, item.number)
    assert (placed["status"], placed["number_id"], placed["completed_at"]) == (
        "pending",
        None,
        None,
    )
    assert await balance(client) == "99.00"  # the setup fee, during the purchase
    await get(client, f"/v1/numbers/available/{item.number}", expect=404)  # held by the order
    clock.advance(timedelta(seconds=599))
    assert (await get(client, f"{ORDERS}/{placed['id']}"))["status"] == "pending"
    clock.advance(timedelta(seconds=1))
    done = await get(client, f"{ORDERS}/{placed['id']}")
    assert done["status"] == "completed"
    assert done["completed_at"] == done["updated_at"] == "2026-03-01T10:10:00Z"
    number = await get(client, f"/v1/numbers/{done['number_id']}")
    assert number["allocated_at"] == "2026-03-01T10:10:00Z"
    month = float(number["pricing"]["recurring_price"]["amount"])
    assert float(await balance(client)) == pytest.approx(99.00 - month)


async def test_a_rule_fails_an_order_later_and_the_setup_fee_stays_charged(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    await rule(client, on="platform-order", outcome="failed", afterSeconds=30, reason="Ported away")
    [item] = on_sale(app, "NL", lambda i: i.type == "mobile")
    placed = await order(client, item.number)
    assert placed["status"] == "pending"
    clock.advance(timedelta(seconds=30))
    failed = await get(client, f"{ORDERS}/{placed['id']}")
    assert (failed["status"], failed["failure_reason"]) == ("failed", "Ported away")
    assert failed["number_id"] is None
    assert await balance(client) == "99.00"  # "A setup fee already taken is not refunded"
    await get(client, f"/v1/numbers/available/{item.number}")  # on sale again
    listed = await get(client, ORDERS, status="failed")
    assert [o["id"] for o in listed["data"]] == [placed["id"]]  # an order outlives its attempt


async def test_a_pending_order_the_wallet_cannot_finish_fails(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "GB", lambda i: True, back_ordered=True)
    placed = await order(client, item.number)
    await set_balance(client, "0.50")
    clock.advance(timedelta(minutes=10))
    failed = await get(client, f"{ORDERS}/{placed['id']}")
    assert failed["status"] == "failed"
    assert "first recurring charge" in failed["failure_reason"]
    assert await balance(client) == "0.50"


async def test_a_declined_payment_changes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    await rule(client, on="platform-payment", outcome="declined")
    [item] = on_sale(app, "GB", lambda i: i.type == "mobile")
    refused = await client.post(ORDERS, json={"number": item.number}, headers=H)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "E14005"
    assert await balance(client) == "100.00"
    assert (await get(client, ORDERS))["data"] == []
    await get(client, f"/v1/numbers/available/{item.number}")


# --- ownership registration ----------------------------------------------------------------


async def test_without_ownership_answers_a_number_stays_pending_registration(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "DE", lambda i: i.type == "mobile")
    checked = await get(client, f"/v1/numbers/available/{item.number}")
    assert checked["ownership_registration_required"] is True
    placed = await order(client, item.number)
    assert placed["status"] == "completed"  # bought first, the paperwork follows
    clock.advance(timedelta(days=30))
    number = await get(client, f"/v1/numbers/{placed['number_id']}")
    assert number["status"] == "pending_ownership_registration"
    assert number["ownership"]["status"] == "needs_input"
    assert number["ownership"]["blocked_at"] == "2026-03-01T10:00:00Z"
    assert number["ownership"]["next"][0]["kind"] == "external"
    [sender] = (await get(client, "/v1/sms/senders", number_id=placed["number_id"]))["data"]
    assert sender["status"] == "pending_number_ownership"
    assert sender["destinations"]["needs_attention"] == ["DE"]


async def test_answers_filed_with_the_order_are_reviewed_then_approved(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "DE", lambda i: i.type == "mobile")
    answers = {"answers": [{"key": "business_name", "value": "Acme GmbH"}]}
    placed = await order(client, item.number, compliance=answers)
    path = f"/v1/numbers/{placed['number_id']}"
    seen = []
    for hours in (0, 12, 12):
        clock.advance(timedelta(hours=hours))
        number = await get(client, path)
        seen.append(
            (number["status"], number["ownership"]["status"], number["ownership"]["satisfied"])
        )
    assert seen == [
        ("pending_ownership_registration", "under_review", False),
        ("pending_ownership_registration", "approval_pending", True),
        ("active", "approved", True),
    ]
    assert number["ownership"]["submission_id"].startswith("csb_")
    assert number["ownership"]["blocked_at"] is None


async def test_a_withdrawn_requirement_clears_the_block(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    await rule(client, on="platform-ownership", outcome="withdrawn", afterSeconds=60)
    [item] = on_sale(app, "IN", lambda i: i.type == "mobile")
    placed = await order(client, item.number)
    path = f"/v1/numbers/{placed['number_id']}"
    assert (await get(client, path))["status"] == "pending_ownership_registration"
    clock.advance(timedelta(seconds=60))
    number = await get(client, path)
    assert (number["status"], number["ownership"]["status"]) == ("active", "not_required")


# --- the end of a paid period, renewals ------------------------------------------------------


async def test_cancel_keeps_the_number_until_the_paid_period_ends_then_it_is_back_in_stock(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "local")
    placed = await order(client, item.number)
    path = f"/v1/numbers/{placed['number_id']}"
    cancelled = await client.delete(path, headers=H)
    assert cancelled.status_code == 200
    assert cancelled.json()["releases_at"] == "2026-04-01T10:00:00Z"
    again = await client.delete(path, headers=H)
    assert again.json()["releases_at"] == "2026-04-01T10:00:00Z"  # the same schedule
    clock.advance(timedelta(days=30, hours=23))
    assert (await get(client, path))["status"] == "active"
    clock.advance(timedelta(hours=1))
    released = await get(client, path)
    assert (released["status"], released["released_at"]) == ("released", "2026-04-01T10:00:00Z")
    assert released["pricing"] is None
    assert await balance(client) == "97.50"  # no renewal after a cancel
    assert (await get(client, "/v1/numbers", number=item.number))["data"] == []
    # Back in Bird's one stock: api.bird.com can reserve it now.
    reserve = f"/workspaces/{BIRD_WS}/numbers-stock-items/{item.id}/reservation"
    assert (await client.post(reserve, headers=BIRD)).status_code == 201


async def test_renewals_are_charged_monthly_and_an_overdue_one_blocks_cancel(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "local")
    placed = await order(client, item.number)
    path = f"/v1/numbers/{placed['number_id']}"
    clock.advance(timedelta(days=31))  # 1 April: the second month
    assert await balance(client) == "96.00"
    await set_balance(client, "1.00")
    clock.advance(timedelta(days=30))  # 1 May: the wallet cannot pay
    overdue = await client.delete(path, headers=H)
    assert overdue.status_code == 402
    assert (overdue.json()["error"]["code"], overdue.json()["error"]["type"]) == (
        "E14006",
        "billing_error",
    )
    assert (await get(client, path))["status"] == "active"
    await set_balance(client, "10.00")
    clock.advance(timedelta(days=1))  # retried daily
    assert await balance(client) == "8.50"
    cancelled = await client.delete(path, headers=H)
    assert cancelled.json()["releases_at"] == "2026-06-01T10:00:00Z"


async def test_release_gives_the_number_back_now_and_shared_numbers_stay(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    [item] = on_sale(app, "US", lambda i: i.type == "local")
    placed = await order(client, item.number)
    path = f"/v1/numbers/{placed['number_id']}"
    assert (await client.post(f"{path}/release", headers=H)).status_code == 204
    again = await client.post(f"{path}/release", headers=H)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "E14003")
    renamed = await client.patch(path, json={"name": "late"}, headers=H)
    assert renamed.json()["error"]["code"] == "E14003"
    [shared] = (await get(client, "/v1/numbers"))["data"]
    assert (shared["kind"], shared["pricing"], shared["id"][:4]) == ("shared", None, "nal_")
    refused = await client.delete(f"/v1/numbers/{shared['id']}", headers=H)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "E14002")
    named = await client.patch(f"/v1/numbers/{shared['id']}", json={"name": "Bird's"}, headers=H)
    assert named.json()["name"] == "Bird's"


# --- one holder per number, across both of Bird's APIs --------------------------------------


async def test_one_holder_per_number_across_api_bird_com_and_the_platform(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    first, second = on_sale(app, "NL", lambda i: i.type == "mobile", count=2)
    reserve = f"/workspaces/{BIRD_WS}/numbers-stock-items/{first.id}/reservation"
    assert (await client.post(reserve, headers=BIRD)).status_code == 201
    await get(client, f"/v1/numbers/available/{first.number}", expect=404)
    taken = await client.post(ORDERS, json={"number": first.number}, headers=H)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "E14001")
    assert taken.json()["error"]["param"] == "number"
    assert (await client.delete(reserve, headers=BIRD)).status_code == 204
    await order(client, first.number)
    assert (await client.post(reserve, headers=BIRD)).status_code == 409
    await order(client, second.number)
    for held in (first, second):  # api.bird.com's search no longer finds them
        query = {"countryCodes": "NL", "prefix": held.number}
        search = await client.get(STOCK, params=query, headers=BIRD)
        assert search.status_code == 200, search.text
        assert search.json()["results"] == []
    other = {"Authorization": "Bearer bk_eu1_behaviour_test_key_00000002"}
    sold = await client.post(ORDERS, json={"number": second.number}, headers=other)
    assert sold.json()["error"]["code"] == "E14001"


# --- Idempotency-Key ----------------------------------------------------------------------------


async def test_a_replay_answers_the_first_response_and_charges_once(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "mobile")
    keyed = {**H, "Idempotency-Key": "order-1"}
    first = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    replay = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.content == first.content
    assert replay.headers["idempotency-replay"] == "true"
    assert "idempotency-replay" not in first.headers
    assert await balance(client) == "94.50"  # one setup fee, one month
    assert len((await get(client, ORDERS))["data"]) == 1
    other = await client.post(ORDERS, json={"number": item.number, "reference": "x"}, headers=keyed)
    assert (other.status_code, other.json()["error"]["code"]) == (409, "E01005")
    clock.advance(timedelta(hours=3))  # the key is kept about 3 hours
    fresh = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    assert (fresh.status_code, fresh.json()["error"]["code"]) == (409, "E14001")


async def test_a_refusal_is_replayed_too_but_an_injected_fault_is_not(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "mobile")
    await set_balance(client, "1.00")
    keyed = {**H, "Idempotency-Key": "order-2"}
    poor = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    assert poor.status_code == 402
    await set_balance(client, "50.00")
    replayed = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    assert (replayed.status_code, replayed.content) == (402, poor.content)
    fault = {"provider": "bird", "operationId": "createNumberOrder", "status": 429}
    added = await client.post("/_mock/faults", json=fault)
    keyed = {**H, "Idempotency-Key": "order-3"}
    limited = await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "1")
    assert limited.json()["error"]["type"] == "rate_limit_error"
    await client.delete(f"/_mock/faults/{added.json()['faults'][0]['id']}")
    assert (
        await client.post(ORDERS, json={"number": item.number}, headers=keyed)
    ).status_code == 201


async def test_a_key_out_of_bounds_is_a_400(client: httpx.AsyncClient, app: Starlette) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "mobile")
    for key in ("", "k" * 256):
        response = await client.post(
            ORDERS, json={"number": item.number}, headers={**H, "Idempotency-Key": key}
        )
        assert response.status_code == 400, response.text
        assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
            "E01002",
            "Idempotency-Key",
        )
    assert await balance(client) == "100.00"


# --- cursor pages ----------------------------------------------------------------------------


async def test_available_pages_go_forward_and_back(client: httpx.AsyncClient) -> None:
    first = await get(client, "/v1/numbers/available", country_code="gb", limit=3)
    assert first["prev_cursor"] is None
    assert first["next_cursor"] is not None
    second = await get(
        client,
        "/v1/numbers/available",
        country_code="gb",
        limit=3,
        starting_after=first["next_cursor"],
    )
    back = await get(
        client,
        "/v1/numbers/available",
        country_code="gb",
        limit=3,
        ending_before=second["prev_cursor"],
    )
    assert back["data"] == first["data"]
    numbers = [n["number"] for n in first["data"] + second["data"]]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 6
    narrowed = await get(
        client, "/v1/numbers/available", country_code="GB", prefix="7", capabilities="sms"
    )
    assert all(
        n["number"].startswith("+447") and "sms" in n["capabilities"] for n in narrowed["data"]
    )
    foreign = await client.get(
        "/v1/numbers/available",
        params={"country_code": "NL", "starting_after": first["next_cursor"]},
        headers=H,
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "E01012"
    both = await client.get(
        "/v1/numbers/available",
        params={
            "country_code": "GB",
            "starting_after": first["next_cursor"],
            "ending_before": first["next_cursor"],
        },
        headers=H,
    )
    assert (both.status_code, both.json()["error"]["code"]) == (422, "E01001")


async def test_held_number_pages_are_stable_while_numbers_are_added(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    items = on_sale(app, "US", lambda i: i.type == "local", count=4)
    for item in items[:3]:
        await order(client, item.number)
        clock.advance(timedelta(seconds=1))
    page = await get(client, "/v1/numbers", limit=2)  # newest first: the 3rd, the 2nd
    assert [n["number"] for n in page["data"]] == [items[2].number, items[1].number]
    await order(client, items[3].number)  # a newer one arrives meanwhile
    rest = await get(client, "/v1/numbers", limit=2, starting_after=page["next_cursor"])
    assert [n["number"] for n in rest["data"]] == [items[0].number, "+18005550100"]
    newer = await get(client, "/v1/numbers", ending_before=page["refresh_cursor"])
    assert [n["number"] for n in newer["data"]] == [items[3].number]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/numbers/available?country_code=GB",
        "/v1/numbers/orders",
        "/v1/numbers",
        "/v1/whatsapp/numbers",
        "/v1/voice/numbers",
        "/v1/sms/senders",
        "/v1/organization/billing/wallets",
    ],
)
async def test_a_query_parameter_the_operation_does_not_declare_is_refused(
    client: httpx.AsyncClient, path: str
) -> None:
    joiner = "&" if "?" in path else "?"
    response = await client.get(f"{path}{joiner}page=2&page=3&color=red", headers=H)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("validation_error", "E01001")
    assert [d["param"] for d in error["details"]] == ["page", "color"]


# --- the error envelope ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "code"),
    [
        ("GET", "/v1/numbers", {}, None, 401, "E01006"),
        ("GET", "/v1/numbers", {"Authorization": "Bearer sk_live_nope"}, None, 401, "E01006"),
        ("GET", "/v1/numbers", {"Authorization": f"AccessKey {KEY}"}, None, 401, "E01006"),
        ("GET", "/v1/nothing-here", H, None, 404, "E01008"),
        ("PUT", "/v1/numbers", H, None, 405, "E01013"),
        ("GET", "/v1/numbers/nda_short", H, None, 422, "E01001"),
        ("POST", ORDERS, {**H, "Content-Type": "text/plain"}, b"+441", 415, "E01010"),
        ("POST", ORDERS, {**H, "Content-Type": "application/json"}, b"{", 400, "E01003"),
        (
            "POST",
            ORDERS,
            {**H, "Content-Type": "application/json"},
            b'{"number": 1}',
            422,
            "E01001",
        ),
        ("GET", "/v1/numbers/orders/nor_0000000000000000000000000a", H, None, 404, "E01008"),
    ],
)
async def test_every_error_is_in_the_platform_envelope(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    code: str,
) -> None:
    response = await client.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    document = response.json()
    assert set(document) == {"error"}  # never api.bird.com's flat {code, message, details}
    error = document["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["doc_url"] == f"https://docs.bird.com/errors/{code}"


async def test_a_body_problem_is_named_by_its_dotted_path(client: httpx.AsyncClient) -> None:
    body = {"number": "+447700900201", "compliance": {"answers": [{"key": "a", "value": 7}]}}
    response = await client.post(ORDERS, json=body, headers=H)
    assert response.status_code == 422
    params = {d["param"] for d in response.json()["error"]["details"]}
    assert params, response.text
    assert all(p.startswith("compliance.answers[0]") for p in params), params


# --- WhatsApp, voice, senders ---------------------------------------------------------------


async def test_whatsapp_rules_fail_a_connection_or_let_the_signup_lapse(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    await rule(client, on="platform-whatsapp", outcome="failed", reason="number_already_linked")
    await rule(client, on="platform-whatsapp", outcome="abandoned")
    refused, lapsed = on_sale(app, "GB", lambda i: "whatsapp" in i.features, count=2)
    await order(client, refused.number)
    await order(client, lapsed.number)
    clock.advance(timedelta(hours=1))
    by_number = {w["phone_number"]: w for w in (await get(client, "/v1/whatsapp/numbers"))["data"]}
    assert by_number[refused.number]["status"] == "failed"
    assert by_number[refused.number]["error"] == {"code": "number_already_linked"}
    assert by_number[lapsed.number]["status"] == "awaiting_signup"
    clock.advance(timedelta(days=7))
    gone = await get(client, f"/v1/whatsapp/numbers/{by_number[lapsed.number]['id']}")
    assert (gone["status"], gone["error"]["code"]) == ("failed", "number_verification_required")
    failed = await get(client, "/v1/whatsapp/numbers", status=["failed"], include_total="true")
    assert failed["total"] == 2
    events = await get(client, f"/v1/whatsapp/numbers/{gone['id']}/events")
    assert events["data"][0]["metadata"] == {
        "to": "failed",
        "from": "awaiting_signup",
        "reason": "number_verification_required",
    }


async def test_a_route_needs_calls_that_arrive_at_bird_and_a_claim_needs_verification(
    tmp_path: Path, clock: ManualClock
) -> None:
    stock = {
        "countries": {
            "US": {
                "local": {"count": 5, "monthlyPrice": "1.00", "features": ["voice-outbound", "sms"]}
            }
        }
    }
    async with serve(write_scenario(tmp_path, {"bird": {"stock": stock}}), clock) as (app, client):
        [item] = on_sale(app, "US", lambda i: True)
        await order(client, item.number)
        [voice] = (await get(client, "/v1/voice/numbers"))["data"]
        assert voice["directions"] == {"inbound": False, "outbound": False}
        route = {"inbound_configuration": {"route": {"type": "reject"}}}
        refused = await client.patch(f"/v1/voice/numbers/{voice['id']}", json=route, headers=H)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "E16001")
        named = await client.patch(
            f"/v1/voice/numbers/{voice['id']}", json={"name": "Out"}, headers=H
        )
        assert named.json()["name"] == "Out"
        await rule(client, on="platform-sender", outcome="verification-required")
        claim = await client.post(
            "/v1/sms/senders", json={"type": "alpha", "sender": "Acme"}, headers=H
        )
        assert (claim.status_code, claim.json()["error"]["type"]) == (412, "precondition_error")
        assert claim.json()["error"]["next"][0]["kind"] == "external"
        claimed = await client.post(
            "/v1/sms/senders", json={"type": "alpha", "sender": "Acme"}, headers=H
        )
        assert claimed.status_code == 201
        assert app.state.mock.failures == []


# --- the control plane -------------------------------------------------------------------------


async def test_the_control_plane_names_a_platform_tenant_by_key_or_workspace(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    [item] = on_sale(app, "GB", lambda i: i.type == "mobile")
    placed = await order(client, item.number)
    wallets = (await client.get("/_mock/wallets", params={"provider": "bird", "tenant": WS})).json()
    [wallet] = wallets["wallets"] if isinstance(wallets, dict) else wallets
    assert (wallet["owner"], wallet["balance"]) == ("platform:bk_eu1_behav", "94.500000")
    part = (await client.get("/_mock/state", params={"provider": "bird", "tenant": KEY})).json()
    bird = part["providers"]["bird"] if "providers" in part else part["bird"]
    assert bird["tenants"] == []
    assert [t["id"] for t in bird["platform"]["tenants"]] == [WS]
    journal = (await client.get("/_mock/journal", params={"tenant": WS})).json()
    entries = journal["entries"] if isinstance(journal, dict) else journal
    assert "createNumberOrder" in {e["operationId"] for e in entries}
    reset = await client.post("/_mock/reset", json={"provider": "bird", "tenant": KEY})
    assert reset.status_code == 200
    await get(client, f"/v1/numbers/available/{item.number}")  # back on sale
    await get(client, f"/v1/numbers/{placed['number_id']}", expect=404)
    assert await balance(client) == "100.00"  # the key opens a new tenant
    assert (
        await client.post("/_mock/reset", json={"provider": "bird", "tenant": WS})
    ).status_code == 200


async def test_a_state_dump_restores_and_the_platform_continues(
    client: httpx.AsyncClient, app: Starlette, clock: ManualClock
) -> None:
    [pending] = on_sale(app, "GB", lambda i: True, back_ordered=True)
    placed = await order(client, pending.number)
    dump = (await client.get("/_mock/state", params={"secrets": "true"})).json()
    clock.advance(timedelta(minutes=10))
    assert (await get(client, f"{ORDERS}/{placed['id']}"))["status"] == "completed"
    restored = await client.put("/_mock/state", json=dump)
    assert restored.status_code == 200, restored.text
    assert (await get(client, f"{ORDERS}/{placed['id']}"))["status"] == "pending"
    clock.advance(timedelta(minutes=10))
    assert (await get(client, f"{ORDERS}/{placed['id']}"))["status"] == "completed"
    redacted = (await client.get("/_mock/state")).json()
    assert KEY not in str(redacted)


async def test_a_scenario_sets_the_platforms_keys_prices_and_timings(
    tmp_path: Path, clock: ManualClock
) -> None:
    platform = {
        "wallet": "20.00",
        "apiKeys": [KEY],
        "setupFee": "0.50",
        "ownershipRegistration": {"countries": ["GB"], "reviewSeconds": 60},
        "orders": {"pendingSeconds": 30},
        "sharedNumbers": [
            {
                "number": "+442079460000",
                "countryCode": "GB",
                "numberType": "local",
                "capabilities": ["voice"],
            }
        ],
    }
    changes = {"bird": {"platform": platform, "adHocTenants": {"enabled": False, "wallet": "0"}}}
    async with serve(write_scenario(tmp_path, changes), clock) as (app, client):
        other = {"Authorization": "Bearer bk_eu1_behaviour_test_key_00000002"}
        refused = await client.get("/v1/numbers", headers=other)
        assert (refused.status_code, refused.json()["error"]["type"]) == (401, "auth_error")
        [shared] = (await get(client, "/v1/numbers"))["data"]
        assert shared["number"] == "+442079460000"
        [item] = on_sale(app, "GB", lambda i: True, back_ordered=True)
        offered = await get(client, f"/v1/numbers/available/{item.number}")
        assert offered["pricing"]["setup_price"]["amount"] == "0.50"
        assert offered["ownership_registration_required"] is True
        answers = {"answers": [{"key": "business_name", "value": "Acme Ltd"}]}
        placed = await order(client, item.number, compliance=answers)
        clock.advance(timedelta(seconds=30))
        done = await get(client, f"{ORDERS}/{placed['id']}")
        assert done["status"] == "completed"
        clock.advance(timedelta(seconds=60))
        assert (await get(client, f"/v1/numbers/{done['number_id']}"))["status"] == "active"
        month = item.monthly_price.as_decimal()
        assert await balance(client) == f"{20 - 0.5 - float(month):.2f}"
        assert app.state.mock.failures == []
