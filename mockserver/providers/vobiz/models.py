"""Vobiz's resources as the mock keeps them: plain slotted dataclasses, no HTTP.

The state dump is written from these fields (dumps.Codec): a field added here is dumped
and restored with no other change. Accounts are referred to by auth id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mockserver.domain.inventory import Inventory
from mockserver.domain.lifecycle import Timeline
from mockserver.domain.money import Money
from mockserver.domain.rules import Rules
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import Wallet
from mockserver.dumps import keyed, secret


@dataclass(frozen=True, slots=True)
class StockNumber:
    id: str
    country: str
    region: str
    number: str  # E.164


@dataclass(slots=True)
class Order:
    id: str
    account_id: str
    number: StockNumber
    number_type: str
    currency: str
    setup_cost: Money
    monthly_cost: Money
    provider_order_id: str
    created_at: datetime
    timeline: Timeline[str]  # pending -> completed, read against the clock
    # A terminal status reached by an action (cancel) rather than by time.
    ended_status: str | None = None
    ended_at: datetime | None = None
    failure_reason: str | None = None

    def status(self, now: datetime) -> str:
        if self.ended_status is not None and self.ended_at is not None and self.ended_at <= now:
            return self.ended_status
        return self.timeline.status_at(self.created_at, now)

    def updated_at(self, now: datetime) -> datetime:
        if self.ended_at is not None and self.ended_at <= now:
            return self.ended_at
        return self.timeline.since(self.created_at, now)


@dataclass(slots=True)
class Verification:
    id: str
    phone_number: str
    method: str  # sms | voice
    code: str
    sent_at: datetime
    expires_at: datetime
    attempts: int = 0  # wrong codes so far
    verified_at: datetime | None = None
    locked_until: datetime | None = None  # set by the last wrong code allowed

    def status(self, now: datetime) -> str:
        if self.verified_at is not None:
            return "verified"
        if self.locked_until is not None:
            return "locked" if now < self.locked_until else "expired"
        return "pending" if now < self.expires_at else "expired"

    def holds_number_until(self) -> datetime | None:
        """How long this verification keeps the number from other accounts (None: for good)."""
        if self.verified_at is not None:
            return None
        return max(self.expires_at, self.locked_until or self.expires_at)


@dataclass(slots=True)
class Channel:
    id: str
    account_id: str
    waba_id: str
    phone_number_id: str | None
    phone_number: str
    onboarding_mode: str
    number_provider: str
    number_order_id: str | None
    access_token: str = field(metadata=secret())  # write-only: never rendered
    display_name: str
    verification_status: str
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class VoiceNumber:
    """A number an account bought from inventory with the account API (numbers.py).

    Its status is read against the clock: `active`; after a release `pending_release` until
    `cancellable_until` (none for an immediate release), then `quarantined` until
    `returns_at`, when a due effect puts it back in inventory and forgets it here.
    """

    number: StockNumber
    currency: str
    setup_fee: Money
    monthly_fee: Money
    purchased_at: datetime
    updated_at: datetime
    trunk_group_id: str | None = None
    application_id: str | None = None
    released_at: datetime | None = None
    release_fee: Money | None = None  # charged by the release, refunded by a cancel
    cancellable_until: datetime | None = None
    returns_at: datetime | None = None

    @property
    def e164(self) -> str:
        return self.number.number

    def status(self, now: datetime) -> str:
        if self.released_at is None or self.returns_at is None:
            return "active"
        if self.cancellable_until is not None and now < self.cancellable_until:
            return "pending_release"
        return "quarantined" if now < self.returns_at else "returned"


@dataclass(slots=True)
class Account:
    auth_id: str
    ad_hoc: bool
    created_at: datetime
    wallets: dict[str, Wallet]  # by currency
    wallet_ids: dict[str, str]  # by currency: the balance object's id
    orders: dict[str, Order] = field(default_factory=dict, metadata=keyed("id"))
    verifications: dict[str, Verification] = field(  # by phone number
        default_factory=dict, metadata=keyed("phone_number")
    )
    channels: dict[str, Channel] = field(default_factory=dict, metadata=keyed("id"))
    # Numbers bought from inventory with the account API, by E.164, until they return to it.
    numbers: dict[str, VoiceNumber] = field(default_factory=dict, metadata=keyed("e164"))


@dataclass(frozen=True, slots=True)
class Claim:
    """An account's hold on a phone number: it ordered it or bought it (until it is back in
    stock), or verified it, or is verifying it (until the code expires or the lock ends)."""

    account_id: str
    until: datetime | None = None  # None: for good

    def holds(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class Due:
    """A side effect that falls due (domain/schedule.py)."""

    kind: str  # order-ended | number-returned
    account_id: str  # whose: it does nothing if the account is gone by then
    subject_id: str  # the order's id; the released number's E.164


SENT_CODES_KEPT = 20


@dataclass(frozen=True, slots=True)
class SentCode:
    account_id: str
    verification: Verification  # voided once the account asks for a newer code


@dataclass(slots=True)
class VobizState:
    inventory: Inventory[StockNumber]
    accounts: dict[str, Account] = field(metadata=keyed("auth_id"))  # by auth id
    tokens: dict[str, str] = field(metadata=secret(keys=True))  # X-Auth-Token -> auth id
    bearers: dict[str, str] = field(metadata=secret(keys=True))  # Bearer token -> auth id
    rules: Rules = field(default_factory=Rules)
    # Which account holds each phone number: at most one at a time.
    claims: dict[str, Claim] = field(default_factory=dict)
    schedule: Schedule[Due] = field(default_factory=Schedule)
    # The codes "sent" to each number, newest last, for the control plane's OTP oracle;
    # the most recent SENT_CODES_KEPT per number.
    sent_codes: dict[str, list[SentCode]] = field(default_factory=dict)
    # How the stock came from the seed (seed.VobizConfig.stock_generation). A dump written
    # before it was recorded (numbers-mock 0.1) has none: its stock was drawn.
    stock_generation: str = "drawn"

    def record_sent(self, code: SentCode) -> None:
        sent = self.sent_codes.setdefault(code.verification.phone_number, [])
        sent.append(code)
        del sent[:-SENT_CODES_KEPT]

    def forget_sent_codes(self, auth_id: str) -> None:
        """Drop the codes sent for this account's verifications (its reset)."""
        for phone_number, sent in list(self.sent_codes.items()):
            kept = [code for code in sent if code.account_id != auth_id]
            if kept:
                self.sent_codes[phone_number] = kept
            else:
                del self.sent_codes[phone_number]

    def claimant(self, phone_number: str, now: datetime) -> str | None:
        claim = self.claims.get(phone_number)
        return claim.account_id if claim is not None and claim.holds(now) else None
