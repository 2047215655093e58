"""The platform's webhook endpoints (`/v1/webhooks`, bird/resources/webhooks_gen.py and
webhooks.py, models in bird/_generated.py): create (the signing secret shown once), list,
get, update, delete, a synchronous test event, the delivery attempts, replay of failed
deliveries, and secret rotation (the old secret keeps signing for 24 hours; at most five
valid at once).

Deliveries carry Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one entry per valid
secret), which `client.webhooks.unwrap` verifies, and the envelope `{type, timestamp,
data}`. The platform's event catalog has no number, order or sender events (bird/
_event_types.py): a numbers mock never causes one by itself, so events reach endpoints
through the test operation, replays, and the control plane's `POST /_mock/webhooks/events`,
which the harness uses to stand for an event of the catalog (an `sms.received`, say).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.errors import Invalid, NotFound, RateLimited
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.errors import WebhookSecretLimit
from mockserver.providers.bird.platform.models import (
    EndpointSecret,
    PlatformTenant,
    WebhookEndpoint,
)
from mockserver.providers.bird.platform.pages import (
    CursorPage,
    Window,
    scope,
    sort_descending,
)
from mockserver.webhooks import signing, urls
from mockserver.webhooks.models import Attempt, Delivery, Outgoing, WebhookTarget

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend

PROVIDER = "bird"
ROTATION_OVERLAP = timedelta(hours=24)  # "Both the old and new secrets sign ... for 24 hours"
MAX_SECRETS = 5  # "An endpoint holds at most 5 valid secrets"
REPLAYS_PER_DAY = 20  # "Limited to 20 per organization per UTC day"
REPLAY_WINDOW = timedelta(hours=24)  # "default: the last 24 hours"
REPLAY_REACH = timedelta(days=3)  # "the window reaches back at most three days"
REPLAY_EVENTS = 10_000  # "One replay covers at most the oldest 10,000 events"
_SEP = "\x1f"

# The platform's event catalog (bird/_event_types.py WebhookEventType, messagebird-sdk
# 0.106.0); specs/bird-platform.yaml lists the same names (a contract test compares them).
EVENT_TYPES = (
    "amb.accepted", "amb.conversation_closed", "amb.conversation_reopened",
    "amb.conversation_started", "amb.received", "amb.rejected", "amb.send_failed", "amb.sent",
    "amb_suppression.created", "domain.failed", "domain.verified", "email.accepted",
    "email.bounced", "email.canceled", "email.clicked", "email.complained", "email.deferred",
    "email.delivered", "email.list_unsubscribed", "email.opened", "email.out_of_band_bounce",
    "email.processed", "email.received", "email.rejected", "email.scheduled",
    "email.unsubscribed", "email_mailbox.message_delivered", "email_mailbox.message_failed",
    "email_mailbox.message_received", "email_mailbox.message_sent", "email_mailbox.suspended",
    "email_mailbox.thread_created", "email_suppression.created", "preference.deleted",
    "preference.granted", "preference.revoked", "sms.accepted", "sms.delivered", "sms.expired",
    "sms.failed", "sms.received", "sms.rejected", "sms.sent", "sms.undelivered",
    "sms_suppression.created", "verify.attempt.delivered", "verify.attempt.sent",
    "verify.attempt.undelivered", "verify.verification.created", "verify.verification.failed",
    "verify.verification.verified", "voice_call.answered", "voice_call.ended",
    "voice_call.initiated", "whatsapp.accepted", "whatsapp.delivered", "whatsapp.failed",
    "whatsapp.group.join_request_created", "whatsapp.group.join_request_revoked",
    "whatsapp.reacted", "whatsapp.read", "whatsapp.received", "whatsapp.rejected",
    "whatsapp.sent", "whatsapp_suppression.created",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EndpointQuery:
    sort: str = "created_at"
    order: str | None = None
    url: str | None = None
    include_total: bool = False
    window: Window = Window()


@dataclass(frozen=True, slots=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, slots=True)
class TestEvent:
    """A test event ready to send: what `send` returns is the receiver's answer."""

    event_type: str
    body: str
    send: Callable[[], Any]


_SORTS: dict[str, Callable[[WebhookEndpoint], tuple[str, ...]]] = {
    "created_at": lambda e: (e.created_at.isoformat(), f"{e.serial:012d}"),
    "url": lambda e: (e.url, e.id),
}


class Webhooks:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    # --- endpoints ----------------------------------------------------------------------------

    def create(self, principal: PlatformPrincipal, body: Mapping[str, Any]) -> Created:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        _check_destination(body.get("destination"), body.get("url"))
        _check_filter(body.get("filter"))
        url = body["url"]
        _check_url(url)
        secret = self._secret()
        endpoint = WebhookEndpoint(
            id=self.platform.new_webhook_id("whk"),
            url=url,
            events=tuple(dict.fromkeys(body["events"])),
            created_at=now,
            updated_at=now,
            serial=self.platform.state.next_serial(),
            secrets=[EndpointSecret(secret, now)],
            description=body.get("description"),
        )
        tenant.webhooks[endpoint.id] = endpoint
        self.platform.bird.outbox.watch()
        return Created(endpoint, secret)

    def page(
        self, principal: PlatformPrincipal, query: EndpointQuery
    ) -> CursorPage[WebhookEndpoint]:
        self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        rows = [e for e in tenant.webhooks.values() if query.url in (None, e.url)]
        descending = sort_descending(query.order, query.sort)
        page_scope = scope("webhooks", tenant.id, query.sort, descending, query.url)
        return self.platform.cursors.page(
            page_scope,
            rows,
            _SORTS[query.sort],
            query.window,
            descending=descending,
            total=query.include_total,
        )

    def get(self, principal: PlatformPrincipal, webhook_id: str) -> WebhookEndpoint:
        self.platform.settle()
        return _find(self.platform.api_key_tenant(principal), webhook_id)

    def update(
        self, principal: PlatformPrincipal, webhook_id: str, body: Mapping[str, Any]
    ) -> WebhookEndpoint:
        now = self.platform.settle()
        endpoint = _find(self.platform.api_key_tenant(principal), webhook_id)
        if "destination" in body:
            destination = body["destination"] or {}
            if destination.get("type", "webhook") != "webhook" or "connector" in destination:
                raise Invalid(
                    "An endpoint's destination type cannot change, and only a connector "
                    "destination takes `connector`",
                    {"destination": ["this endpoint posts the signed event to its url"]},
                )
        if body.get("filter") is not None:
            _check_filter(body["filter"])
        if "url" in body:
            _check_url(body["url"])
            endpoint.url = body["url"]
        if "description" in body:
            endpoint.description = body["description"]
        if "events" in body:
            endpoint.events = tuple(dict.fromkeys(body["events"]))
        if "status" in body:
            endpoint.paused = body["status"] == "paused"
        endpoint.updated_at = now
        return endpoint

    def delete(self, principal: PlatformPrincipal, webhook_id: str) -> None:
        """Permanent; every delivery to it stops, retries included."""
        self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        _find(tenant, webhook_id)
        del tenant.webhooks[webhook_id]
        self.platform.bird.outbox.cancel(PROVIDER, webhook_id)

    def rotate(self, principal: PlatformPrincipal, webhook_id: str) -> str:
        """A new secret, shown once; the ones in force keep signing for 24 hours more."""
        now = self.platform.settle()
        endpoint = _find(self.platform.api_key_tenant(principal), webhook_id)
        valid = [s for s in endpoint.secrets if s.valid(now)]
        if len(valid) >= MAX_SECRETS:
            raise WebhookSecretLimit(
                f"An endpoint holds at most {MAX_SECRETS} valid secrets: wait until a rotated "
                "one stops signing (24 hours after its rotation)",
                {"param": "webhook_id"},
            )
        for old in valid:
            if old.expires_at is None:
                old.expires_at = now + ROTATION_OVERLAP
        secret = self._secret()
        endpoint.secrets = [EndpointSecret(secret, now), *valid]
        endpoint.updated_at = now
        return secret

    def _secret(self) -> str:
        raw = bytes.fromhex(self.platform.webhook_ids.hex(64))
        return "whsec_" + base64.b64encode(raw).decode()

    # --- deliveries ---------------------------------------------------------------------------

    def status(self, tenant: PlatformTenant, endpoint: WebhookEndpoint) -> str:
        """paused (by an update), degraded (its latest attempt failed), else active."""
        if endpoint.paused:
            return "paused"
        attempts = self.platform.bird.outbox.attempts(PROVIDER, endpoint.id)
        if attempts and attempts[0][1].outcome != "delivered":
            return "degraded"
        return "active"

    def test(
        self, principal: PlatformPrincipal, webhook_id: str, event_type: str | None
    ) -> TestEvent:
        """A stub event (only its type) signed and sent now, even to a paused endpoint; never
        recorded among the attempts, never retried."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        endpoint = _find(tenant, webhook_id)
        chosen = event_type or endpoint.events[0]
        body = orjson.dumps({"type": chosen, "timestamp": _timestamp(now), "data": {}}).decode()
        message_id = self.platform.new_webhook_id("msg")
        target = replace_active(self._target(tenant, endpoint, now))
        outbox = self.platform.bird.outbox
        key = route(tenant.id, endpoint.id)
        return TestEvent(
            chosen, body, lambda: outbox.send_once(PROVIDER, key, target, message_id, body)
        )

    def attempts(
        self,
        principal: PlatformPrincipal,
        webhook_id: str,
        limit: int,
        before: datetime | None,
        after: datetime | None,
    ) -> list[tuple[Delivery, Attempt]]:
        """Newest first; `before` and `after` bound `attempted_at` (exclusive). Attempts
        older than three days are gone (the engine's retention)."""
        self.platform.settle()
        endpoint = _find(self.platform.api_key_tenant(principal), webhook_id)
        found = [
            pair
            for pair in self.platform.bird.outbox.attempts(PROVIDER, endpoint.id)
            if (before is None or pair[1].at < before) and (after is None or pair[1].at > after)
        ]
        return found[:limit]

    def replay(
        self,
        principal: PlatformPrincipal,
        webhook_id: str,
        since: datetime | None,
        until: datetime | None,
    ) -> int:
        """Queue one more attempt for each event whose attempts in the window failed and
        none was delivered in it (a paused endpoint sends them once it is active again)."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        endpoint = _find(tenant, webhook_id)
        day = now.astimezone(UTC).date().isoformat()
        used = tenant.replays if tenant.replay_day == day else 0
        if used >= REPLAYS_PER_DAY:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            wait = max(1, int((midnight - now).total_seconds()))
            raise RateLimited(
                f"At most {REPLAYS_PER_DAY} replays per organization per UTC day",
                retry_after=wait,
            )
        window_start = max(since or now - REPLAY_WINDOW, now - REPLAY_REACH)
        window_end = until or now
        tenant.replay_day, tenant.replays = day, used + 1
        if window_start > window_end:
            return 0
        return self.platform.bird.outbox.replay(
            PROVIDER, endpoint.id, window_start, window_end, REPLAY_EVENTS
        )

    def emit(self, tenant: PlatformTenant, event_type: str, data: Any) -> list[str]:
        """An event of the catalog now, to every endpoint of the workspace subscribed to it
        and not paused ("events that fire while paused are never attempted")."""
        if event_type not in EVENT_TYPES:
            raise Invalid(
                f"{event_type!r} is not in the platform's event catalog",
                {"/type": ["not a webhook event type of the platform (bird/_event_types.py)"]},
            )
        now = self.platform.bird.clock.now()
        body = orjson.dumps({"type": event_type, "timestamp": _timestamp(now), "data": data})
        event_id = self.platform.new_webhook_id("whe")
        sent = []
        for endpoint in tenant.webhooks.values():
            if event_type not in endpoint.events or endpoint.paused:
                continue
            delivery = self.platform.bird.outbox.emit(
                Outgoing(
                    provider=PROVIDER,
                    tenant=tenant.id,
                    subscription=endpoint.id,
                    route=route(tenant.id, endpoint.id),
                    event_type=event_type,
                    event_id=event_id,
                    message_id=self.platform.new_webhook_id("msg"),
                    occurred_at=now,
                    body=body.decode(),
                )
            )
            sent.append(delivery.id)
        return sent

    def target(self, key: str) -> WebhookTarget | None:
        parts = key.split(_SEP)
        if len(parts) != 3 or parts[0] != "platform":
            return None
        tenant = self.platform.state.tenants.get(parts[1])
        endpoint = None if tenant is None else tenant.webhooks.get(parts[2])
        if tenant is None or endpoint is None:
            return None
        return self._target(tenant, endpoint, self.platform.bird.clock.now())

    def _target(
        self, tenant: PlatformTenant, endpoint: WebhookEndpoint, now: datetime
    ) -> WebhookTarget:
        keys = tuple(s.secret for s in endpoint.secrets if s.valid(now))
        return WebhookTarget(endpoint.url, signing.STANDARD_WEBHOOKS, keys, not endpoint.paused)


def replace_active(target: WebhookTarget) -> WebhookTarget:
    """A test event "reaches even a paused endpoint"."""
    return WebhookTarget(target.url, target.scheme, target.keys, True)


def route(tenant_id: str, endpoint_id: str) -> str:
    return _SEP.join(("platform", tenant_id, endpoint_id))


def _find(tenant: PlatformTenant, webhook_id: str) -> WebhookEndpoint:
    found = tenant.webhooks.get(webhook_id)
    if found is None:
        raise NotFound(
            "WebhookEndpoint",
            webhook_id,
            f"No webhook endpoint {webhook_id} in this workspace",
            details={"param": "webhook_id"},
        )
    return found


def _check_url(url: str) -> None:
    problem = urls.problem(url)
    if problem is not None:
        raise Invalid(f"The webhook URL {problem}", {"url": [problem]})


def _check_destination(destination: Mapping[str, Any] | None, url: str | None) -> None:
    if destination is not None and destination.get("type") == "connector":
        raise Invalid(
            "Connector destinations are not emulated by this mock: post the signed event to a "
            "url (destination type webhook)",
            {"destination.type": ["connector destinations are not emulated"]},
        )
    if url is None:
        raise Invalid("A webhook destination needs a url", {"url": ["is required"]})


def _check_filter(found: Mapping[str, Any] | None) -> None:
    """`filter.mailbox_id` must name a mailbox of this workspace: the mock has none."""
    if found is not None:
        raise Invalid(
            "The mailbox is not a mailbox of this workspace",
            {"filter.mailbox_id": ["is not a mailbox of this workspace (the mock has none)"]},
        )


def _timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
