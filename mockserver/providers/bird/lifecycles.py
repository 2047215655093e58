"""Bird's status paths, as data (DESIGN.md, decision 5).

The statuses are documented (LongCodeNumberOrderStatus, EndpointProvisioningStatus); how
long each takes is not, so the delays are the mock's choice (docs/fidelity.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from mockserver.domain.lifecycle import Step, Timeline
from mockserver.providers.bird.models import LongCodeNumber, StockItem


@dataclass(frozen=True, slots=True)
class OrderTiming:
    processing_after: timedelta = timedelta(seconds=2)
    fulfilled_after: timedelta = timedelta(seconds=5)
    # Back-ordered items are "available but not in the local inventory": they take longer.
    back_order_fulfilled_after: timedelta = timedelta(minutes=10)


def order_timeline(item: StockItem, timing: OrderTiming) -> Timeline[str]:
    """The order's path, shared by every number bought under the same timing (timelines are
    immutable values; one object per variant keeps the heap small)."""
    return _order_timeline(item.back_order_required, timing)


@lru_cache(maxsize=64)
def _order_timeline(back_order: bool, timing: OrderTiming) -> Timeline[str]:
    fulfilled = timing.back_order_fulfilled_after if back_order else timing.fulfilled_after
    return Timeline(
        (
            Step("submitted", timedelta(0)),
            Step("processing", timing.processing_after),
            Step("fulfilled", fulfilled),
        )
    )


def order_status(number: LongCodeNumber, now: datetime) -> str:
    return number.order.status_at(number.created_at, now)


def provisioning_status(number: LongCodeNumber, now: datetime) -> str:
    return "provisioned" if order_status(number, now) == "fulfilled" else "provisioning"


def updated_at(number: LongCodeNumber, now: datetime) -> datetime:
    """The last time anything about the number changed, as of `now`."""
    changes = [number.order.since(number.created_at, now)]
    if number.subscription.canceled_at is not None and number.subscription.canceled_at <= now:
        changes.append(number.subscription.canceled_at)
    return max(changes)
