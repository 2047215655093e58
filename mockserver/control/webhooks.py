"""The control plane's webhook operations (specs/control.yaml, tag webhooks and inbox):
deliveries and their attempts, redelivery, pause and resume, waiting until the engine is
idle, events the harness asks a provider for, and the inbox inside the mock.

Registered on the control plane's one handler table (handlers.HANDLERS); the engine is
`MockState.webhooks` (mockserver/webhooks/), the providers are reached through their
contract only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from mockserver.control.backend import ControlBackend
from mockserver.control.handlers import HANDLERS
from mockserver.errors import Conflict, NotFound, PayloadTooLarge
from mockserver.exchange import Answer, Call, Reply
from mockserver.webhooks.engine import Query, Scope, scope_of
from mockserver.webhooks.inbox import Inbox, Received
from mockserver.webhooks.models import Attempt, Delivery, Policy
from mockserver.webhooks.urls import INBOX_PREFIX

# What an inbox keeps of one message (beyond it, 413: the sender sees it refused).
INBOX_BODY_LIMIT = 1024 * 1024
DRAIN_TIMEOUT = 10.0


def when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- wire ---------------------------------------------------------------------------------


def attempt_body(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "at": when(attempt.at),
        "url": attempt.url,
        "outcome": attempt.outcome,
        "statusCode": attempt.status_code,
        "durationMs": attempt.duration_ms,
        "error": attempt.error,
        "responseBody": attempt.response_body,
        "nextAttemptAt": when(attempt.next_attempt_at),
        "headers": dict(attempt.headers),
        "fault": attempt.fault,
        "duplicate": attempt.duplicate,
    }


def delivery_body(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "provider": delivery.provider,
        "tenant": delivery.tenant,
        "subscription": delivery.subscription,
        "event": delivery.event_type,
        "eventId": delivery.event_id,
        "createdAt": when(delivery.created_at),
        "status": delivery.status,
        "nextAttemptAt": when(delivery.next_attempt_at),
        "finishedAt": when(delivery.finished_at),
        "note": delivery.note,
        "once": delivery.once,
        "body": delivery.body,
        "attempts": [attempt_body(a) for a in delivery.attempts],
    }


def policy_body(policy: Policy) -> dict[str, Any]:
    return {
        "retryIntervalsSeconds": [d.total_seconds() for d in policy.retry_intervals],
        "signatureTime": policy.signature_time,
        "timeoutSeconds": policy.timeout,
        "concurrency": policy.concurrency,
        "egress": policy.egress,
        "history": policy.history,
        "queuePerSubscription": policy.queue,
        "retentionSeconds": policy.retention.total_seconds(),
    }


def scope_body(scope: Scope) -> dict[str, Any]:
    return {k: v for k, v in (("provider", scope.provider), ("tenant", scope.tenant),
                              ("subscription", scope.subscription)) if v is not None}  # fmt: skip


def message_body(message: Received) -> dict[str, Any]:
    text = message.body.decode("utf-8", "replace")
    try:
        parsed = orjson.loads(message.body) if not message.truncated else None
    except orjson.JSONDecodeError:
        parsed = None
    verification = message.verification
    return {
        "seq": message.seq,
        "receivedAt": when(message.received_at),
        "url": message.url,
        "headers": dict(message.headers),
        "body": text,
        "json": parsed,
        "truncated": message.truncated,
        "verification": {
            "scheme": verification.scheme,
            "valid": verification.valid,
            "detail": verification.detail,
        },
        "status": message.status,
    }


def inbox_body(name: str, inbox: Inbox | None, messages: list[Received]) -> dict[str, Any]:
    return {
        "name": name,
        "received": 0 if inbox is None else inbox.received,
        "respond": [] if inbox is None else list(inbox.respond),
        "messages": [message_body(m) for m in messages],
    }


def _summary(control: ControlBackend) -> dict[str, Any]:
    engine = control.mock.webhooks
    return {
        "policy": policy_body(engine.policy),
        "paused": [scope_body(s) for s in engine.paused],
        "counts": engine.counts(),
        "inboxes": control.mock.inboxes.names(),
    }


# --- handlers -----------------------------------------------------------------------------


def _delivery(control: ControlBackend, delivery_id: str) -> Delivery:
    found = control.mock.webhooks.get(delivery_id)
    if found is None:
        raise NotFound("Delivery", delivery_id, f"No delivery {delivery_id} (it may be pruned)")
    return found


@HANDLERS.operation("getWebhooks")
def get_webhooks(control: ControlBackend, call: Call[None]) -> Reply:
    control.settle()
    return Reply(200, _summary(control))


@HANDLERS.operation("listDeliveries")
def list_deliveries(control: ControlBackend, call: Call[None]) -> Reply:
    control.settle()
    q = call.query
    query = Query(
        provider=q.get("provider"),
        tenant=q.get("tenant"),
        subscription=q.get("subscription"),
        event=q.get("event"),
        outcome=q.get("outcome"),
    )
    found = control.mock.webhooks.deliveries(query, int(q.get("limit", 100)))
    return Reply(200, {"deliveries": [delivery_body(d) for d in found]})


@HANDLERS.operation("getDelivery")
def get_delivery(control: ControlBackend, call: Call[None]) -> Reply:
    return Reply(200, delivery_body(_delivery(control, call.path["deliveryId"])))


@HANDLERS.operation("redeliverDelivery")
def redeliver_delivery(control: ControlBackend, call: Call[None]) -> Reply:
    delivery = _delivery(control, call.path["deliveryId"])
    if delivery.pending:
        raise Conflict(
            f"Delivery {delivery.id} is still pending: it is sent on its own schedule",
            code="delivery-pending",
        )
    control.mock.webhooks.redeliver(delivery)
    return Reply(202, delivery_body(delivery))


@HANDLERS.operation("pauseWebhooks")
def pause_webhooks(control: ControlBackend, call: Call[None]) -> Reply:
    control.mock.webhooks.pause(scope_of(call.body or {}))
    return Reply(200, _summary(control))


@HANDLERS.operation("resumeWebhooks")
def resume_webhooks(control: ControlBackend, call: Call[None]) -> Reply:
    body = call.body or {}
    control.mock.webhooks.resume(scope_of(body) if body else None)
    return Reply(200, _summary(control))


@HANDLERS.operation("drainWebhooks")
def drain_webhooks(control: ControlBackend, call: Call[None]) -> Answer:
    """Waits (wall clock, at most `timeout` seconds) until nothing is in flight and nothing
    is due on the mock clock: the way a test waits for deliveries without sleeping."""
    timeout = float((call.body or {}).get("timeout", DRAIN_TIMEOUT))
    control.settle()

    async def answer() -> Reply:
        idle = await control.mock.webhooks.drain(timeout)
        return Reply(200, {**_summary(control), "idle": idle})

    return answer()


@HANDLERS.operation("emitWebhookEvent")
def emit_webhook_event(control: ControlBackend, call: Call[None]) -> Reply:
    body = call.body
    provider = control.provider(body["provider"])
    sent = provider.emit_event(body["tenant"], body["type"], body.get("data", {}))
    if sent is None:
        raise NotFound(
            "Tenant",
            body["tenant"],
            f"No {provider.name} tenant {body['tenant']} that can be sent events",
        )
    return Reply(201, {"deliveries": sent})


@HANDLERS.operation("configureInbox")
def configure_inbox(control: ControlBackend, call: Call[None]) -> Reply:
    name = call.path["name"]
    inbox = control.mock.inboxes.configure(name, list(call.body.get("respond", [])))
    return Reply(200, inbox_body(name, inbox, []))


@HANDLERS.operation("receiveInbox")
def receive_inbox(control: ControlBackend, call: Call[None]) -> Reply:
    """A delivery (or any JSON POST) to the inbox: kept, its signature checked against the
    keys of the subscription its message id came from, answered as configured."""
    if len(call.raw_body) > INBOX_BODY_LIMIT:
        raise PayloadTooLarge(INBOX_BODY_LIMIT)
    name = call.path["name"]
    url = f"{call.base_url}{INBOX_PREFIX}{name}"
    received = control.mock.inboxes.receive(
        name, url, call.headers, call.raw_body, control.mock.clock.now()
    )
    verification = received.verification
    body = {"received": received.seq, "verified": verification.valid}
    return Reply(received.status, body)


@HANDLERS.operation("listInbox")
def list_inbox(control: ControlBackend, call: Call[None]) -> Answer:
    name = call.path["name"]
    after = int(call.query.get("after", 0))
    wait = float(call.query.get("wait", 0))
    inboxes = control.mock.inboxes
    if wait <= 0 or inboxes.after(name, after):
        return Reply(200, inbox_body(name, inboxes.get(name), inboxes.after(name, after)))

    async def answer() -> Reply:
        found = await inboxes.wait(name, after, wait)
        return Reply(200, inbox_body(name, inboxes.get(name), found))

    return answer()


@HANDLERS.operation("clearInbox")
def clear_inbox(control: ControlBackend, call: Call[None]) -> Reply:
    control.mock.inboxes.clear(call.path["name"])
    return Reply(204)
