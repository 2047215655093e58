"""The platform's part of Bird's state dump: written with the rest of BirdState by
dumps.Codec (`platform`); here, what a restore must check that the types cannot say, and
one tenant's part for a one-tenant dump."""

from __future__ import annotations

from mockserver.domain.schedule import Schedule
from mockserver.dumps import SnapshotError
from mockserver.providers.bird.platform import ids
from mockserver.providers.bird.platform.backend import DUE_KINDS
from mockserver.providers.bird.platform.models import PlatformState

WHERE = "$.bird.platform"


def check(state: PlatformState) -> None:
    """Every reference leads somewhere, and every id is the one its item gives."""
    for tenant_id in state.keys.values():
        if tenant_id not in state.tenants:
            raise SnapshotError(f"{WHERE}.keys: a key of {tenant_id}, no such tenant")
    for tenant in state.tenants.values():
        for number in tenant.numbers.values():
            if number.id != ids.number_id(number.item.id):
                raise SnapshotError(
                    f"{WHERE}.tenants.{tenant.id}.numbers: {number.id} is not the id of "
                    f"stock item {number.item.id}"
                )
            if number.order_id not in tenant.orders:
                raise SnapshotError(
                    f"{WHERE}.tenants.{tenant.id}.numbers.{number.id}: no order {number.order_id}"
                )
    for index, (_, _, due) in enumerate(state.schedule.pending()):
        if due.kind not in DUE_KINDS:
            raise SnapshotError(
                f"{WHERE}.schedule.pending[{index}].kind: unknown side effect {due.kind!r} "
                f"(known: {', '.join(DUE_KINDS)})"
            )


def part(state: PlatformState, tenant_ids: list[str]) -> PlatformState:
    """These tenants' state only (sharing its objects: for writing)."""
    mine = set(tenant_ids)
    return PlatformState(
        tenants={t: tenant for t, tenant in state.tenants.items() if t in mine},
        keys={key: t for key, t in state.keys.items() if t in mine},
        schedule=Schedule.rebuilt(
            [(at, seq, due) for at, seq, due in state.schedule.pending() if due.tenant in mine],
            state.schedule.next_seq,
        ),
        serial=state.serial,
    )
