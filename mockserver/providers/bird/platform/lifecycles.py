"""Statuses read against the clock (DESIGN.md, decision 5): ownership registration and a
WhatsApp number's connection are fixed as timestamps when a number is allocated, and
computed here for any `now`, so moving the clock moves them with nothing to apply.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.providers.bird.platform.models import HeldNumber, Ownership, WhatsAppPlan

# --- ownership registration (bird/_generated.py NumberOwnership, NumberOwnershipStatus) ---


@dataclass(frozen=True, slots=True)
class OwnershipState:
    status: str
    satisfied: bool
    blocked_at: datetime | None
    next: list[dict[str, Any]]


_WAIT_REVIEW = {"kind": "wait", "description": "Bird is reviewing the ownership answers."}
_WAIT_APPROVAL = {
    "kind": "wait",
    "description": "The paperwork is accepted; registration approval is pending.",
}
_FILE = {
    "kind": "external",
    "description": "File the number's ownership details in the dashboard.",
    "url": "https://app.bird.com/settings/compliance",
}
_SUPPORT = {"kind": "terminal", "description": "The submission was closed; contact support."}


def ownership(plan: Ownership, now: datetime) -> OwnershipState:
    """`needs_input` until answers are filed; filed answers go `under_review`, then
    `approval_pending` half way, then `approved` (or `rejected`); a withdrawn requirement
    is `not_required` (satisfied, the block cleared)."""
    decided = plan.decided_at is not None and now >= plan.decided_at
    if plan.outcome == "withdrawn" and decided:
        return OwnershipState("not_required", True, None, [])
    if plan.submission_id is None or plan.decided_at is None:
        return OwnershipState("needs_input", False, plan.since, [_FILE])
    if decided:
        if plan.outcome == "rejected":
            return OwnershipState("rejected", False, plan.since, [_SUPPORT])
        return OwnershipState("approved", True, None, [])
    halfway = plan.since + (plan.decided_at - plan.since) / 2
    if now < halfway:
        return OwnershipState("under_review", False, plan.since, [_WAIT_REVIEW])
    return OwnershipState("approval_pending", True, plan.since, [_WAIT_APPROVAL])


def number_status(number: HeldNumber, now: datetime) -> str:
    """`released`, else `pending_ownership_registration` while ownership blocks outbound
    SMS and voice (allocated and billed all the same), else `active`."""
    if number.released(now):
        return "released"
    if number.ownership is not None and ownership(number.ownership, now).blocked_at is not None:
        return "pending_ownership_registration"
    return "active"


# --- WhatsApp numbers (bird/_generated.py WhatsAppNumber, WhatsAppNumberStatus) ------------


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    status: str
    reason: str | None = None


def whatsapp_transitions(
    plan: WhatsAppPlan, released_at: datetime | None, now: datetime
) -> list[Transition]:
    """The statuses the number has been through by `now`, oldest first: `preparing`,
    `awaiting_signup`, then `pending` and `connected` once the signup finished, or
    `failed` (the signup link lapsed, or WhatsApp refused the number); `deleted` when the
    held number it was connected from is released."""
    steps = [
        Transition(plan.created_at, "preparing"),
        Transition(plan.awaiting_at, "awaiting_signup"),
    ]
    if plan.pending_at is not None:
        steps.append(Transition(plan.pending_at, "pending"))
    if plan.connected_at is not None:
        steps.append(Transition(plan.connected_at, "connected"))
    if plan.failed_at is not None:
        steps.append(Transition(plan.failed_at, "failed", plan.error_code))
    elif plan.pending_at is None:
        steps.append(Transition(plan.verified_until, "failed", "number_verification_required"))
    if released_at is not None:
        steps = [s for s in steps if s.at < released_at]
        steps.append(Transition(released_at, "deleted", "number_released"))
    return [s for s in steps if s.at <= now]


def whatsapp_error(plan: WhatsAppPlan, current: Transition) -> str | None:
    return current.reason if current.status == "failed" else None


# --- billing periods (bird/_generated.py BillingPricingInterval: `month`) -------------------


def add_months(start: datetime, months: int) -> datetime:
    """`start` moved by whole calendar months, the day clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))
