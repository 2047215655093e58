"""Voice numbers: every held number with voice is one (`vnu_`, provider `allocation`).

Documented (bird/resources/voice_numbers_gen.py, bird/_generated.py VoiceNumber): listed
ordered by number; `directions.outbound` is not granted by buying ("proving control
does"), so a bought number has it false; only a number whose calls arrive at Bird
(`directions.inbound`) can carry a route; a route replaces the one set before, null
follows the workspace default. The mock has no SIP trunks or verified caller IDs: any
well-formed `spt_` trunk and E.164 forward target is accepted (docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.errors import NotFound
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.errors import RouteNotSupported
from mockserver.providers.bird.platform.models import HeldNumber
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
class VoiceQuery:
    search: str | None = None
    provider: str | None = None
    route: str | None = None  # a route type, or `default` for none of its own
    sort: str = "phone_number"
    order: str | None = None
    window: Window = Window()


_SORTS: dict[str, Callable[[HeldNumber], tuple[str, ...]]] = {
    "phone_number": lambda n: (n.item.number,),
    "created_at": lambda n: (n.allocated_at.isoformat(), f"{n.serial:012d}"),
    "name": lambda n: (n.voice_name or "", n.item.number),
}


class Voice:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def page(self, principal: PlatformPrincipal, query: VoiceQuery) -> CursorPage[HeldNumber]:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        rows = [
            n
            for n in tenant.numbers.values()
            if n.voice_id is not None and not n.released(now) and _matches(n, query)
        ]
        descending = sort_descending(query.order, query.sort)
        page_scope = scope(
            "voice", tenant.id, query.search, query.provider, query.route, query.sort, descending
        )
        return self.platform.cursors.page(
            page_scope, rows, _SORTS[query.sort], query.window, descending=descending
        )

    def get(self, principal: PlatformPrincipal, voice_id: str) -> HeldNumber:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        for number in tenant.numbers.values():
            if number.voice_id == voice_id and not number.released(now):
                return number
        raise NotFound(
            "VoiceNumber",
            voice_id,
            f"No voice number {voice_id} in this workspace",
            details={"param": "number_id"},
        )

    def update(
        self, principal: PlatformPrincipal, voice_id: str, changes: Mapping[str, Any]
    ) -> HeldNumber:
        number = self.get(principal, voice_id)
        configuration = changes.get("inbound_configuration")
        route = None if configuration is None else configuration.get("route")
        if route is not None and not number.item.supports("voice", "inbound"):
            raise RouteNotSupported(
                f"Calls to {number.item.number} do not arrive at Bird: it cannot carry a route",
                {"param": "inbound_configuration.route"},
            )
        if "name" in changes:
            number.voice_name = changes["name"]
        if configuration is not None:
            number.route = None if route is None else dict(route)
        return number


def _matches(number: HeldNumber, query: VoiceQuery) -> bool:
    if query.search is not None:
        needle = query.search.casefold()
        if not any(needle in t.casefold() for t in (number.item.number, number.voice_name or "")):
            return False
    if query.provider not in (None, "allocation"):
        return False  # the mock has no verified caller IDs
    if query.route is not None:
        kind = "default" if number.route is None else number.route.get("type")
        if kind != query.route:
            return False
    return True
