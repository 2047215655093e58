"""Bird's state as JSON and back (mockserver/snapshot.py has the dump as a whole).

Tenants are listed once each, with the credentials that reach them listed apart, in the
order of `BirdState.tenants` (several credentials can share a tenant). Whatever refers to
a workspace (a reservation's holder, a pending side effect) names it as
{"tenant": index, "workspace": id}, and a restore hands back that very Workspace object;
a workspace no tenant lists any more but a pending effect still reaches is kept under
`detachedWorkspaces` and named {"detached": index}. Stock items are named by id (with
their number, as a check and for the reader) and looked up in the freshly seeded stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.dumps import (
    Reader,
    SnapshotError,
    maybe_when,
    money,
    rules,
    schedule,
    seconds,
    timeline,
    wallet,
    when,
)
from mockserver.providers.bird.lifecycles import order_timeline
from mockserver.providers.bird.models import (
    AlphaSender,
    BirdState,
    Destination,
    Due,
    LongCodeNumber,
    OrderEnd,
    Reservation,
    StockItem,
    Subscription,
    Tenant,
    WhatsAppPlan,
    WhatsAppTiming,
    Workspace,
    unique,
)
from mockserver.providers.bird.seed import BirdConfig

# The side effects BirdBackend knows how to apply (models.Due); anything else in a dump
# would fail at the next request instead of at the restore.
DUE_KINDS = ("order-ended", "deprovisioned", "reservation-lapsed")


def knows(state: BirdState, tenant: str) -> bool:
    return bool(_matching(state, tenant))


def dump(state: BirdState, tenant: str | None = None) -> dict[str, Any]:
    """All of Bird's state or, with `tenant` (a workspace id, as the control plane names
    Bird tenants, a credential without its scheme, or a tenant's name), the part of the
    tenant(s) it names: no stock and no counters, for reading only."""
    tenants = state.unique_tenants() if tenant is None else _matching(state, tenant)
    refs = _Refs(tenants)
    mine = {id(ws) for t in tenants for ws in t.workspaces.values()}

    def keep(workspace: Workspace) -> bool:
        return tenant is None or id(workspace) in mine

    reservations = [
        {
            "id": held.id,
            "item": _item(held.item),
            "workspace": refs.of(held.holder),
            "createdAt": when(held.created_at),
            "expiresAt": when(held.expires_at),
            "ended": held.ended,
        }
        for held in state.reservations.values()
        if keep(held.holder)
    ]
    pending = schedule(state.schedule, lambda due: _due(due, refs), lambda due: keep(due.workspace))
    ids = {ws.id for t in tenants for ws in t.workspaces.values()}
    part: dict[str, Any] = {
        "credentials": [
            {"scheme": scheme, "credential": credential, "tenant": refs.tenant(owner)}
            for (scheme, credential), owner in state.tenants.items()
            if id(owner) in refs.tenants
        ],
        "tenants": [_tenant(t) for t in tenants],
        "reservations": reservations,
        "rules": rules(state.rules, lambda r: tenant is None or r.scope in ids),
        "schedule": pending,
    }
    if tenant is None:
        # Written last: the references above are what find detached workspaces.
        part["detachedWorkspaces"] = [_workspace(ws) for ws in refs.detached]
        part["nextSerial"] = state.serial
        part["stock"] = {"unavailable": state.inventory.unavailable_ids()}
    return part


def restore(data: Mapping[str, Any], config: BirdConfig, fresh: BirdState) -> BirdState:
    """`fresh` (seeded from the same scenario and seed) made into the dumped state; raises
    SnapshotError. `config` lets numbers share the timelines new purchases use."""
    dump = Reader(data, "$.bird")
    inventory = fresh.inventory
    for index, item_id in enumerate(dump.at("stock").texts("unavailable")):
        if inventory.get(item_id) is None or not inventory.is_available(item_id):
            where = f"$.bird.stock.unavailable[{index}]"
            problem = "listed twice" if inventory.get(item_id) else "not in this seed's stock"
            raise SnapshotError(f"{where}: stock item {item_id} is {problem}")
        inventory.take(item_id)

    reading = _Reading(config, inventory)
    tenants = [reading.tenant(t) for t in dump.each("tenants")]
    detached = [reading.workspace(w) for w in dump.each("detachedWorkspaces")]

    def workspace(ref: Reader) -> Workspace:
        if ref.has("detached"):
            index = ref.integer("detached")
            if not 0 <= index < len(detached):
                raise ref.error(f"no detached workspace {index}")
            return detached[index]
        owner = _indexed(ref, "tenant", tenants)
        found = owner.workspaces.get(ref.text("workspace"))
        if found is None:
            raise ref.error(f"tenant {owner.name!r} has no workspace {ref.text('workspace')}")
        return found

    by_credential: dict[tuple[str, str], Tenant] = {}
    for entry in dump.each("credentials"):
        key = (entry.text("scheme"), entry.text("credential"))
        if key in by_credential:
            raise entry.error("credential listed twice")
        by_credential[key] = _indexed(entry, "tenant", tenants)

    reservations: dict[str, Reservation] = {}
    for entry in dump.each("reservations"):
        item = reading.item(entry.at("item"))
        if item.id in reservations:
            raise entry.error(f"a second reservation of stock item {item.id}")
        reservations[item.id] = Reservation(
            id=entry.text("id"),
            item=item,
            holder=workspace(entry.at("workspace")),
            created_at=entry.time("createdAt"),
            expires_at=entry.time("expiresAt"),
            ended=entry.maybe_text("ended"),
        )

    def due(entry: Reader) -> Due:
        kind = entry.text("kind")
        if kind not in DUE_KINDS:
            raise entry.error(f"unknown side effect {kind!r} (known: {', '.join(DUE_KINDS)})")
        return Due(kind, workspace(entry.at("workspace")), entry.text("subject"))

    fresh.tenants = by_credential
    fresh.reservations = reservations
    fresh.rules = dump.at("rules").as_rules()
    fresh.serial = dump.integer("nextSerial")
    fresh.schedule = dump.at("schedule").as_schedule(due)
    return fresh


# --- writing ----------------------------------------------------------------------------


class _Refs:
    """How the dump names workspaces: by tenant index and id, or as detached."""

    def __init__(self, tenants: list[Tenant]) -> None:
        self.tenants = {id(t): index for index, t in enumerate(tenants)}
        self._workspaces = {
            id(ws): {"tenant": index, "workspace": ws.id}
            for index, t in enumerate(tenants)
            for ws in t.workspaces.values()
        }
        self.detached: list[Workspace] = []

    def tenant(self, tenant: Tenant) -> int:
        return self.tenants[id(tenant)]

    def of(self, workspace: Workspace) -> dict[str, Any]:
        ref = self._workspaces.get(id(workspace))
        if ref is None:
            ref = self._workspaces[id(workspace)] = {"detached": len(self.detached)}
            self.detached.append(workspace)
        return ref


def _matching(state: BirdState, key: str) -> list[Tenant]:
    return unique(
        tenant
        for (_, credential), tenant in state.tenants.items()
        if key in (credential, tenant.name) or key in tenant.workspaces
    )


def _tenant(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "adHoc": tenant.ad_hoc,
        "organizationIds": sorted(tenant.organization_ids),
        "workspaces": [_workspace(ws) for ws in tenant.workspaces.values()],
    }


def _workspace(workspace: Workspace) -> dict[str, Any]:
    return {
        "id": workspace.id,
        "organizationId": workspace.organization_id,
        "wallet": wallet(workspace.wallet),
        "numbers": [_number(n) for n in workspace.numbers.values()],
        "alphaSenders": [_alpha(a) for a in workspace.alpha_senders.values()],
    }


def _item(item: StockItem) -> dict[str, str]:
    return {"id": item.id, "number": item.number}


def _number(number: LongCodeNumber) -> dict[str, Any]:
    plan = number.whatsapp
    return {
        "id": number.id,
        "workspaceId": number.workspace_id,
        "item": _item(number.item),
        "instanceId": number.instance_id,
        "connectorId": number.connector_id,
        "createdAt": when(number.created_at),
        "subscription": _subscription(number.subscription),
        "order": timeline(number.order),
        "serial": number.serial,
        "deprovisioning": seconds(number.deprovisioning),
        "ended": None
        if number.ended is None
        else {"status": number.ended.status, "at": when(number.ended.at)},
        "whatsapp": None
        if plan is None
        else {
            "whatsappId": plan.whatsapp_id,
            "failures": plan.failures,
            "alreadyExists": plan.already_exists,
            "timing": {
                "codeRequestedAfter": seconds(plan.timing.code_requested_after),
                "verifyingAfter": seconds(plan.timing.verifying_after),
                "verifiedAfter": seconds(plan.timing.verified_after),
                "retryAfter": seconds(plan.timing.retry_after),
                "maxAttempts": plan.timing.max_attempts,
                "validFor": seconds(plan.timing.valid_for),
            },
        },
    }


def _subscription(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "price": money(sub.price),
        "subscribedAt": when(sub.subscribed_at),
        "canceledAt": maybe_when(sub.canceled_at),
        "endAt": maybe_when(sub.end_at),
    }


def _alpha(alpha: AlphaSender) -> dict[str, Any]:
    return {
        "id": alpha.id,
        "alphaString": alpha.alpha_string,
        "instanceId": alpha.instance_id,
        "createdAt": when(alpha.created_at),
        "orderCountries": list(alpha.order_countries),
        "serial": alpha.serial,
        "destinations": [
            {
                "country": d.country,
                "capability": d.capability,
                "active": d.active,
                "subscription": _subscription(d.subscription),
            }
            for d in alpha.destinations.values()
        ],
    }


def _due(due: Due, refs: _Refs) -> dict[str, Any]:
    return {"kind": due.kind, "workspace": refs.of(due.workspace), "subject": due.subject_id}


# --- reading ----------------------------------------------------------------------------


def _indexed(entry: Reader, key: str, tenants: list[Tenant]) -> Tenant:
    index = entry.integer(key)
    if not 0 <= index < len(tenants):
        raise entry.error(f"no tenant {index} (the dump lists {len(tenants)})")
    return tenants[index]


class _Reading:
    def __init__(self, config: BirdConfig, inventory: Inventory[StockItem]) -> None:
        self.config = config
        self.inventory = inventory

    def tenant(self, raw: Reader) -> Tenant:
        tenant = Tenant(
            name=raw.text("name"),
            ad_hoc=raw.flag("adHoc"),
            organization_ids=set(raw.texts("organizationIds")),
        )
        for entry in raw.each("workspaces"):
            workspace = self.workspace(entry)
            if workspace.id in tenant.workspaces:
                raise entry.error(f"workspace {workspace.id} listed twice")
            tenant.workspaces[workspace.id] = workspace
        return tenant

    def workspace(self, raw: Reader) -> Workspace:
        workspace = Workspace(
            raw.text("id"), raw.maybe_text("organizationId"), raw.at("wallet").as_wallet()
        )
        for entry in raw.each("numbers"):
            number = self.number(entry)
            workspace.numbers[number.id] = number
        for entry in raw.each("alphaSenders"):
            alpha = self.alpha(entry)
            workspace.alpha_senders[alpha.id] = alpha
        return workspace

    def item(self, raw: Reader) -> StockItem:
        item_id, number = raw.text("id"), raw.text("number")
        item = self.inventory.get(item_id)
        if item is None:
            raise raw.error(f"stock item {item_id} is not in this seed's stock")
        if item.number != number:
            raise raw.error(f"stock item {item_id} is {item.number} here, not {number}")
        return item

    def number(self, raw: Reader) -> LongCodeNumber:
        item = self.item(raw.at("item"))
        order = raw.at("order").as_timeline()
        # Purchases share one timeline object per variant (lifecycles.order_timeline).
        usual = order_timeline(item.back_order_required, self.config.order_timing)
        ended = raw.at("ended") if raw.has("ended") else None
        return LongCodeNumber(
            id=raw.text("id"),
            workspace_id=raw.text("workspaceId"),
            item=item,
            instance_id=raw.text("instanceId"),
            connector_id=raw.text("connectorId"),
            created_at=raw.time("createdAt"),
            subscription=self.subscription(raw.at("subscription")),
            order=usual if order == usual else order,
            serial=raw.integer("serial"),
            deprovisioning=raw.duration("deprovisioning"),
            ended=None if ended is None else OrderEnd(ended.text("status"), ended.time("at")),
            whatsapp=self.whatsapp(raw.at("whatsapp")) if raw.has("whatsapp") else None,
        )

    def whatsapp(self, raw: Reader) -> WhatsAppPlan:
        timing = raw.at("timing")
        read = WhatsAppTiming(
            code_requested_after=timing.duration("codeRequestedAfter"),
            verifying_after=timing.duration("verifyingAfter"),
            verified_after=timing.duration("verifiedAfter"),
            retry_after=timing.duration("retryAfter"),
            max_attempts=timing.integer("maxAttempts"),
            valid_for=timing.duration("validFor"),
        )
        usual = self.config.whatsapp_timing
        return WhatsAppPlan(
            whatsapp_id=raw.text("whatsappId"),
            failures=raw.integer("failures"),
            timing=usual if read == usual else read,
            already_exists=raw.flag("alreadyExists"),
        )

    def subscription(self, raw: Reader) -> Subscription:
        return Subscription(
            id=raw.text("id"),
            name=raw.text("name"),
            price=raw.money("price"),
            subscribed_at=raw.time("subscribedAt"),
            canceled_at=raw.maybe_time("canceledAt"),
            end_at=raw.maybe_time("endAt"),
        )

    def alpha(self, raw: Reader) -> AlphaSender:
        alpha = AlphaSender(
            id=raw.text("id"),
            alpha_string=raw.text("alphaString"),
            instance_id=raw.text("instanceId"),
            created_at=raw.time("createdAt"),
            order_countries=tuple(raw.texts("orderCountries")),
            serial=raw.integer("serial"),
        )
        for entry in raw.each("destinations"):
            country = entry.text("country")
            alpha.destinations[country] = Destination(
                country,
                entry.text("capability"),
                self.subscription(entry.at("subscription")),
                entry.flag("active"),
            )
        return alpha
