"""SMS senders: every held number with SMS is one ("Dedicated numbers become senders when
you allocate them", "Exactly one sender exists per number": bird/_generated.py
SMSSenderCreate.type, SMSSender.number_id), so are the shared numbers, and alphanumeric
senders are claimed with createSmsSender (free; identity verification first).

A number's sender is `pending_number_ownership` while its ownership paperwork blocks it
(every country it would reach then needs attention), else `active` in its own country. A
claimed alphanumeric sender has no country yet: `pending_registrations`, its next step the
per-country requirements (sender registrations are outside this API's numbers scope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mockserver.errors import NotFound
from mockserver.providers.bird.platform import lifecycles
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.errors import IdentityVerificationRequired, SenderExists
from mockserver.providers.bird.platform.models import (
    AlphaSender,
    HeldNumber,
    PlatformTenant,
    SharedNumber,
)
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
class Sender:
    """A sender as the API shows it, whatever it comes from."""

    id: str
    sender: str
    source_kind: str  # number | shared_number | alpha
    sender_type: str  # long_code | short_code | alphanumeric | toll_free
    country_code: str | None
    number_id: str | None
    status: str  # active | pending_number_ownership | pending_registrations
    active: tuple[str, ...]
    needs_attention: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    serial: int


@dataclass(frozen=True, slots=True)
class SenderQuery:
    type: str | None = None  # a source_kind
    number_id: str | None = None
    sort: str = "created_at"
    order: str | None = None
    include_total: bool = False
    window: Window = Window()


_SORTS: dict[str, Callable[[Sender], tuple[str, ...]]] = {
    "created_at": lambda s: (s.created_at.isoformat(), f"{s.serial:012d}"),
    "sender": lambda s: (s.sender.casefold(), s.id),
}


class Senders:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def all(self, tenant: PlatformTenant, now: datetime) -> list[Sender]:
        found = [
            _of_number(n, now)
            for n in tenant.numbers.values()
            if n.sender_id and not n.released(now)
        ]
        found += [_of_shared(n) for n in tenant.shared.values()]
        found += [_of_alpha(a) for a in tenant.senders.values()]
        return found

    def page(self, principal: PlatformPrincipal, query: SenderQuery) -> CursorPage[Sender]:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        rows = [
            s
            for s in self.all(tenant, now)
            if (query.type is None or s.source_kind == query.type)
            and (query.number_id is None or s.number_id == query.number_id)
        ]
        descending = sort_descending(query.order, query.sort)
        page_scope = scope(
            "senders", tenant.id, query.type, query.number_id, query.sort, descending
        )
        return self.platform.cursors.page(
            page_scope,
            rows,
            _SORTS[query.sort],
            query.window,
            descending=descending,
            total=query.include_total,
        )

    def get(self, principal: PlatformPrincipal, sender_id: str) -> Sender:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        for sender in self.all(tenant, now):
            if sender.id == sender_id:
                return sender
        raise NotFound(
            "SMSSender",
            sender_id,
            f"No sender {sender_id} in this workspace",
            details={"param": "sender_id"},
        )

    def create(self, principal: PlatformPrincipal, text: str) -> Sender:
        """Claim an alphanumeric sender (free). A rule can stand for an organization whose
        identity verification is not complete (412)."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        if any(a.sender.casefold() == text.casefold() for a in tenant.senders.values()):
            raise SenderExists(
                f"The workspace has claimed the sender {text!r} already", {"param": "sender"}
            )
        if self.platform.bird.state.rules.take("platform-sender", tenant.id) is not None:
            raise IdentityVerificationRequired(
                "Complete the organization's identity verification before claiming a sender",
                {
                    "remediation": "A person must complete identity verification through the "
                    "hosted link.",
                    "next": [
                        {
                            "kind": "external",
                            "description": "Complete identity verification",
                            "url": "https://app.bird.com/settings/verification",
                        }
                    ],
                },
            )
        alpha = AlphaSender(
            id=self.platform.new_id("snd"),
            sender=text,
            created_at=now,
            serial=self.platform.state.next_serial(),
        )
        tenant.senders[alpha.id] = alpha
        return _of_alpha(alpha)


def _of_number(number: HeldNumber, now: datetime) -> Sender:
    item = number.item
    blocked = lifecycles.number_status(number, now) == "pending_ownership_registration"
    assert number.sender_id is not None
    changed = number.allocated_at
    if number.ownership is not None and not blocked and number.ownership.decided_at:
        changed = max(changed, min(number.ownership.decided_at, now))
    return Sender(
        id=number.sender_id,
        sender=item.number,
        source_kind="number",
        sender_type="toll_free" if item.type == "toll-free" else "long_code",
        country_code=item.country,
        number_id=number.id,
        status="pending_number_ownership" if blocked else "active",
        active=() if blocked else (item.country,),
        needs_attention=(item.country,) if blocked else (),
        created_at=number.allocated_at,
        updated_at=changed,
        serial=number.serial,
    )


def _of_shared(number: SharedNumber) -> Sender:
    return Sender(
        id=number.sender_id,
        sender=number.number,
        source_kind="shared_number",
        sender_type={"toll_free": "toll_free", "short_code": "short_code"}.get(
            number.number_type, "long_code"
        ),
        country_code=number.country,
        number_id=number.id,
        status="active",
        active=(number.country,),
        needs_attention=(),
        created_at=number.allocated_at,
        updated_at=number.allocated_at,
        serial=number.serial,
    )


def _of_alpha(alpha: AlphaSender) -> Sender:
    return Sender(
        id=alpha.id,
        sender=alpha.sender,
        source_kind="alpha",
        sender_type="alphanumeric",
        country_code=None,
        number_id=None,
        status="pending_registrations",
        active=(),
        needs_attention=(),
        created_at=alpha.created_at,
        updated_at=alpha.created_at,
        serial=alpha.serial,
    )
