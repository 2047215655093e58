"""Bird's status paths, as data and pure functions of the clock (DESIGN.md, decision 5).

The statuses are documented (LongCodeNumberOrderStatus, EndpointProvisioningStatus,
WhatsAppNumberStatus, AccountingSubscriptionStatus); how long each step takes, the stage
names of WhatsApp pre-verification and the retry back-off are not, so they are the mock's
choices, set in the scenario (docs/fidelity.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from mockserver.domain.lifecycle import Step, Timeline
from mockserver.providers.bird.models import LongCodeNumber, Subscription, WhatsAppPlan


@dataclass(frozen=True, slots=True)
class OrderTiming:
    processing_after: timedelta = timedelta(seconds=2)
    fulfilled_after: timedelta = timedelta(seconds=5)
    # Back-ordered items are "available but not in the local inventory" (seed 000): their
    # order waits as draft for the supplier, and takes longer.
    back_order_submitted_after: timedelta = timedelta(minutes=5)
    back_order_fulfilled_after: timedelta = timedelta(minutes=10)


@lru_cache(maxsize=64)
def order_timeline(back_order: bool, timing: OrderTiming) -> Timeline[str]:
    """The order's path, shared by every number bought under the same timing (timelines are
    immutable values; one object per variant keeps the heap small)."""
    if back_order:
        submitted = timing.back_order_submitted_after
        return Timeline(
            (
                Step("draft", timedelta(0)),
                Step("submitted", submitted),
                Step("processing", submitted + timing.processing_after),
                Step("fulfilled", max(timing.back_order_fulfilled_after, submitted)),
            )
        )
    return Timeline(
        (
            Step("submitted", timedelta(0)),
            Step("processing", timing.processing_after),
            Step("fulfilled", max(timing.fulfilled_after, timing.processing_after)),
        )
    )


def order_status(number: LongCodeNumber, now: datetime) -> str:
    ended = number.ended
    if ended is not None and now >= ended.at:
        return ended.status
    return number.order.status_at(number.created_at, now)


def order_changed(number: LongCodeNumber, now: datetime) -> datetime:
    ended = number.ended
    if ended is not None and now >= ended.at:
        return ended.at
    return number.order.since(number.created_at, now)


def fulfilled_at(number: LongCodeNumber) -> datetime | None:
    """When the order is (or was) fulfilled; None if it ends before that."""
    fulfilled = number.order.reached("fulfilled", number.created_at)
    ended = number.ended
    return None if ended is not None and ended.at <= fulfilled else fulfilled


def is_active(number: LongCodeNumber, now: datetime) -> bool:
    """Fulfilled, and not yet deprovisioning: traffic flows."""
    return provisioning_status(number, now) == "provisioned"


def provisioning_status(number: LongCodeNumber, now: datetime) -> str:
    fulfilled = fulfilled_at(number)
    if fulfilled is None:
        ended = number.ended
        return "deprovisioned" if ended is not None and now >= ended.at else "provisioning"
    if now < fulfilled:
        return "provisioning"
    end = number.subscription.end_at
    if end is None or now < end:
        return "provisioned"
    return "deprovisioning" if now < end + number.deprovisioning else "deprovisioned"


def subscription_status(
    sub: Subscription, start: datetime | None, now: datetime
) -> tuple[str, str]:
    """(EndpointSubscriptionStatus, AccountingSubscriptionStatus) as of `now`."""
    if sub.end_at is not None and now >= sub.end_at:
        return "inactive", "canceled"
    if start is None or now < start:
        return "inactive", "planned"
    if sub.canceled_at is not None and now >= sub.canceled_at:
        return "active", "canceling"
    return "active", "active"


@dataclass(frozen=True, slots=True)
class WhatsAppState:
    stage: str
    status: str  # WhatsAppNumberStatus
    attempt: int
    changed_at: datetime
    requested_code_at: datetime | None = None
    next_attempt_at: datetime | None = None
    verification_expires_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.status == "verified"


def whatsapp_state(plan: WhatsAppPlan, start: datetime, now: datetime) -> WhatsAppState:
    """Pre-verification of a number provisioned at `start` (Meta's add_phone_numbers,
    request_code and verify_code, with retries after failed attempts), as of `now`."""
    timing = plan.timing
    if plan.already_exists:
        return WhatsAppState("failed", "already-exists", 1, start)
    begin, attempt = start, 1
    while True:
        requested = begin + timing.code_requested_after
        verifying = begin + timing.verifying_after
        result = begin + timing.verified_after
        if now < requested:
            status = "unknown" if attempt == 1 else "not-verified"
            return WhatsAppState("requesting-code", status, attempt, begin)
        if now < verifying:
            return WhatsAppState("code-requested", "not-verified", attempt, requested, requested)
        if now < result:
            return WhatsAppState("verifying", "not-verified", attempt, verifying, requested)
        if attempt > plan.failures:
            expires = result + timing.valid_for
            if now < expires:
                return WhatsAppState(
                    "verified", "verified", attempt, result, requested, None, expires
                )
            return WhatsAppState("expired", "expired", attempt, expires, requested, None, expires)
        if attempt >= timing.max_attempts:
            return WhatsAppState("failed", "not-verified", attempt, result, requested)
        retry = result + timing.retry_after * 2 ** (attempt - 1)
        if now < retry:
            return WhatsAppState(
                "retry-scheduled", "not-verified", attempt, result, requested, retry
            )
        begin, attempt = retry, attempt + 1


def whatsapp_of(number: LongCodeNumber, now: datetime) -> WhatsAppState | None:
    """The pre-verification, for a WhatsApp-capable number that is provisioned."""
    start = fulfilled_at(number)
    if number.whatsapp is None or start is None or now < start:
        return None
    return whatsapp_state(number.whatsapp, start, now)


def updated_at(number: LongCodeNumber, now: datetime) -> datetime:
    """The last time anything about the number changed, as of `now`."""
    changes = [number.created_at, order_changed(number, now)]
    sub = number.subscription
    changes += [t for t in (sub.canceled_at, sub.end_at) if t is not None and t <= now]
    # Deprovisioning follows the end of a provisioned number only: one whose order ended
    # before it was fulfilled is deprovisioned at once (provisioning_status), so nothing
    # about it changes `deprovisioning` later and its updatedAt stays where it ended.
    deprovisions = fulfilled_at(number) is not None
    if deprovisions and sub.end_at is not None and sub.end_at + number.deprovisioning <= now:
        changes.append(sub.end_at + number.deprovisioning)
    whatsapp = whatsapp_of(number, now)
    if whatsapp is not None:
        changes.append(whatsapp.changed_at)
    return max(changes)


def change_points(number: LongCodeNumber) -> list[datetime]:
    """Every time something about the number changes by itself or changed by a request, in
    order: its purchase, each order status, provisioning, the cancellation, the end of the
    subscription, deprovisioning, and each WhatsApp pre-verification stage (the times each
    status begins; webhooks.py emits the numbers event at each)."""
    start = number.created_at
    points = {start}
    ended = number.ended
    for step in number.order.steps:
        at = start + step.after
        if ended is None or at < ended.at:
            points.add(at)
    if ended is not None:
        points.add(ended.at)
    sub = number.subscription
    points.update(t for t in (sub.canceled_at, sub.end_at) if t is not None)
    fulfilled = fulfilled_at(number)
    if sub.end_at is not None and fulfilled is not None:
        points.add(sub.end_at + number.deprovisioning)
    if number.whatsapp is not None and fulfilled is not None:
        points.update(whatsapp_points(number.whatsapp, fulfilled))
    return sorted(points)


def whatsapp_points(plan: WhatsAppPlan, start: datetime) -> list[datetime]:
    """When each pre-verification stage begins (whatsapp_state's steps, attempt by attempt)."""
    timing = plan.timing
    if plan.already_exists:
        return [start]
    points, begin, attempt = [], start, 1
    while True:
        result = begin + timing.verified_after
        points += [
            begin,
            begin + timing.code_requested_after,
            begin + timing.verifying_after,
            result,
        ]
        if attempt > plan.failures:
            return [*points, result + timing.valid_for]
        if attempt >= timing.max_attempts:
            return points
        begin, attempt = result + timing.retry_after * 2 ** (attempt - 1), attempt + 1


def next_change(number: LongCodeNumber, after: datetime) -> datetime | None:
    """The first change point after `after` (None: the number changes no more by itself)."""
    return next((at for at in change_points(number) if at > after), None)
