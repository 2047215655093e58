"""The numbers a workspace holds: dedicated ones its orders allocated (`nda_`) and the
shared ones Bird manages (`nal_`); naming them, and giving dedicated ones back.

Documented (bird/resources/numbers_gen.py, bird/_generated.py Number): `release` gives a
dedicated number back now and stops its recurring charge, forfeiting the rest of the paid
period; `cancel` (DELETE) keeps it until the end of the period already paid for, when it is
released (`releases_at`), asking again returns the same schedule, and it is refused while a
renewal payment is overdue; a shared number answers E14002. Renewals charge the recurring
price at the end of each paid period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.errors import NotFound
from mockserver.numbering import numbering_plans
from mockserver.providers.bird.platform import lifecycles
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.available import capabilities, number_type
from mockserver.providers.bird.platform.errors import (
    NumberReleased,
    RenewalOverdue,
    SharedNumberNotReleasable,
)
from mockserver.providers.bird.platform.models import HeldNumber, PlatformTenant, SharedNumber
from mockserver.providers.bird.platform.pages import CursorPage, Window, scope

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend

AnyNumber = HeldNumber | SharedNumber
RENEWAL_RETRY = timedelta(days=1)  # an unpaid renewal is tried again daily (invented)


@dataclass(frozen=True, slots=True)
class NumberQuery:
    search: str | None = None
    reference: str | None = None
    number: str | None = None
    country_code: str | None = None
    number_type: str | None = None
    prefix: str | None = None
    capabilities: tuple[str, ...] = ()
    window: Window = Window()

    def filters(self) -> list[object]:
        return [
            self.search,
            self.reference,
            self.number,
            (self.country_code or "").upper() or None,
            self.number_type,
            self.prefix,
            sorted(set(self.capabilities)),
        ]


def facts(number: AnyNumber) -> tuple[str, str, str, list[str]]:
    """(number, country, type, capabilities) of either kind."""
    if isinstance(number, SharedNumber):
        return number.number, number.country, number.number_type, list(number.capabilities)
    item = number.item
    return item.number, item.country, number_type(item), capabilities(item)


class Numbers:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def page(self, principal: PlatformPrincipal, query: NumberQuery) -> CursorPage[AnyNumber]:
        """Dedicated and shared alike, newest allocation first; released numbers are left
        out (getNumber still reads them)."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        held: list[AnyNumber] = [n for n in tenant.numbers.values() if not n.released(now)]
        rows = [n for n in [*held, *tenant.shared.values()] if _matches(n, query)]
        return self.platform.cursors.page(
            scope("numbers", tenant.id, *query.filters()),
            rows,
            _newest,
            query.window,
            descending=True,
        )

    def get(self, principal: PlatformPrincipal, number_id: str) -> AnyNumber:
        self.platform.settle()
        return self._find(self.platform.api_key_tenant(principal), number_id)

    def _find(self, tenant: PlatformTenant, number_id: str) -> AnyNumber:
        found = tenant.numbers.get(number_id) or tenant.shared.get(number_id)
        if found is None:
            raise NotFound(
                "Number",
                number_id,
                f"No number {number_id} in this workspace",
                details={"param": "number_id"},
            )
        return found

    def update(
        self, principal: PlatformPrincipal, number_id: str, changes: Mapping[str, Any]
    ) -> AnyNumber:
        """`name` and `reference`: an omitted field is kept, null clears it; `{}` changes
        nothing. Shared numbers too; a released one is 409 E14003."""
        now = self.platform.settle()
        number = self._find(self.platform.api_key_tenant(principal), number_id)
        if isinstance(number, HeldNumber) and number.released(now):
            raise _released(number)
        if "name" in changes:
            number.name = changes["name"]
        if "reference" in changes:
            number.reference = changes["reference"]
        return number

    def cancel(self, principal: PlatformPrincipal, number_id: str) -> HeldNumber:
        """Stop renewing: released at the end of the period already paid for."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        number = self._dedicated(tenant, number_id, now)
        if number.releases_at is not None:
            return number  # documented: "Asking again returns the same schedule"
        if number.renewal_overdue_since is not None:
            raise RenewalOverdue(
                f"{number.item.number} has a renewal payment overdue since "
                f"{number.renewal_overdue_since:%Y-%m-%d}: top up the wallet first",
                {
                    "param": "number_id",
                    "remediation": "Top up the wallet; the renewal is retried daily.",
                    "next": [{"kind": "external", "description": "Top up your wallet"}],
                },
            )
        number.releases_at = number.paid_until
        self.platform.schedule(number.releases_at, "released", tenant, number.id)
        return number

    def release(self, principal: PlatformPrincipal, number_id: str) -> HeldNumber:
        """Give the number back now; the rest of the paid period is forfeited."""
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        number = self._dedicated(tenant, number_id, now)
        number.releases_at = None
        self.release_now(tenant, number, now)
        return number

    def _dedicated(self, tenant: PlatformTenant, number_id: str, now: datetime) -> HeldNumber:
        number = self._find(tenant, number_id)
        if isinstance(number, SharedNumber):
            raise SharedNumberNotReleasable(
                f"{number.number} is a shared number: Bird manages it, it cannot be "
                "released or cancelled",
                {
                    "param": "number_id",
                    "next": [
                        {"kind": "terminal", "description": "Shared numbers are managed by Bird"}
                    ],
                },
            )
        if number.released(now):
            raise _released(number)
        return number

    def release_now(self, tenant: PlatformTenant, number: HeldNumber, at: datetime) -> None:
        number.released_at = at
        self.platform.bird.state.inventory.give_back(number.item.id)

    def renew(self, tenant: PlatformTenant, number: HeldNumber, at: datetime) -> None:
        """The end of a paid period: charge the next one, or mark the renewal overdue and
        try again a day later (the number stays allocated meanwhile)."""
        if number.released_at is not None or number.releases_at is not None:
            return  # released, or cancelled: no renewal follows
        if tenant.wallet.balance < number.recurring_price:
            if number.renewal_overdue_since is None:
                number.renewal_overdue_since = at
            self.platform.schedule(at + RENEWAL_RETRY, "renewal", tenant, number.id)
            return
        tenant.wallet.debit(
            number.recurring_price,
            at=at,
            reference=number.id,
            description=f"Renewal of {number.item.number}",
        )
        number.renewal_overdue_since = None
        number.paid_until = lifecycles.add_months(number.paid_until, 1)
        self.platform.schedule(number.paid_until, "renewal", tenant, number.id)


def _released(number: HeldNumber) -> NumberReleased:
    return NumberReleased(
        f"{number.item.number} was released; it can no longer be changed",
        {"param": "number_id"},
    )


def _newest(number: AnyNumber) -> tuple[str, ...]:
    return (number.allocated_at.isoformat(), f"{number.serial:012d}")


def _matches(number: AnyNumber, query: NumberQuery) -> bool:
    e164, country, kind, can = facts(number)
    if query.search is not None:
        needle = query.search.casefold()
        haystack = (e164, number.name or "", number.reference or "")
        if not any(needle in text.casefold() for text in haystack):
            return False
    if query.prefix is not None and not _prefixed(e164, country, query.prefix):
        return False
    return (
        (query.reference is None or number.reference == query.reference)
        and (query.number is None or e164 == query.number)
        and (query.country_code is None or country == query.country_code.upper())
        and (query.number_type is None or kind == query.number_type)
        and set(query.capabilities) <= set(can)
    )


def _prefixed(e164: str, country: str, prefix: str) -> bool:
    """`+44770` as given; bare digits (`770`) follow the number's calling code."""
    if prefix.startswith("+"):
        return e164.startswith(prefix)
    plan = numbering_plans().get(country)
    return plan is not None and e164.startswith(f"+{plan.calling_code}{prefix}")
