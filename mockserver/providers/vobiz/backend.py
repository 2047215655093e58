"""Vobiz's use cases on state: accounts, availability, orders, BYON OTP, channels, balance.

As in every backend, each use case checks everything before it changes anything, so a
failed request leaves state exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mockserver.clock import Clock
from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.domain.wallet import Wallet
from mockserver.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    Invalid,
    NotFound,
    RateLimited,
    Rejected,
    Unauthenticated,
)
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.models import (
    Account,
    Channel,
    Order,
    StockNumber,
    Verification,
    VobizState,
)
from mockserver.providers.vobiz.seed import EXPONENT, VobizConfig, new_account
from mockserver.rng import Rng


@dataclass(frozen=True, slots=True)
class OrderRequest:
    country: str
    region: str
    number_type: str
    currency: str
    preferred_number: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    waba_id: str
    phone_number_id: str | None
    phone_number: str
    onboarding_mode: str
    number_provider: str
    number_order_id: str | None
    access_token: str
    display_name: str


class VobizBackend:
    def __init__(self, config: VobizConfig, state: VobizState, clock: Clock, rng: Rng) -> None:
        self.config = config
        self.state = state
        self.clock = clock
        self._ids = rng.stream("vobiz.ids")
        self._codes = rng.stream("vobiz.otp-codes")

    # --- accounts ------------------------------------------------------------------

    def account(self, principal: VobizPrincipal) -> Account:
        """The caller's account. A credential no account lists opens a new ad-hoc account,
        bound to it, unless that auth id is taken or the scenario disables ad-hoc accounts."""
        bindings = self.state.bearers if principal.bearer else self.state.tokens
        bound = bindings.get(principal.credential)
        if bound is not None and (principal.bearer or bound == principal.auth_id):
            return self.state.accounts[bound]
        if (
            bound is not None
            or principal.auth_id in self.state.accounts
            or not self.config.ad_hoc_accounts
        ):
            raise Unauthenticated("Invalid or missing authentication credentials")
        account = new_account(
            principal.auth_id, self.config.ad_hoc_balances, self._ids, self.clock.now(), ad_hoc=True
        )
        self.state.accounts[principal.auth_id] = account
        bindings[principal.credential] = principal.auth_id
        return account

    # --- availability and orders -----------------------------------------------------------

    def availability(
        self, principal: VobizPrincipal, country: str, region: str | None, limit: int
    ) -> list[StockNumber]:
        self.account(principal)
        if country not in self.config.offers:
            raise Invalid(
                f"Numbers are not offered in {country}",
                {
                    "country": [
                        f"no WhatsApp numbers are offered in {country}; "
                        f"offered: {', '.join(sorted(self.config.offers))}"
                    ]
                },
            )
        items, _ = self.state.inventory.scan(
            [(country, "+")],
            _anything,
            limit,
            buckets=lambda key: region is None or key == region,
        )
        return items

    def create_order(self, principal: VobizPrincipal, request: OrderRequest) -> Order:
        account = self.account(principal)
        offer = self.config.offers.get(request.country)
        if offer is None:
            raise Invalid(
                f"Numbers are not offered in {request.country}",
                {"country_code": [f"no WhatsApp numbers are offered in {request.country}"]},
            )
        fees = offer.fees.get(request.currency)
        if fees is None:
            raise Invalid(
                f"{request.country} numbers are not billed in {request.currency}",
                {"currency": [f"offered currencies: {', '.join(sorted(offer.fees))}"]},
            )
        number = self._pick_number(request)
        wallet = account.wallets.get(request.currency)
        if wallet is None:
            raise InsufficientFunds(fees.total, Money.zero(request.currency, EXPONENT))
        wallet.ensure_can_pay(fees.total)
        now = self.clock.now()
        self.state.inventory.take(number.id)
        order = Order(
            id=self._ids.uuid(),
            account_id=account.auth_id,
            number=number,
            number_type=request.number_type,
            currency=request.currency,
            setup_cost=fees.setup,
            monthly_cost=fees.monthly,
            provider_order_id=f"ord_meta_{self._ids.digits(6)}",
            created_at=now,
            timeline=Timeline(
                (
                    Step("pending", timedelta(0)),
                    Step("completed", self.config.order_completes_after),
                )
            ),
        )
        wallet.debit(
            fees.total,
            at=now,
            reference=order.id,
            description=f"Setup and first month of {number.number}",
        )
        account.orders[order.id] = order
        self.state.claims[number.number] = account.auth_id
        return order

    def _pick_number(self, request: OrderRequest) -> StockNumber:
        if request.preferred_number is not None:
            number = self.state.inventory.by_number(request.preferred_number)
            if (
                number is None
                or not self.state.inventory.is_available(number.id)
                or number.country != request.country
                or number.region != request.region
            ):
                raise Conflict(
                    "The preferred number is not available",
                    {"preferred_number": request.preferred_number},
                    code="NUMBER_NOT_AVAILABLE",
                )
            return number
        found, _ = self.state.inventory.scan(
            [(request.country, "+")], _anything, 1, buckets=lambda key: key == request.region
        )
        if not found:
            raise NotFound(
                "Numbers",
                f"{request.country}-{request.region}",
                f"No numbers available in {request.country}/{request.region}",
                code="NUMBERS_UNAVAILABLE",
            )
        return found[0]

    def orders(self, principal: VobizPrincipal, status: str | None) -> list[Order]:
        account = self.account(principal)
        now = self.clock.now()
        rows = [o for o in account.orders.values() if status is None or o.status(now) == status]
        return sorted(rows, key=lambda o: (o.created_at, o.id), reverse=True)

    def order(self, principal: VobizPrincipal, order_id: str) -> Order:
        order = self.account(principal).orders.get(order_id)
        if order is None:
            raise NotFound("Order", order_id, "Number order not found", code="ORDER_NOT_FOUND")
        return order

    def cancel_order(self, principal: VobizPrincipal, order_id: str) -> Order:
        """Only a pending order can be cancelled: the charge is refunded, the number returns."""
        account = self.account(principal)
        order = self.order(principal, order_id)
        now = self.clock.now()
        status = order.status(now)
        if status != "pending":
            raise Conflict(
                f"Only pending orders can be cancelled; this one is {status}",
                {"status": status},
                code="ORDER_NOT_PENDING",
            )
        order.ended_status, order.ended_at = "cancelled", now
        account.wallets[order.currency].credit(
            order.setup_cost + order.monthly_cost,
            at=now,
            reference=order.id,
            description=f"Refund of cancelled order for {order.number.number}",
        )
        self.state.inventory.give_back(order.number.id)
        self.state.claims.pop(order.number.number, None)
        return order

    # --- bring your own number --------------------------------------------------------------

    def verify(self, principal: VobizPrincipal, phone_number: str, method: str) -> Verification:
        account = self.account(principal)
        now = self.clock.now()
        self._ensure_unclaimed(account, phone_number)
        current = account.verifications.get(phone_number)
        if current is not None:
            if current.verified_at is not None:
                raise Conflict(
                    "This number is already verified",
                    {"phone_number": phone_number},
                    code="NUMBER_ALREADY_VERIFIED",
                )
            wait = current.sent_at + self.config.otp_resend_cooldown - now
            if wait > timedelta(0):
                raise RateLimited(
                    "A verification code was sent recently; retry later",
                    retry_after=_ceil_seconds(wait),
                    code="OTP_RESEND_COOLDOWN",
                )
        verification = Verification(
            id=self._ids.uuid(),
            phone_number=phone_number,
            method=method,
            code=self._codes.digits(6),
            sent_at=now,
            expires_at=now + self.config.otp_ttl,
        )
        account.verifications[phone_number] = verification
        return verification

    def confirm(self, principal: VobizPrincipal, phone_number: str, code: str) -> Verification:
        account = self.account(principal)
        now = self.clock.now()
        verification = account.verifications.get(phone_number)
        if verification is None:
            raise NotFound(
                "Verification",
                phone_number,
                "No verification was requested for this number",
                code="VERIFICATION_NOT_FOUND",
            )
        status = verification.status(now, self.config.otp_max_attempts)
        if status == "verified":
            raise Conflict(
                "This number is already verified",
                {"phone_number": phone_number},
                code="NUMBER_ALREADY_VERIFIED",
            )
        if status == "locked":
            raise RateLimited(
                "Too many incorrect codes; request a new verification code",
                retry_after=None,
                code="OTP_ATTEMPTS_EXCEEDED",
            )
        if status == "expired":
            raise Invalid(
                "The verification code has expired; request a new one",
                {"otp_code": ["the code expired; request a new one"]},
                code="OTP_EXPIRED",
            )
        if code != verification.code:
            verification.attempts += 1
            left = self.config.otp_max_attempts - verification.attempts
            raise Rejected(
                "The verification code is incorrect",
                code="INVALID_OTP",
                details={"attempts_remaining": left},
            )
        self._ensure_unclaimed(account, phone_number)
        verification.verified_at = now
        self.state.claims[phone_number] = account.auth_id
        return verification

    def _ensure_unclaimed(self, account: Account, phone_number: str) -> None:
        owner = self.state.claims.get(phone_number)
        if owner is not None and owner != account.auth_id:
            raise Conflict(
                "This number is in use by another account",
                {"phone_number": phone_number},
                code="NUMBER_IN_USE",
            )

    # --- channels ----------------------------------------------------------------------

    def create_channel(self, principal: VobizPrincipal, request: ChannelRequest) -> Channel:
        account = self.account(principal)
        now = self.clock.now()
        verification_status = self._onboarding_check(account, request, now)
        if any(c.phone_number == request.phone_number for c in account.channels.values()):
            raise Conflict(
                "A channel for this phone number already exists",
                {"phone_number": request.phone_number},
                code="CHANNEL_ALREADY_EXISTS",
            )
        channel = Channel(
            id=self._ids.uuid(),
            account_id=account.auth_id,
            waba_id=request.waba_id,
            phone_number_id=request.phone_number_id,
            phone_number=request.phone_number,
            onboarding_mode=request.onboarding_mode,
            number_provider=request.number_provider,
            number_order_id=request.number_order_id,
            access_token=request.access_token,
            display_name=request.display_name,
            verification_status=verification_status,
            created_at=now,
            updated_at=now,
        )
        account.channels[channel.id] = channel
        return channel

    def _onboarding_check(self, account: Account, request: ChannelRequest, now: datetime) -> str:
        """The documented rules per onboarding mode; returns the channel's verification status."""
        mode = request.onboarding_mode
        if mode != "buy_from_vobiz" and not request.phone_number_id:
            raise Invalid(
                "phone_number_id is required unless number_onboarding_mode is buy_from_vobiz",
                {"phone_number_id": ["a value is required"]},
            )
        if request.number_order_id is not None:
            order = account.orders.get(request.number_order_id)
            if order is None:
                raise NotFound(
                    "Order",
                    request.number_order_id,
                    "Number order not found",
                    code="ORDER_NOT_FOUND",
                )
        if mode == "buy_from_vobiz":
            return self._bought_number_check(account, request, now)
        if mode == "bring_your_own":
            verification = account.verifications.get(request.phone_number)
            if verification is None or verification.verified_at is None:
                raise Invalid(
                    "The number has not been verified with bring-your-own/verify",
                    {"phone_number": ["verify the number before connecting it"]},
                    code="NUMBER_NOT_VERIFIED",
                )
            return "verified"
        return "pending"  # embedded signup: Meta verifies the number later

    def _bought_number_check(self, account: Account, request: ChannelRequest, now: datetime) -> str:
        if request.number_order_id is None:
            raise Invalid(
                "number_order_id is required when number_onboarding_mode is buy_from_vobiz",
                {"number_order_id": ["a value is required"]},
            )
        order = account.orders[request.number_order_id]
        if order.status(now) != "completed" or order.number.number != request.phone_number:
            raise Invalid(
                "The order is not completed for this phone number",
                {"number_order_id": ["the order must be completed and match phone_number"]},
                code="ORDER_NOT_COMPLETED",
            )
        return "verified"

    def channels(self, principal: VobizPrincipal) -> list[Channel]:
        account = self.account(principal)
        return sorted(account.channels.values(), key=lambda c: (c.created_at, c.id))

    def channel(self, principal: VobizPrincipal, channel_id: str) -> Channel:
        channel = self.account(principal).channels.get(channel_id)
        if channel is None:
            raise NotFound("Channel", channel_id, "Channel not found", code="CHANNEL_NOT_FOUND")
        return channel

    def update_channel(
        self,
        principal: VobizPrincipal,
        channel_id: str,
        display_name: str | None,
        access_token: str | None,
    ) -> Channel:
        channel = self.channel(principal, channel_id)
        if display_name is not None:
            channel.display_name = display_name
        if access_token is not None:
            channel.access_token = access_token
        channel.updated_at = self.clock.now()
        return channel

    def delete_channel(self, principal: VobizPrincipal, channel_id: str) -> None:
        channel = self.channel(principal, channel_id)
        del self.account(principal).channels[channel.id]

    # --- balance ---------------------------------------------------------------------------

    def balance(
        self, principal: VobizPrincipal, auth_id: str, currency: str
    ) -> tuple[Account, Wallet]:
        account = self.account(principal)
        if auth_id != account.auth_id:
            raise Forbidden("You do not have permission to access this account", code="FORBIDDEN")
        wallet = account.wallets.get(currency)
        if wallet is None:
            raise NotFound(
                "Balance",
                currency,
                f"The account holds no {currency} balance",
                code="BALANCE_NOT_FOUND",
            )
        return account, wallet


def _anything(number: StockNumber) -> bool:
    return True


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, int(-(-delta.total_seconds() // 1)))
