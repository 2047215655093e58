"""WhatsApp numbers: a held WhatsApp-capable number becomes one when it is allocated
(scope `workspace`, `number_id` the held number), and goes through Bird's preparation, the
workspace's embedded signup and WhatsApp's connection on the mock clock
(lifecycles.whatsapp_transitions). The SDK creates none itself; its events are the
statuses it went through (bird/_generated.py WhatsAppNumberEvent), newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mockserver.errors import NotFound
from mockserver.providers.bird.platform import ids, lifecycles
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.models import HeldNumber, WhatsAppPlan
from mockserver.providers.bird.platform.pages import (
    CursorPage,
    Window,
    scope,
    sort_descending,
)

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend


@dataclass(frozen=True, slots=True)
class WhatsAppNumber:
    """A WhatsApp number as of a moment."""

    plan: WhatsAppPlan
    number: HeldNumber
    transitions: tuple[lifecycles.Transition, ...]

    @property
    def status(self) -> str:
        return self.transitions[-1].status

    @property
    def updated_at(self) -> datetime:
        return self.transitions[-1].at

    @property
    def signed_up(self) -> bool:
        """The workspace finished the embedded signup: the number is under its WABA."""
        return any(step.status == "pending" for step in self.transitions)

    @property
    def name(self) -> str:
        return self.number.name or self.number.item.number


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    summary: str
    metadata: dict[str, Any]
    created_at: datetime
    index: int


@dataclass(frozen=True, slots=True)
class WhatsAppQuery:
    waba: str | None = None
    phone_number: str | None = None
    statuses: tuple[str, ...] = ()
    scope: str | None = None
    sort: str = "created_at"
    order: str | None = None
    include_total: bool = False
    window: Window = Window()


_SORTS: dict[str, Callable[[WhatsAppNumber], tuple[str, ...]]] = {
    "created_at": lambda w: (w.plan.created_at.isoformat(), w.plan.id),
    "updated_at": lambda w: (w.updated_at.isoformat(), w.plan.id),
    "name": lambda w: (w.name.casefold(), w.plan.id),
    "phone_number": lambda w: (w.number.item.number, w.plan.id),
}


class WhatsApp:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def _all(self, principal: PlatformPrincipal, now: datetime) -> list[WhatsAppNumber]:
        tenant = self.platform.api_key_tenant(principal)
        return [
            WhatsAppNumber(
                n.whatsapp,
                n,
                tuple(lifecycles.whatsapp_transitions(n.whatsapp, n.released_at, now)),
            )
            for n in tenant.numbers.values()
            if n.whatsapp is not None
        ]

    def page(
        self, principal: PlatformPrincipal, query: WhatsAppQuery
    ) -> CursorPage[WhatsAppNumber]:
        now = self.platform.settle()
        rows = [w for w in self._all(principal, now) if _matches(w, query)]
        descending = sort_descending(query.order, query.sort)
        page_scope = scope(
            "whatsapp",
            principal.workspace_id,
            query.waba,
            query.phone_number,
            sorted(set(query.statuses)),
            query.scope,
            query.sort,
            descending,
        )
        return self.platform.cursors.page(
            page_scope,
            rows,
            _SORTS[query.sort],
            query.window,
            descending=descending,
            total=query.include_total,
        )

    def get(self, principal: PlatformPrincipal, whatsapp_id: str) -> WhatsAppNumber:
        now = self.platform.settle()
        for found in self._all(principal, now):
            if found.plan.id == whatsapp_id:
                return found
        raise NotFound(
            "WhatsAppNumber",
            whatsapp_id,
            f"No WhatsApp number {whatsapp_id} in this workspace",
            details={"param": "number_id"},
        )

    def events(
        self, principal: PlatformPrincipal, whatsapp_id: str, order: str | None, window: Window
    ) -> CursorPage[Event]:
        found = self.get(principal, whatsapp_id)
        descending = (order or "desc") == "desc"
        page_scope = scope("whatsapp-events", principal.workspace_id, whatsapp_id, descending)
        return self.platform.cursors.page(
            page_scope, history(found), _event_key, window, descending=descending
        )


def history(found: WhatsAppNumber) -> list[Event]:
    """`whatsapp_number.created`, then one `status_changed` per status it went through."""
    plan, number = found.plan, found.number.item.number
    events = [
        Event(
            ids.derived("wne", plan.id, "0"),
            "whatsapp_number.created",
            f"{number} was added to the workspace",
            {"source": "number", "phone_number": number},
            plan.created_at,
            0,
        )
    ]
    previous: str | None = None
    for index, step in enumerate(found.transitions, start=1):
        metadata: dict[str, Any] = {"to": step.status}
        if previous is not None:
            metadata["from"] = previous
        if step.reason is not None:
            metadata["reason"] = step.reason
        summary = f"Status changed to {step.status}"
        events.append(
            Event(
                ids.derived("wne", plan.id, str(index)),
                "whatsapp_number.status_changed",
                summary if previous is None else f"Status changed from {previous} to {step.status}",
                metadata,
                step.at,
                index,
            )
        )
        previous = step.status
    return events


def _event_key(event: Event) -> tuple[str, ...]:
    return (event.created_at.isoformat(), f"{event.index:06d}")


def _matches(found: WhatsAppNumber, query: WhatsAppQuery) -> bool:
    return (
        (query.waba is None or (found.signed_up and found.plan.waba == query.waba))
        and (query.phone_number is None or found.number.item.number == query.phone_number)
        and (not query.statuses or found.status in query.statuses)
        and query.scope in (None, "workspace")
    )
