"""The delivery engine's records, as slotted dataclasses (the state dump is written from
them by dumps.Codec: a field added here needs a default, so older dumps still restore),
and what providers hand it (`Outgoing`) and tell it (`WebhookTarget`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mockserver.dumps import keyed

# A delivery's outcome: pending until it is delivered, failed (the retry schedule is spent,
# or the URL cannot be reached under the egress setting, or its queue was full), dropped
# (a fault lost it: never sent) or cancelled (its subscription was deleted).
OUTCOMES = ("pending", "delivered", "failed", "dropped", "cancelled")


@dataclass(frozen=True, slots=True)
class Policy:
    """How the engine delivers (README "Webhooks", docs/fidelity.md).

    Bird documents retries "at increasing intervals over a period of 8 hours"; the intervals
    are the mock's: 8 attempts, the last 7 h 42 min 30 s after the first."""

    retry_intervals: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
    )
    # The timestamp a signature carries: the wall clock when the request is sent (what a
    # receiver checks its tolerance window against), or the attempt's time on the mock clock.
    signature_time: str = "wall"
    timeout: float = 5.0  # seconds a receiver has to answer (wall clock)
    concurrency: int = 16  # requests in flight at once, over all subscriptions
    egress: str = "private"  # webhooks/urls.py
    history: int = 1000  # finished deliveries kept (the oldest go first)
    queue: int = 1000  # deliveries waiting per subscription; beyond, one fails at once
    retention: timedelta = timedelta(days=3)  # finished deliveries older than this go


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where and how a subscription's deliveries go, as its provider says at attempt time
    (an update, a rotated secret or a pause applies to retries already queued)."""

    url: str
    scheme: str  # signing.MESSAGEBIRD | signing.STANDARD_WEBHOOKS
    keys: tuple[str, ...] = ()  # the keys in force (none: unsigned)
    active: bool = True  # false: the provider's own pause (nothing is attempted meanwhile)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event for one subscription, as a provider hands it to the engine."""

    provider: str
    tenant: str  # as the control plane names it (a Bird workspace id, a `ws_` id)
    subscription: str  # the subscription's public id
    route: str  # the provider's key for it (Provider.webhook_target)
    event_type: str
    event_id: str
    message_id: str  # the id in the headers: receivers deduplicate on it
    occurred_at: datetime
    body: str  # the JSON sent, the same bytes on every attempt


@dataclass(slots=True)
class Attempt:
    """One HTTP request of a delivery (or one a fault dropped before it was sent)."""

    id: str
    number: int  # 1 for the first
    at: datetime  # when it was made, on the mock clock (its due time)
    url: str  # as it was at the time
    outcome: str  # delivered | failed | dropped
    duration_ms: int  # wall-clock round trip
    status_code: int | None = None
    error: str | None = None  # why no response came (connection refused, timeout...)
    response_body: str | None = None  # its first KiB
    next_attempt_at: datetime | None = None  # the retry this failure scheduled
    headers: dict[str, str] = field(default_factory=dict)  # the id, timestamp and signature
    fault: str | None = None  # the id of the fault that changed it
    duplicate: bool = False  # a second copy a fault sent


@dataclass(slots=True)
class Delivery:
    """One event on its way to one subscription, with every attempt made so far."""

    id: str  # the message id: messagebird-request-id, webhook-id
    provider: str
    tenant: str
    subscription: str
    route: str
    event_type: str
    event_id: str
    created_at: datetime  # when the event happened
    body: str
    serial: int  # emission order
    status: str = "pending"  # OUTCOMES
    next_attempt_at: datetime | None = None  # None once finished
    attempts: list[Attempt] = field(default_factory=list)
    # Outside its subscription's order: a redelivery or a replay (one attempt, never
    # retried), or a delivery a fault delayed (it no longer holds up the ones behind it).
    loose: bool = False
    once: bool = False  # one attempt, never retried (a redelivery, a platform replay)
    faulted: bool = False  # the delivery faults were drawn for it (once per delivery)
    finished_at: datetime | None = None
    note: str | None = None  # why it finished without a 2xx (queue full, egress, deleted)

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(slots=True)
class WebhookState:
    """What the engine keeps: every delivery, in emission order."""

    deliveries: dict[str, Delivery] = field(default_factory=dict, metadata=keyed("id"))
    serial: int = 0


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one request (a test event the platform sends synchronously)."""

    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
