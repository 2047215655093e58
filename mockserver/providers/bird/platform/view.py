"""What the control plane shows of a Bird platform tenant (`/_mock/tenants`, the
dashboard): its orders, its held numbers with their status, ownership registration and
WhatsApp connection, its shared numbers and its senders, each with the next time one of
its statuses changes. Read off the same functions the platform API answers with
(lifecycles.py); an order's end and a cancelled number's release are due effects, shown
as what they will do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mockserver.domain.money import Money
from mockserver.providers.base import Change, Record, Section, TenantSummary, scheduled_change
from mockserver.providers.bird.platform import lifecycles
from mockserver.providers.bird.platform.models import (
    AlphaSender,
    HeldNumber,
    PlatformOrder,
    PlatformState,
    PlatformTenant,
    SharedNumber,
)

SURFACES = ("bird-platform",)


def summaries(state: PlatformState) -> list[TenantSummary]:
    return [
        TenantSummary(
            tenant.id,
            SURFACES,
            tenant.label,
            {
                "orders": len(tenant.orders),
                "numbers": len(tenant.numbers),
                "shared numbers": len(tenant.shared),
                "senders": len(tenant.senders),
            },
        )
        for tenant in state.tenants.values()
    ]


def sections(tenant: PlatformTenant, now: datetime) -> list[Section]:
    return [
        Section("orders", [order(tenant, o, now) for o in tenant.orders.values()]),
        Section("numbers", [held(n, now) for n in tenant.numbers.values()]),
        Section("shared numbers", [shared(n) for n in tenant.shared.values()]),
        Section("senders", [sender(s) for s in tenant.senders.values()]),
    ]


def order(tenant: PlatformTenant, found: PlatformOrder, now: datetime) -> Record:
    item = found.item
    fields = {
        "number": item.number,
        "country": item.country,
        "setup": _money(found.setup_price),
        "recurring": f"{_money(found.recurring_price)}/month",
        "created": _when(found.created_at),
    }
    if found.number_id is not None:
        fields["number id"] = found.number_id
    if found.failure_reason is not None:
        fields["failure"] = found.failure_reason
    change = None
    if found.status == "pending" and found.settles_at is not None and found.settles_at > now:
        # What settling would do as things stand (orders.settle_pending): a rule's failure,
        # or a failure for want of the first month's price, else completion.
        short = tenant.wallet.balance < found.recurring_price
        ends = "failed" if found.fails_with is not None or short else "completed"
        change = Change(found.settles_at, {"order": ends})
    return Record(found.id, {"order": found.status}, fields, change)


def held(number: HeldNumber, now: datetime) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        found = {"number": lifecycles.number_status(number, at)}
        if number.ownership is not None:
            found["ownership"] = lifecycles.ownership(number.ownership, at).status
        if number.whatsapp is not None:
            released = number.released_at if number.released(at) else None
            steps = lifecycles.whatsapp_transitions(number.whatsapp, released, at)
            if steps:
                found["whatsapp"] = steps[-1].status
        return found

    instants: list[datetime | None] = []
    plan = number.ownership
    if plan is not None and plan.decided_at is not None:
        instants += [plan.decided_at, plan.since + (plan.decided_at - plan.since) / 2]
    connection = number.whatsapp
    if connection is not None:
        instants += [
            connection.created_at,
            connection.awaiting_at,
            connection.verified_until,
            connection.pending_at,
            connection.connected_at,
            connection.failed_at,
        ]
    change = scheduled_change(statuses, instants, now)
    # The release a cancel scheduled is a due effect: the number is released then.
    releases = number.releases_at
    pending = releases is not None and number.released_at is None and releases > now
    if pending and releases is not None and (change is None or releases <= change.at):
        change = Change(releases, {"number": "released"})
    item = number.item
    fields = {
        "number": item.number,
        "country": item.country,
        "recurring": f"{_money(number.recurring_price)}/month",
        "paid until": _when(number.paid_until),
        "allocated": _when(number.allocated_at),
    }
    if number.name is not None:
        fields["name"] = number.name
    return Record(number.id, statuses(now), fields, change)


def shared(number: SharedNumber) -> Record:
    fields = {
        "number": number.number,
        "country": number.country,
        "type": number.number_type,
        "capabilities": ", ".join(number.capabilities),
    }
    return Record(number.id, {"number": "active"}, fields)


def sender(found: AlphaSender) -> Record:
    return Record(found.id, {}, {"sender": found.sender, "created": _when(found.created_at)})


def _money(amount: Money) -> str:
    return f"{amount.as_decimal():f} {amount.currency}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
