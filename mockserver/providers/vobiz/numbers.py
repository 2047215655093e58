"""The account API's phone numbers: the inventory (the stock the WhatsApp orders sell too),
buying from it, the account's numbers, their release and its cancellation, and routing a
number to a SIP trunk or a voice application.

One world with the WhatsApp API: a number bought here leaves the stock the WhatsApp
availability shows and is claimed by the account (so no other account can order, verify or
connect it), and the purchase and the release fee are debits of the same wallet as a
WhatsApp order. Every use case checks everything before it changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from mockserver.domain.money import Money
from mockserver.errors import Invalid
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.errors import (
    ApplicationNotFound,
    CancelDenied,
    CancelUnknownNumber,
    DebitFailed,
    NotPendingRelease,
    NumberNotFound,
    NumberNotInAccount,
    NumberNotInInventory,
    NumberNotOwned,
    ReleasePending,
    TrunkAlreadyAssigned,
    TrunkNotFound,
    UnknownNumber,
)
from mockserver.providers.vobiz.models import Account, Claim, Due, StockNumber, VoiceNumber
from mockserver.providers.vobiz.seed import EXPONENT, Application

T = TypeVar("T")

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.vobiz.backend import VobizBackend


@dataclass(frozen=True, slots=True)
class InventoryQuery:
    country: str | None
    search: str | None  # a substring of the E.164 form
    exclude: tuple[str, ...]  # E.164 prefixes ("+9180"), none covering another
    page: int
    per_page: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and how many items the whole list has."""

    items: Sequence[T]
    total: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    number: VoiceNumber
    currency: str
    refund: Money  # the fee given back, or that could not be (refunded False)
    refunded: bool


class Numbers:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    # --- the inventory ---------------------------------------------------------------------

    def inventory(
        self, principal: VobizPrincipal, auth_id: str, query: InventoryQuery
    ) -> Page[StockNumber]:
        """Numbers for sale, in (country, E.164) order. The total of an unsearched page is
        counted by bisection; a `search` (a substring, not a prefix) walks the countries it
        covers."""
        self.vobiz.settle()
        self.vobiz.account_at(principal, auth_id)
        stock = self.vobiz.state.inventory
        countries = [query.country] if query.country else stock.countries()
        ranges = [(country, "+") for country in countries if country in self.vobiz.config.offers]

        def accept(item: StockNumber) -> bool:
            return (query.search is None or query.search in item.number) and not any(
                item.number.startswith(prefix) for prefix in query.exclude
            )

        offset = (query.page - 1) * query.per_page
        found, _ = stock.scan(ranges, accept, offset + query.per_page)
        if query.search is None:
            excluded = [(country, prefix) for country, _ in ranges for prefix in query.exclude]
            total = stock.count(ranges) - stock.count(excluded)
        else:
            total = len(stock.scan(ranges, accept, len(stock))[0])
        return Page(found[offset:], total)

    def purchase(
        self, principal: VobizPrincipal, auth_id: str, e164: str, currency: str | None
    ) -> VoiceNumber:
        """Buy a number in inventory for its setup and first month's fee (documented:
        "Debits balance (setup_fee + monthly_fee)"); a debit that fails rolls it all back."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        stock = self.vobiz.state.inventory
        item = stock.by_number(e164)
        if item is None or not stock.is_available(item.id):
            raise NumberNotInInventory("Number", e164, "number not found in inventory")
        offer = self.vobiz.config.offers[item.country]
        billed = currency or offer.currency
        fees = offer.fees.get(billed)
        if fees is None:
            raise Invalid(
                f"{item.country} numbers are not billed in {billed}",
                {"currency": [f"billed in {', '.join(sorted(offer.fees))}"]},
            )
        self._debit(account, fees.total, "purchase")
        stock.take(item.id)
        account.wallets[billed].debit(
            fees.total,
            at=now,
            reference=f"did:{item.id}",
            description=f"Number purchase {e164} (setup {fees.setup} + monthly {fees.monthly})",
            reference_type="did_rental",
        )
        number = VoiceNumber(item, billed, fees.setup, fees.monthly, now, now)
        account.numbers[e164] = number
        self.vobiz.state.claims[e164] = Claim(account.auth_id)
        return number

    def _debit(self, account: Account, amount: Money, action: str) -> None:
        """Raise DebitFailed (the documented 500) unless the wallet can pay now; a
        `payment: declined` outcome rule declines it whatever the balance."""
        wallet = account.wallets.get(amount.currency)
        available = wallet.balance if wallet else Money.zero(amount.currency, EXPONENT)
        if wallet is None or wallet.balance < amount:
            raise DebitFailed(amount, available, action=action)
        if self.vobiz.state.rules.take("payment", account.auth_id) is not None:
            raise DebitFailed(amount, available, declined=True, action=action)

    # --- the account's numbers ---------------------------------------------------------------

    def owned(
        self, principal: VobizPrincipal, auth_id: str, search: str | None, page: int, per_page: int
    ) -> Page[VoiceNumber]:
        """The account's numbers (active or pending release), in purchase order."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        rows = sorted(
            (
                number
                for number in account.numbers.values()
                if number.status(now) in ("active", "pending_release")
                and (search is None or search in number.e164)
            ),
            key=lambda number: (number.purchased_at, number.e164),
        )
        offset = (page - 1) * per_page
        return Page(rows[offset : offset + per_page], len(rows))

    def release(
        self, principal: VobizPrincipal, auth_id: str, e164: str, immediate: bool
    ) -> VoiceNumber:
        """Documented: a fee, then 24 hours in pending_release (cancellable), then 45 days of
        quarantine before the number is in inventory again; the trunk and the application
        are detached. `immediate` skips the cancellable window."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = account.numbers.get(e164)
        if number is None:
            raise self._not_owned(account, e164, now)
        if number.status(now) != "active":
            raise ReleasePending("number release already initiated", {"status": number.status(now)})
        fee = self._release_fee(account, number.currency)
        self._debit(account, fee, "release")
        if fee.amount:
            account.wallets[fee.currency].debit(
                fee,
                at=now,
                reference=f"did:{number.number.id}",
                description=f"Number release fee {e164}",
                reference_type="did_release",
            )
        config = self.vobiz.config
        quarantined_from = now if immediate else now + config.release_cancellable
        number.released_at, number.release_fee, number.updated_at = now, fee, now
        number.cancellable_until = None if immediate else quarantined_from
        number.returns_at = quarantined_from + config.quarantine
        number.trunk_group_id = number.application_id = None
        self.vobiz.state.schedule.add(number.returns_at, Due("number-returned", auth_id, e164))
        # The number's routing ends with it (documented for the trunk and the application):
        # so does a WhatsApp channel of the account on it (invented, docs/fidelity.md).
        for channel in [c for c in account.channels.values() if c.phone_number == e164]:
            del account.channels[channel.id]
        return number

    def _not_owned(self, account: Account, e164: str, now: datetime) -> Exception:
        if self.vobiz.state.inventory.by_number(e164) is None:
            return UnknownNumber("Number", e164, "number not found")
        if self.vobiz.state.claimant(e164, now) == account.auth_id:
            return NumberNotOwned(
                "account does not own this number: it is held by a WhatsApp number order, "
                "not bought from inventory"
            )
        return NumberNotOwned("account does not own this number")

    def _release_fee(self, account: Account, currency: str) -> Money:
        """Documented: "The release fee is account-specific"; charged in the number's
        currency (invented: the response names none)."""
        fees = self.vobiz.setup_of(account.auth_id).release_fees or self.vobiz.config.release_fees
        return fees.get(currency) or Money.zero(currency, EXPONENT)

    def cancel_release(self, principal: VobizPrincipal, auth_id: str, e164: str) -> Cancelled:
        """Documented: within the 24 hours the number is active again and the fee refunded
        in full; the trunk and application the release detached stay detached. A `refund:
        failed` outcome rule restores the number without the refund (documented body)."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = account.numbers.get(e164)
        if number is None:
            if self.vobiz.state.inventory.by_number(e164) is None:
                raise CancelUnknownNumber("Number", e164, "number not found")
            raise CancelDenied("access denied")
        if number.status(now) != "pending_release":
            raise NotPendingRelease("number is not pending release")
        fee = number.release_fee or Money.zero(number.currency, EXPONENT)
        refunded = self.vobiz.state.rules.take("refund", account.auth_id) is None
        if refunded and fee.amount:
            account.wallets[fee.currency].credit(
                fee,
                at=now,
                reference=f"did:{number.number.id}",
                description=f"Release fee refund {e164}",
                reference_type="refund",
            )
        number.released_at = number.release_fee = None
        number.cancellable_until = number.returns_at = None
        number.updated_at = now
        self.vobiz.state.schedule.discard(
            lambda due: (
                due.kind == "number-returned"
                and due.account_id == account.auth_id
                and due.subject_id == e164
            )
        )
        return Cancelled(number, fee.currency, fee, refunded)

    # --- routing -----------------------------------------------------------------------------

    def assign_trunk(
        self, principal: VobizPrincipal, auth_id: str, e164: str, trunk_group_id: str
    ) -> VoiceNumber:
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = self._routable(
            account,
            e164,
            now,
            NumberNotFound(
                "Number",
                e164,
                "The phone number could not be found. Ensure it is in your inventory and "
                "URL-encoded correctly.",
            ),
        )
        if number.trunk_group_id is not None:
            # Documented, also for the same trunk: "Unassign it first."
            raise TrunkAlreadyAssigned("This number is already assigned to a trunk.")
        trunk = trunk_group_id.lower()
        if not self.vobiz.setup_of(account.auth_id).has_trunk(trunk):
            raise TrunkNotFound("Trunk", trunk_group_id, "The trunk could not be found.")
        number.trunk_group_id, number.updated_at = trunk, now
        return number

    def unassign_trunk(self, principal: VobizPrincipal, auth_id: str, e164: str) -> VoiceNumber:
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = account.numbers.get(e164)
        if number is None or number.status(now) == "quarantined" or not number.trunk_group_id:
            raise NumberNotFound(
                "Number",
                e164,
                "The phone number could not be found or is not assigned to any trunk.",
            )
        number.trunk_group_id, number.updated_at = None, now
        return number

    def attach_application(
        self, principal: VobizPrincipal, auth_id: str, e164: str, application_id: str
    ) -> tuple[VoiceNumber, Application]:
        """Documented: re-attaching "overwrites the previous binding" (no detach needed)."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = self._routable(
            account, e164, now, NumberNotInAccount("Number", e164, "number not found in account")
        )
        application = self.vobiz.setup_of(account.auth_id).application(application_id)
        if application is None:
            raise ApplicationNotFound("Application", application_id, "application not found")
        number.application_id, number.updated_at = application.app_id, now
        return number, application

    def detach_application(
        self, principal: VobizPrincipal, auth_id: str, e164: str
    ) -> tuple[VoiceNumber, Application | None]:
        """Documented: detaching a number with no application is a no-op."""
        now = self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        number = account.numbers.get(e164)
        if number is None or number.status(now) == "quarantined":
            raise NumberNotInAccount("Number", e164, "number not found in account")
        if number.application_id is None:
            return number, None
        application = self.vobiz.setup_of(account.auth_id).application(number.application_id)
        number.application_id, number.updated_at = None, now
        return number, application

    def _routable(
        self, account: Account, e164: str, now: datetime, missing: Exception
    ) -> VoiceNumber:
        """The account's number, active: routing a number being released is a conflict."""
        number = account.numbers.get(e164)
        status = number.status(now) if number is not None else None
        if number is None or status == "quarantined":
            raise missing
        if status == "pending_release":
            raise ReleasePending("number release already initiated", {"status": status})
        return number
