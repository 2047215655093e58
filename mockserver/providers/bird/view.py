"""What the control plane shows of Bird's api.bird.com workspaces (`/_mock/tenants`, the
dashboard): long-code numbers with their order, provisioning, WhatsApp pre-verification and
subscription statuses, alpha senders and stock reservations, each with the next time one of
its statuses changes by itself. Read off the same lifecycle functions the API answers with
(lifecycles.py). The platform API's tenants are shown by platform/view.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mockserver.domain.money import Money
from mockserver.providers.base import Record, Section, TenantSummary, scheduled_change
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.models import (
    AlphaSender,
    BirdState,
    LongCodeNumber,
    Reservation,
    Workspace,
    WorkspaceRef,
)

SURFACES = ("bird",)


def summaries(state: BirdState) -> list[TenantSummary]:
    """One per workspace, named by its id; a workspace id that two (ad-hoc) tenants use
    names neither, so such a workspace is listed under its tenant's id."""
    uses: dict[str, int] = {}
    for tenant in state.tenants.values():
        for workspace_id in tenant.workspaces:
            uses[workspace_id] = uses.get(workspace_id, 0) + 1
    listed: dict[str, TenantSummary] = {}
    for tenant in state.tenants.values():
        for workspace in tenant.workspaces.values():
            name = workspace.id if uses[workspace.id] == 1 else tenant.id
            counts = _counts(state, workspace)
            before = listed.get(name)
            if before is not None:
                counts = {k: before.counts.get(k, 0) + v for k, v in counts.items()}
            listed[name] = TenantSummary(name, SURFACES, tenant.name, counts)
    return list(listed.values())


def _counts(state: BirdState, workspace: Workspace) -> dict[str, int]:
    return {
        "numbers": len(workspace.numbers),
        "alpha senders": len(workspace.alpha_senders),
        "reservations": len(_reservations(state, workspace.ref)),
    }


def sections(state: BirdState, refs: list[WorkspaceRef], now: datetime) -> list[Section]:
    """The records of these workspaces; with several, each record names its workspace."""
    numbers: list[Record] = []
    senders: list[Record] = []
    reservations: list[Record] = []
    for ref in refs:
        workspace = state.workspace_at(ref)
        if workspace is None:
            continue
        where = {"workspace": ref.workspace} if len(refs) > 1 else {}
        numbers += [long_code(n, now, where) for n in workspace.numbers.values()]
        senders += [alpha(a, now, where) for a in workspace.alpha_senders.values()]
        reservations += [reservation(r, now, where) for r in _reservations(state, ref)]
    return [
        Section("numbers", numbers),
        Section("alpha senders", senders),
        Section("reservations", reservations),
    ]


def _reservations(state: BirdState, ref: WorkspaceRef) -> list[Reservation]:
    return [held for held in state.reservations.values() if held.holder == ref]


def long_code(number: LongCodeNumber, now: datetime, where: dict[str, str]) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        found = {
            "order": lifecycles.order_status(number, at),
            "provisioning": lifecycles.provisioning_status(number, at),
        }
        whatsapp = lifecycles.whatsapp_of(number, at)
        if whatsapp is not None:
            found["whatsapp"] = whatsapp.stage
        start = lifecycles.fulfilled_at(number)
        found["subscription"] = lifecycles.subscription_status(number.subscription, start, at)[1]
        return found

    sub = number.subscription
    ended = number.ended
    instants = [
        *number.order.instants(number.created_at),
        None if ended is None else ended.at,
        sub.canceled_at,
        sub.end_at,
        None if sub.end_at is None else sub.end_at + number.deprovisioning,
        *_whatsapp_instants(number),
    ]
    item = number.item
    fields = {
        **where,
        "number": item.number,
        "country": item.country,
        "type": item.type,
        "capabilities": ", ".join(item.capability_names()),
        "price": f"{_money(sub.price)}/month",
        "created": _when(number.created_at),
    }
    if number.deprovision_at is not None:
        fields["deprovision at"] = _when(number.deprovision_at)
    return Record(number.id, statuses(now), fields, scheduled_change(statuses, instants, now))


def _whatsapp_instants(number: LongCodeNumber) -> list[datetime]:
    """When the pre-verification's stage may change: each attempt's steps, the retries and
    the verification's expiry (the steps lifecycles.whatsapp_state reads)."""
    plan, start = number.whatsapp, lifecycles.fulfilled_at(number)
    if plan is None or start is None:
        return []
    timing, begin = plan.timing, start
    found = [start]
    for attempt in range(1, timing.max_attempts + 1):
        result = begin + timing.verified_after
        found += [begin + timing.code_requested_after, begin + timing.verifying_after, result]
        if attempt > plan.failures:
            found.append(result + timing.valid_for)
            break
        begin = result + timing.retry_after * 2 ** (attempt - 1)
        found.append(begin)
    return found


def alpha(sender: AlphaSender, now: datetime, where: dict[str, str]) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        active = any(d.is_active(at) for d in sender.destinations.values())
        return {"sender": "active" if active else "inactive"}

    active = sorted(c for c, d in sender.destinations.items() if d.is_active(now))
    fields = {
        **where,
        "alpha": sender.alpha_string,
        "countries": ", ".join(sender.order_countries),
        "active destinations": ", ".join(active) or "none",
        "created": _when(sender.created_at),
    }
    instants = [d.subscription.end_at for d in sender.destinations.values()]
    return Record(sender.id, statuses(now), fields, scheduled_change(statuses, instants, now))


def reservation(held: Reservation, now: datetime, where: dict[str, str]) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        return {"reservation": held.status(at)}

    fields = {
        **where,
        "number": held.item.number,
        "stock item": held.item.id,
        "created": _when(held.created_at),
        "expires": _when(held.expires_at),
    }
    change = scheduled_change(statuses, [held.expires_at], now)
    return Record(held.id, statuses(now), fields, change)


def _money(amount: Money) -> str:
    return f"{amount.as_decimal():f} {amount.currency}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
