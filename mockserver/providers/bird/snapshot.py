"""Bird's part of a state dump, and back (snapshot.py has the dump as a whole).

Written from the models' fields (dumps.Codec): tenants by id with their workspaces, the
credentials that open them, reservations by stock item, rules, pending side effects and
the creation serial. Stock items are written as references ({"id", "number"}) and looked up
in the freshly seeded stock; the stock itself as the ids of the items out of stock
(`inventory.unavailable`), last, after what a person reads a dump for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.domain.rules import Rules
from mockserver.domain.schedule import Schedule
from mockserver.dumps import Codec, Reader, SnapshotError, stock_refs
from mockserver.providers.bird.models import BirdState, StockItem, Tenant, ad_hoc_tenant_id
from mockserver.providers.bird.platform import snapshot as platform_snapshot

# The side effects BirdBackend knows how to apply (models.Due); anything else in a dump
# would fail at the next request instead of at the restore.
DUE_KINDS = ("order-ended", "deprovisioned", "reservation-lapsed", "notify")


def dump(
    state: BirdState,
    tenants: list[Tenant] | None = None,
    *,
    platform: list[str] | None = None,
    secrets: bool = False,
) -> dict[str, Any]:
    """All of Bird's state or, with `tenants` (and `platform` tenant ids), their part of
    it: no stock and no serial, for reading only. Credentials are redacted unless
    `secrets`."""
    codec = _codec(state.inventory, redact=not secrets)
    if tenants is not None or platform is not None:
        part = _part(state, tenants or [], platform or [])
        return codec.write_fields(part, ("inventory", "serial", "stock_generation"))
    whole = codec.write_fields(state)
    whole["inventory"] = whole.pop("inventory")
    return whole


def restore(
    data: Mapping[str, Any], version: int, stock: Inventory[StockItem]
) -> tuple[BirdState, list[str]]:
    """The dumped state on `stock` (seeded from the same scenario and seed), and the ids
    the dump lists out of stock: `stock` itself is left as it is. Raises SnapshotError."""
    if version == 1:
        data = upgrade_from_1(data)
    refs, out_of_stock = stock_refs(stock, StockItem, "stock item")
    codec = Codec(refs)
    state: BirdState = codec.read(Reader(data, "$.bird"), BirdState)
    _check(state)
    return state, out_of_stock.unavailable


def _codec(inventory: Inventory[StockItem], *, redact: bool) -> Codec:
    refs, _ = stock_refs(inventory, StockItem, "stock item")
    return Codec(refs, redact=redact)


def _check(state: BirdState) -> None:
    """What the models' types cannot say: every reference leads somewhere."""
    for tenant_id in state.credentials.values():
        if tenant_id not in state.tenants:
            raise SnapshotError(f"$.bird.credentials: a credential of {tenant_id}, no such tenant")
    for tenant in state.tenants.values():
        for workspace in tenant.workspaces.values():
            if workspace.tenant_id != tenant.id:
                raise SnapshotError(
                    f"$.bird.tenants: workspace {workspace.id} of tenant {tenant.id} names "
                    f"tenant {workspace.tenant_id}"
                )
    for item_id, held in state.reservations.items():
        if held.item.id != item_id:
            raise SnapshotError(f"$.bird.reservations.{item_id}: holds stock item {held.item.id}")
        if state.workspace_at(held.holder) is None:
            raise SnapshotError(f"$.bird.reservations.{item_id}: no workspace {held.holder}")
    platform_snapshot.check(state.platform)
    for index, (_, _, due) in enumerate(state.schedule.pending()):
        if due.kind not in DUE_KINDS:
            raise SnapshotError(
                f"$.bird.schedule.pending[{index}].kind: unknown side effect {due.kind!r} "
                f"(known: {', '.join(DUE_KINDS)})"
            )


def _part(state: BirdState, tenants: list[Tenant], platform: list[str]) -> BirdState:
    """The state of these tenants only (sharing its objects: for writing)."""
    ids = {tenant.id for tenant in tenants}
    mine = {ws.ref for tenant in tenants for ws in tenant.workspaces.values()}
    workspace_ids = {ref.workspace for ref in mine}
    return BirdState(
        inventory=state.inventory,
        tenants={tenant.id: tenant for tenant in tenants},
        credentials={c: t for c, t in state.credentials.items() if t in ids},
        rules=Rules([rule for rule in state.rules if rule.scope in workspace_ids]),
        reservations={i: r for i, r in state.reservations.items() if r.holder in mine},
        schedule=Schedule.rebuilt(
            [(at, seq, due) for at, seq, due in state.schedule.pending() if due.holder in mine],
            state.schedule.next_seq,
        ),
        platform=platform_snapshot.part(state.platform, platform),
    )


# --- format 1 -----------------------------------------------------------------------------


def upgrade_from_1(part: Mapping[str, Any]) -> dict[str, Any]:
    """Bird's part of a format-1 dump in format 2: tenants named by id rather than by
    index, workspaces by reference, credentials as "Scheme credential" keys.

    Format 1 also kept workspaces that only a pending effect still reached
    (`detachedWorkspaces`); no reset has left such a workspace since numbers-mock 0.1.0,
    and format 2 drops their reservations and pending effects."""
    raw = Reader(part, "$.bird")
    credentials = {
        f"{entry.text('scheme')} {entry.text('credential')}": entry
        for entry in raw.at("credentials").items()
    }
    first_key: dict[int, str] = {}
    for key, entry in credentials.items():
        first_key.setdefault(entry.integer("tenant"), key)
    tenants, ids = [], []
    for index, entry in enumerate(raw.at("tenants").items()):
        tenant = entry.as_mapping()
        ad_hoc = tenant.get("adHoc") and index in first_key
        tenant_id = ad_hoc_tenant_id(first_key[index]) if ad_hoc else entry.text("name")
        ids.append(tenant_id)
        workspaces = [{**ws, "tenantId": tenant_id} for ws in tenant.get("workspaces", [])]
        tenants.append({"id": tenant_id, **tenant, "workspaces": workspaces})

    def holder(entry: Reader) -> dict[str, Any] | None:
        ref = entry.at("workspace")
        if ref.has("detached"):
            return None
        index = ref.integer("tenant")
        if not 0 <= index < len(ids):
            raise ref.error(f"no tenant {index} (the dump lists {len(ids)})")
        return {"tenant": ids[index], "workspace": ref.text("workspace")}

    def upgraded(entry: Reader, **renamed: str) -> dict[str, Any] | None:
        owner = holder(entry)
        if owner is None:
            return None
        old = {k: v for k, v in entry.as_mapping().items() if k != "workspace"}
        return {renamed.get(k, k): v for k, v in old.items()} | {"holder": owner}

    reservations = {}
    for entry in raw.at("reservations").items():
        held = upgraded(entry)
        if held is not None:
            reservations[entry.at("item").text("id")] = held
    schedule = raw.at("schedule")
    pending = [upgraded(e, subject="subjectId") for e in schedule.at("pending").items()]
    return {
        "tenants": tenants,
        "credentials": {key: ids[entry.integer("tenant")] for key, entry in credentials.items()},
        "rules": raw.at("rules").value,
        "reservations": reservations,
        "serial": raw.at("nextSerial").value,
        "schedule": {
            "nextSeq": schedule.at("nextSeq").value,
            "pending": [event for event in pending if event is not None],
        },
        "inventory": raw.at("stock").value,
    }
