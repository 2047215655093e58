"""Bird's platform API webhooks (issue 17) through the official SDK on a live socket:
endpoints created, listed, read, changed, paused and deleted; the secret shown once and
rotated (both secrets sign for 24 hours, five at most); the synchronous test event; events
of the catalog delivered to a real local server and verified with `client.webhooks.unwrap`;
attempts, replays and the endpoint's degraded status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from bird import APIStatusError, RateLimitError, ValidationError
from bird._exceptions import WebhookVerificationError

from mockserver.providers.bird.platform.auth import workspace_of
from mockserver.receiving import LocalReceiver
from tests.providers.bird.platform_helpers import KEY, OTHER_KEY, Live, live_mock
from tests.webhooks.independent import platform_valid

pytestmark = pytest.mark.socket

SMS = {
    "sms_id": "sms_01krdgeqcxet5s7t44vh8rt9mg",
    "workspace_id": "ws_01krdgeqcxet5s7t44vh8rt9mg",
    "to": "+15551234567",
    "from": "+15557654321",
    "tags": None,
    "metadata": None,
    "requested_language": None,
    "resolved_language": None,
    "template_id": None,
    "template_version_id": None,
    "template_content_hash": None,
    "text": "STOP",
    "segments": {"count": 1, "encoding": "GSM_7BIT", "characters": 4},
}


@pytest.fixture
def live() -> Iterator[Live]:
    with live_mock() as mock:
        yield mock


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    with LocalReceiver() as local:
        yield local


def emit(
    live: Live, event_type: str = "sms.received", data: Any = SMS, key: str = KEY
) -> list[str]:
    with live.control() as control:
        body = {"provider": "bird", "tenant": key, "type": event_type, "data": data}
        response = control.post("/_mock/webhooks/events", json=body)
        assert response.status_code == 201, response.text
        sent: list[str] = response.json()["deliveries"]
        return sent


def control(live: Live, method: str, path: str, **options: Any) -> Any:
    with live.control() as http:
        response = http.request(method, path, **options)
        assert response.is_success, response.text
        return response.json() if response.content else None


def test_an_endpoint_is_created_with_its_secret_once_then_read_changed_and_deleted(
    live: Live,
) -> None:
    with live.client() as client:
        created = client.webhooks.create(
            events=["sms.received", "sms.delivered"],
            url="https://example.com/webhooks/bird",
            description="Production webhook endpoint",
        )
        assert created.id.startswith("whk_")
        assert created.secret.startswith("whsec_")
        assert created.status.value == "active"
        assert created.next == []
        fetched = client.webhooks.get(created.id)
        assert "secret" not in fetched.model_dump()
        assert fetched.url == created.url
        assert [e.id for e in client.webhooks.list()] == [created.id]
        counted = client.webhooks.list(include_total=True).response
        assert counted is not None
        assert counted["total"] == 1
        assert [e.id for e in client.webhooks.list(url="https://other.example/")] == []
        changed = client.webhooks.update(created.id, events=["whatsapp.received"], status="paused")
        assert changed.status.value == "paused"
        assert [getattr(e, "value", e) for e in changed.events] == ["whatsapp.received"]
        client.webhooks.delete(created.id)
        with pytest.raises(APIStatusError) as gone:
            client.webhooks.get(created.id)
        assert gone.value.status_code == 404
    with live.client(OTHER_KEY) as stranger:
        assert list(stranger.webhooks.list()) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"events": ["number.updated"], "url": "https://example.com/h"},  # not in the catalog
        {"events": ["sms.received"], "url": "http://example.com/h"},  # http to a public host
        {"events": ["sms.received"]},  # no url, and no connector
        {
            "events": ["email_mailbox.message_received"],
            "url": "https://example.com/h",
            "filter": {"mailbox_id": "mbx_01krdgeqcxet5s7t44vh8rt9mg"},  # the mock has none
        },
        {
            "events": ["sms.received"],
            "destination": {
                "type": "connector",
                "connector": {"connector_id": "x", "credentials": {}},
            },
        },
    ],
)
def test_what_the_sdk_documents_as_422_is_422(live: Live, fields: dict[str, Any]) -> None:
    with live.client() as client, pytest.raises(ValidationError):
        client.webhooks.create(**fields)


def test_a_catalog_event_reaches_a_local_server_and_unwraps_with_the_sdk(
    live: Live, receiver: LocalReceiver
) -> None:
    """The issue's live test for the platform: every delivery is verified with the
    official SDK's `client.webhooks.unwrap` (and an independent implementation)."""
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        [delivery] = emit(live)
        message = receiver.next()
        event = client.webhooks.unwrap(message.body, message.headers, secret=created.secret)
        assert event.root.type == "sms.received"
        assert event.root.data.text == "STOP"
        assert message.headers["webhook-id"] == delivery
        assert platform_valid(message.headers, message.body, created.secret)
        assert message.verify_platform(created.secret)
        with pytest.raises(WebhookVerificationError):
            client.webhooks.unwrap(message.body, message.headers, secret="whsec_" + "QUFB" * 8)
        # Not subscribed, or subscribed elsewhere: nothing is sent.
        assert emit(live, "sms.delivered", {}) == []
        with live.client(OTHER_KEY) as stranger:
            assert list(stranger.webhooks.list()) == []  # opens its tenant: nothing subscribes
        assert emit(live, key=OTHER_KEY) == []
    buying = {"provider": "bird", "tenant": KEY, "type": "numbers.ordered", "data": {}}
    with live.control() as http:
        refused = http.post("/_mock/webhooks/events", json=buying)
        assert refused.status_code == 422, refused.text


def test_the_test_event_answers_synchronously_and_is_never_an_attempt(
    live: Live, receiver: LocalReceiver
) -> None:
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        receiver.respond(418)
        refused = client.webhooks.test(created.id)
        assert refused.status.value == "failed"
        assert refused.response_status_code == 418
        assert refused.error is None
        assert refused.response_body == '{"ok":false}'
        client.webhooks.update(created.id, status="paused")  # a test reaches it anyway
        delivered = client.webhooks.test(created.id, event_type="whatsapp.delivered")
        assert delivered.status.value == "delivered"
        assert delivered.response_status_code == 200
        stubs = [receiver.next(), receiver.next()]
        assert [json.loads(s.body)["type"] for s in stubs] == ["sms.received", "whatsapp.delivered"]
        assert all(platform_valid(s.headers, s.body, created.secret) for s in stubs)
        # Signed, but a stub with empty data is no valid typed event for the SDK.
        with pytest.raises(WebhookVerificationError, match="not a valid event"):
            client.webhooks.unwrap(stubs[0].body, stubs[0].headers, secret=created.secret)
        assert client.webhooks.attempts(created.id).data == []
        dead = client.webhooks.create(events=["sms.received"], url="http://127.0.0.1:9/none")
        unreachable = client.webhooks.test(dead.id)
        assert unreachable.status.value == "failed"
        assert unreachable.response_status_code is None
        assert unreachable.error


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(
    live: Live, receiver: LocalReceiver
) -> None:
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        rotated = client.webhooks.rotate_secret(created.id).secret
        assert rotated != created.secret
        emit(live)
        both = receiver.next()
        assert len(both.headers["webhook-signature"].split()) == 2
        for secret in (created.secret, rotated):
            client.webhooks.unwrap(both.body, both.headers, secret=secret)
        control(live, "POST", "/_mock/clock/advance", json={"seconds": 86400})
        emit(live)
        later = receiver.next()
        assert len(later.headers["webhook-signature"].split()) == 1
        client.webhooks.unwrap(later.body, later.headers, secret=rotated)
        with pytest.raises(WebhookVerificationError):
            client.webhooks.unwrap(later.body, later.headers, secret=created.secret)
        for _ in range(4):  # five valid secrets at most
            client.webhooks.rotate_secret(created.id)
        with pytest.raises(APIStatusError) as refused:
            client.webhooks.rotate_secret(created.id)
        assert (refused.value.status_code, refused.value.code) == (409, "E18001")


def test_failed_deliveries_show_as_attempts_degrade_the_endpoint_and_replay(
    live: Live, receiver: LocalReceiver
) -> None:
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        receiver.respond(*[500] * 8)
        [delivery] = emit(live)
        assert receiver.next().status == 500
        control(live, "POST", "/_mock/webhooks/drain", json={})  # its answer recorded
        assert client.webhooks.get(created.id).status.value == "degraded"
        control(live, "POST", "/_mock/clock/advance", json={"seconds": 8 * 3600})
        control(live, "POST", "/_mock/webhooks/drain", json={})
        attempts = client.webhooks.attempts(created.id).data
        assert len(attempts) == 8
        assert {a.event_id for a in attempts} == {attempts[0].event_id}
        assert [a.status.value for a in attempts] == ["failed"] * 8
        times = [a.attempted_at for a in attempts]
        assert times == sorted(times, reverse=True)  # newest first
        older = client.webhooks.attempts(created.id, before=times[3], limit=2).data
        assert [a.attempted_at for a in older] == times[4:6]
        # A replay sends it once more (not retried) and the endpoint recovers.
        client.webhooks.replay(created.id, since=times[-1])
        control(live, "POST", "/_mock/webhooks/drain", json={})
        assert [receiver.next().status for _ in range(8)] == [500] * 7 + [200]
        assert client.webhooks.attempts(created.id, limit=1).data[0].status.value == "delivered"
        assert client.webhooks.get(created.id).status.value == "active"
        found = control(live, "GET", f"/_mock/webhooks/deliveries/{delivery}")
        assert found["status"] == "delivered"
        assert found["once"] is True
        # Delivered inside the window now: another replay finds nothing to send.
        client.webhooks.replay(created.id, since=times[-1])
        control(live, "POST", "/_mock/webhooks/drain", json={})
        assert len(client.webhooks.attempts(created.id).data) == 9
        for _ in range(18):
            client.webhooks.replay(created.id)
        with pytest.raises(RateLimitError):
            client.webhooks.replay(created.id)  # 20 per UTC day


def test_a_paused_endpoint_never_attempts_what_fired_meanwhile(
    live: Live, receiver: LocalReceiver
) -> None:
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        client.webhooks.update(created.id, status="paused")
        assert emit(live) == []
        client.webhooks.update(created.id, status="active")
        [sent] = emit(live)
        assert receiver.next().message_id == sent
        client.webhooks.delete(created.id)
        deliveries = control(live, "GET", "/_mock/webhooks/deliveries")["deliveries"]
        assert [d["id"] for d in deliveries] == [sent]


def test_a_platform_tenant_reset_forgets_its_endpoints_and_deliveries(
    live: Live, receiver: LocalReceiver
) -> None:
    with live.client() as client:
        client.webhooks.create(events=["sms.received"], url=receiver.url)
        emit(live)
        receiver.next()
        control(live, "POST", "/_mock/reset", json={"provider": "bird", "tenant": KEY})
        assert list(client.webhooks.list()) == []
    left = control(live, "GET", "/_mock/webhooks/deliveries", params={"tenant": workspace_of(KEY)})
    assert left["deliveries"] == []


def test_live_every_delivery_of_a_tenant_that_bought_a_number_unwraps_with_the_sdk(
    live: Live, receiver: LocalReceiver
) -> None:
    """The issue's live test for the platform API: an endpoint with its signing secret on a
    real HTTP server on 127.0.0.1, a number bought, the clock moved (the catalog has no
    number events: nothing is sent for it), then an event of the catalog whose first attempt
    fails, its retry on the mock clock, a test event and a replay: every request the
    receiver got is verified with the official SDK's `client.webhooks.unwrap` and an
    independent implementation of Standard Webhooks."""
    with live.client() as client:
        created = client.webhooks.create(events=["sms.received"], url=receiver.url)
        [item] = live.stock("GB", lambda i: i.type == "mobile")
        order = client.numbers.orders.create(number=item.number)
        assert order.status == "completed"
        control(live, "POST", "/_mock/clock/advance", json={"seconds": 3600})
        control(live, "POST", "/_mock/webhooks/drain", json={})
        assert receiver.messages == []  # no number event exists in the platform's catalog
        receiver.respond(503)
        [delivery] = emit(live)
        assert receiver.next().status == 503
        control(live, "POST", "/_mock/clock/advance", json={"seconds": 30})  # the retry
        assert receiver.next().status == 200
        client.webhooks.test(created.id)
        stub = receiver.next()
        client.webhooks.replay(created.id)  # nothing failed without a later success: none
        control(live, "POST", "/_mock/webhooks/drain", json={})
        messages = receiver.messages
        assert len(messages) == 3
        attempts = client.webhooks.attempts(created.id).data
    assert [(a.status.value, a.response_status_code) for a in attempts] == [
        ("delivered", 200),
        ("failed", 503),
    ]
    for message in messages:
        assert platform_valid(message.headers, message.body, created.secret)
    failed, retried = messages[0], messages[1]
    assert failed.message_id == retried.message_id == delivery
    assert failed.body == retried.body
    with live.client() as client:
        for message in (failed, retried):
            event = client.webhooks.unwrap(message.body, message.headers, secret=created.secret)
            assert event.root.type == "sms.received"
        # The test stub is signed too; its empty data is no typed event (the SDK says so
        # only after the signature checked out).
        with pytest.raises(WebhookVerificationError, match="not a valid event"):
            client.webhooks.unwrap(stub.body, stub.headers, secret=created.secret)
    assert json.loads(stub.body)["type"] == "sms.received"
