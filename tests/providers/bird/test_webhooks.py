"""api.bird.com webhook subscriptions and the numbers event (issue 17): the subscription
resource, one event per change of a number on its timeline (bought, each order status,
provisioning, capabilities, WhatsApp pre-verification stages, cancelled, deprovisioned),
signed with `messagebird-signature`, exactly once across dumps, restores and resets, sent
to a real local server and retried on the mock clock."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.receiving import LocalReceiver
from tests.conftest import START
from tests.providers.bird.helpers import buy_one, find, subscriptions_path
from tests.support.credentials import BIRD, BIRD_ORG, BIRD_WS, LONG_CODES, bird_key
from tests.support.live import serve
from tests.webhooks.independent import bird_valid

HOOKS = f"/organizations/{BIRD_ORG}/workspaces/{BIRD_WS}/webhook-subscriptions"
EVENT = "endpoint.updated"
KEY = "KeV+/HGoIQrxuE5YPCRR6AuQOJveldYNNhbVi1i22qk="


async def subscribe(
    client: httpx.AsyncClient,
    url: str,
    *,
    key: str | None = KEY,
    path: str = HOOKS,
    headers: dict[str, str] = BIRD,
) -> dict[str, Any]:
    body: dict[str, Any] = {"service": "numbers", "event": EVENT, "url": url}
    if key is not None:
        body["signingKey"] = key
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def advance(client: httpx.AsyncClient, seconds: float) -> None:
    response = await client.post("/_mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text
    drained = await client.post("/_mock/webhooks/drain", json={"timeout": 10})
    assert drained.json()["idle"], drained.text


async def inbox(client: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    await client.post("/_mock/webhooks/drain", json={"timeout": 10})
    response = await client.get(f"/_mock/inbox/{name}")
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


async def buy_plain(
    client: httpx.AsyncClient, headers: dict[str, str] = BIRD, path: str = LONG_CODES
) -> dict[str, Any]:
    """A US number without WhatsApp (no pre-verification stages to follow)."""
    items = await find(client, 20, countryCodes="US")
    item = next(i for i in items if "whatsapp" not in i["capabilities"])
    response = await client.post(path, json={"numberStockItemIds": [item["id"]]}, headers=headers)
    assert response.status_code == 201, response.text
    number: dict[str, Any] = response.json()["results"][0]
    return number


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["json"]["payload"] for m in messages]


def stages(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["number"]["order"]["status"], p["provisioningStatus"]) for p in payloads(messages)]


# --- the subscription resource --------------------------------------------------------------


async def test_a_subscription_is_created_listed_read_changed_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await subscribe(client, "https://example.com/hooks/bird")
    assert created["service"] == "numbers"
    assert created["event"] == EVENT
    assert created["status"] == "active"
    assert created["eventFilters"] == []
    assert created["signingKey"] == KEY
    assert created["organizationId"] == BIRD_ORG
    assert created["workspaceId"] == BIRD_WS
    path = f"{HOOKS}/{created['id']}"
    listed = (await client.get(HOOKS, headers=BIRD)).json()["results"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert (await client.get(path, headers=BIRD)).json() == created
    changed = await client.patch(
        path, json={"url": "http://localhost:9999/hook", "signingKey": None}, headers=BIRD
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["url"] == "http://localhost:9999/hook"
    assert changed.json()["signingKey"] is None
    assert (await client.delete(path, headers=BIRD)).status_code == 204
    gone = await client.get(path, headers=BIRD)
    assert gone.status_code == 404
    assert gone.json()["code"] == "NotFound"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://example.com/hook"}, ".url"),  # https for a public host
        ({"event": "number.updated"}, ".event"),  # the numbers service has one event
        ({"eventFilters": [{"key": "channelId", "value": "x"}]}, ".eventFilters"),
    ],
)
async def test_what_bird_refuses_is_refused_with_its_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    full = {"service": "numbers", "event": EVENT, "url": "https://example.com/h", **body}
    response = await client.post(HOOKS, json=full, headers=BIRD)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "InvalidPayload"
    assert field in response.json()["details"]


async def test_five_subscriptions_per_identical_filters_then_409(
    client: httpx.AsyncClient,
) -> None:
    for n in range(5):
        await subscribe(client, f"https://example.com/h{n}")
    sixth = await client.post(
        HOOKS,
        json={"service": "numbers", "event": EVENT, "url": "https://example.com/h6"},
        headers=BIRD,
    )
    assert sixth.status_code == 409, sixth.text
    # Another service's event is another combination: kept, never sent by the mock.
    other = {"service": "channels", "event": "sms.outbound", "url": "https://example.com/c"}
    assert (await client.post(HOOKS, json=other, headers=BIRD)).status_code == 201


async def test_another_tenant_never_sees_a_subscription(client: httpx.AsyncClient) -> None:
    created = await subscribe(client, "https://example.com/hooks/bird")
    stranger = bird_key("stranger")
    theirs = f"/organizations/{BIRD_ORG}/workspaces/{BIRD_WS}/webhook-subscriptions"
    assert (await client.get(theirs, headers=stranger)).json()["results"] == []
    missing = await client.get(f"{theirs}/{created['id']}", headers=stranger)
    assert missing.status_code == 404


# --- the numbers event -----------------------------------------------------------------------


async def test_every_change_of_a_number_is_one_signed_event_in_order(
    client: httpx.AsyncClient,
) -> None:
    await subscribe(client, "http://mock/_mock/inbox/life")
    bought = await buy_plain(client)
    assert stages(await inbox(client, "life")) == [("submitted", "provisioning")]
    await advance(client, 5)
    assert stages(await inbox(client, "life"))[1:] == [
        ("processing", "provisioning"),
        ("fulfilled", "provisioned"),
    ]
    cancel = await client.post(subscriptions_path(bought["id"], "main/cancel"), headers=BIRD)
    assert cancel.status_code == 200, cancel.text
    await advance(client, 31 * 86400)  # the paid period ends, then deprovisioning passes
    messages = await inbox(client, "life")
    shown = payloads(messages)
    assert [(p["provisioningStatus"], "deprovisionAt" in p["number"]) for p in shown[3:]] == [
        ("provisioned", True),  # cancelled: the end of the period is scheduled
        ("deprovisioning", True),
        ("deprovisioned", True),
    ]
    assert shown[-1]["issues"] == ["subscription-is-not-active"]
    assert {c["status"] for c in shown[2]["capabilities"]} == {"active"}
    assert {c["status"] for c in shown[-1]["capabilities"]} == {"inactive"}
    for message in messages:
        body = message["body"].encode()
        assert message["verification"]["valid"] is True, message["verification"]
        assert bird_valid(message["headers"], body, message["url"], KEY)
        assert message["json"]["service"] == "numbers"
        assert message["json"]["event"] == EVENT
    ids = [m["headers"]["messagebird-request-id"] for m in messages]
    assert len(set(ids)) == len(ids)
    # The deliveries say when each change happened, on the mock clock, in order; those
    # finished more than three days of mock time ago are pruned.
    deliveries = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    times = [d["createdAt"] for d in reversed(deliveries)]
    assert times == ["2026-03-31T10:00:05Z", "2026-03-31T10:01:05Z"]


async def test_whatsapp_pre_verification_stages_are_events(client: httpx.AsyncClient) -> None:
    await subscribe(client, "http://mock/_mock/inbox/wa")
    await buy_one(client, countryCodes="US", features="whatsapp")
    await advance(client, 60)
    seen = [
        (p["number"]["endpoint"].get("whatsApp") or {}).get("stage")
        for p in payloads(await inbox(client, "wa"))
    ]
    assert seen == [
        None,
        None,
        "requesting-code",  # fulfilled: provisioned, pre-verification starts
        "code-requested",
        "verifying",
        "verified",
    ]
    last = payloads(await inbox(client, "wa"))[-1]
    whatsapp = next(c for c in last["capabilities"] if c["name"] == "whatsapp")
    assert whatsapp["status"] == "active"
    assert whatsapp["issues"] == []


async def test_a_rejected_order_is_an_event(client: httpx.AsyncClient) -> None:
    await subscribe(client, "http://mock/_mock/inbox/rej")
    rule = {"provider": "bird", "on": "order", "outcome": "rejected", "workspaceId": BIRD_WS}
    assert (await client.post("/_mock/rules", json=rule)).status_code == 201
    await buy_plain(client)
    await advance(client, 10)
    assert stages(await inbox(client, "rej")) == [
        ("submitted", "provisioning"),
        ("processing", "provisioning"),
        ("rejected", "deprovisioned"),
    ]


async def test_a_new_subscription_gets_the_changes_after_it_not_the_history(
    client: httpx.AsyncClient,
) -> None:
    await buy_plain(client)
    await advance(client, 3)  # submitted and processing happened unobserved
    await subscribe(client, "http://mock/_mock/inbox/late")
    assert await inbox(client, "late") == []
    await advance(client, 5)
    assert stages(await inbox(client, "late")) == [("fulfilled", "provisioned")]


async def test_an_unsigned_subscription_sends_no_signature(client: httpx.AsyncClient) -> None:
    await subscribe(client, "http://mock/_mock/inbox/plain", key=None)
    await buy_plain(client)
    [message] = await inbox(client, "plain")
    assert "messagebird-signature" not in message["headers"]
    assert message["headers"]["messagebird-request-id"]
    assert message["verification"]["valid"] is None


async def test_events_are_emitted_exactly_once_across_a_dump_and_restore(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await subscribe(client, "http://mock/_mock/inbox/once")
    await buy_plain(client)
    await advance(client, 2)  # bought, processing
    dump = (await client.get("/_mock/state", params={"secrets": "true"})).json()
    assert [d["status"] for d in dump["webhooks"]["deliveries"]] == ["delivered", "delivered"]
    await advance(client, 60)
    before = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    assert len(before) == 3
    assert (await client.put("/_mock/state", json=dump)).status_code == 200
    assert len((await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]) == 2
    await advance(client, 60)
    after = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    # The same events, with the same ids and bodies: none lost, none repeated.
    assert [(d["id"], d["body"], d["createdAt"]) for d in after] == [
        (d["id"], d["body"], d["createdAt"]) for d in before
    ]


async def test_a_reset_forgets_subscriptions_and_deliveries(client: httpx.AsyncClient) -> None:
    mine = await subscribe(client, "http://mock/_mock/inbox/r1")
    stranger = bird_key("resetme")
    ws = "7e0c87a1-7a41-4c1c-a2a7-0c6d2d0f6a11"
    theirs = f"/organizations/{BIRD_ORG}/workspaces/{ws}/webhook-subscriptions"
    await subscribe(client, "http://mock/_mock/inbox/r2", path=theirs, headers=stranger)
    await buy_plain(client)
    await buy_plain(client, stranger, f"/workspaces/{ws}/numbers-long-code")
    await advance(client, 1)
    reset = await client.post("/_mock/reset", json={"provider": "bird", "tenant": ws})
    assert reset.status_code == 200, reset.text
    left = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    assert {d["tenant"] for d in left} == {BIRD_WS}
    assert (await client.get(f"{HOOKS}/{mine['id']}", headers=BIRD)).status_code == 200
    assert (await client.get(theirs, headers=stranger)).json()["results"] == []
    assert (await client.post("/_mock/reset")).status_code == 200
    assert (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"] == []
    assert (await client.get(HOOKS, headers=BIRD)).json()["results"] == []


async def test_a_deleted_subscription_stops_its_pending_deliveries(
    client: httpx.AsyncClient,
) -> None:
    created = await subscribe(client, "http://mock/_mock/inbox/del")
    await client.post("/_mock/webhooks/pause", json={"subscription": created["id"]})
    await buy_plain(client)
    await advance(client, 10)
    assert await inbox(client, "del") == []
    await client.delete(f"{HOOKS}/{created['id']}", headers=BIRD)
    await client.post("/_mock/webhooks/resume", json={})
    deliveries = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    assert {d["status"] for d in deliveries} == {"cancelled"}
    assert len(deliveries) == 3
    assert await inbox(client, "del") == []


# --- a real receiver --------------------------------------------------------------------------


def _plain(http: httpx.Client) -> dict[str, Any]:
    found = http.get(
        f"/organizations/{BIRD_ORG}/numbers-stock-items",
        params={"countryCodes": "US", "limit": 20},
        headers=BIRD,
    ).json()["results"]
    item: dict[str, Any] = next(i for i in found if "whatsapp" not in i["capabilities"])
    return item


@pytest.mark.socket
def test_live_deliveries_to_a_local_server_verify_with_the_documented_algorithm() -> None:
    """The issue's live test: a subscription with a signing key pointing at a real HTTP
    server on 127.0.0.1, a number bought, the clock moved, every delivery verified with an
    independent implementation of Bird's algorithm."""
    clock = ManualClock(START)
    app = create_app(Settings(seed=1, validate_responses=True), clock=clock)
    with serve(app) as url, LocalReceiver() as receiver, httpx.Client(base_url=url) as http:
        body = {"service": "numbers", "event": EVENT, "url": receiver.url, "signingKey": KEY}
        assert http.post(HOOKS, json=body, headers=BIRD).status_code == 201
        item = _plain(http)
        bought = http.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
        assert bought.status_code == 201
        assert http.post("/_mock/clock/advance", json={"seconds": 5}).status_code == 200
        received = [receiver.next() for _ in range(3)]
    for message in received:
        assert message.url == receiver.url
        assert bird_valid(message.headers, message.body, message.url, KEY)
        assert message.verify_bird(KEY)
        assert not bird_valid(message.headers, message.body, message.url, "another key")
    orders = [m.json["payload"]["number"]["order"]["status"] for m in received]
    assert orders == ["submitted", "processing", "fulfilled"]
    assert app.state.mock.failures == []


@pytest.mark.socket
def test_a_failing_receiver_is_retried_on_schedule_until_it_succeeds_once_in_order() -> None:
    """The receiver answers 500 three times, then 200: the first event is attempted four
    times (at 0, 30 s, 2 min 30 s and 12 min 30 s on the mock clock, each attempt recorded),
    delivered once, and only then do the events behind it go out, in order."""
    clock = ManualClock(START)
    app = create_app(Settings(seed=1, validate_responses=True), clock=clock)
    with serve(app) as url, LocalReceiver() as receiver, httpx.Client(base_url=url) as http:
        receiver.respond(500, 500, 500)
        body = {"service": "numbers", "event": EVENT, "url": receiver.url, "signingKey": KEY}
        created = http.post(HOOKS, json=body, headers=BIRD).json()
        item = _plain(http)
        http.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
        assert receiver.next().status == 500  # the purchase, at once
        for seconds, status in ((30, 500), (120, 500), (600, 200)):
            http.post("/_mock/clock/advance", json={"seconds": seconds})
            assert receiver.next().status == status
        # The order's own changes (processing at +2 s, fulfilled at +5 s) waited behind it.
        assert [receiver.next().status for _ in range(2)] == [200, 200]
        assert http.post("/_mock/webhooks/drain", json={}).json()["idle"]
        deliveries = http.get(
            "/_mock/webhooks/deliveries", params={"subscription": created["id"]}
        ).json()["deliveries"]
    first, *rest = reversed(deliveries)
    assert first["status"] == "delivered"
    assert [(a["outcome"], a["statusCode"]) for a in first["attempts"]] == [
        ("failed", 500),
        ("failed", 500),
        ("failed", 500),
        ("delivered", 200),
    ]
    at = [a["at"] for a in first["attempts"]]
    assert at == [
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:30Z",
        "2026-03-01T10:02:30Z",
        "2026-03-01T10:12:30Z",
    ]
    assert [a["nextAttemptAt"] for a in first["attempts"]] == [*at[1:], None]
    assert [d["status"] for d in rest] == ["delivered", "delivered"]
    assert [len(d["attempts"]) for d in rest] == [1, 1]
    # Waiting behind the first, they went out when it was delivered, in order.
    assert [d["attempts"][0]["at"] for d in rest] == [at[-1], at[-1]]
    messages = receiver.messages
    successes = [m for m in messages if m.status == 200]
    assert [m.message_id for m in successes] == [d["id"] for d in (first, *rest)]
    orders = [json.loads(m.body)["payload"]["number"]["order"]["status"] for m in successes]
    assert orders == ["submitted", "processing", "fulfilled"]
    assert all(bird_valid(m.headers, m.body, m.url, KEY) for m in messages)
    assert app.state.mock.failures == []


async def test_the_schedule_spends_eight_hours_then_the_delivery_fails(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/_mock/inbox/dead", json={"respond": [503] * 20})
    await subscribe(client, "http://mock/_mock/inbox/dead")
    await buy_plain(client)
    await advance(client, timedelta(hours=8).total_seconds())
    deliveries = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"]
    first = deliveries[-1]
    assert first["status"] == "failed"
    assert first["note"] == "the retry schedule is spent"
    offsets = [a["at"] for a in first["attempts"]]
    assert len(offsets) == 8
    assert offsets[-1] == "2026-03-01T17:42:30Z"  # 7 h 42 min 30 s after the first
    assert all(a["statusCode"] == 503 for a in first["attempts"])
