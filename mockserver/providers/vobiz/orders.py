"""Vobiz WhatsApp number availability and orders (get, list and cancel are the mock's
extensions). Every use case checks everything before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.errors import InsufficientFunds, Invalid
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.errors import (
    NumberNotAvailable,
    NumbersUnavailable,
    OrderNotFound,
    OrderNotPending,
)
from mockserver.providers.vobiz.models import Account, Claim, Due, Order, StockNumber
from mockserver.providers.vobiz.seed import EXPONENT

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.vobiz.backend import VobizBackend


@dataclass(frozen=True, slots=True)
class OrderRequest:
    country: str
    region: str
    number_type: str
    currency: str
    preferred_number: str | None = None


class Orders:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    def availability(
        self, principal: VobizPrincipal, country: str, region: str | None, limit: int
    ) -> list[StockNumber]:
        self.vobiz.settle()
        self.vobiz.account(principal)
        if country not in self.vobiz.config.offers:
            return []  # a search where nothing is offered finds nothing (invented)
        items, _ = self.vobiz.state.inventory.scan(
            [(country, "+")],
            _anything,
            limit,
            buckets=lambda key: region is None or key == region,
        )
        return items

    def create(self, principal: VobizPrincipal, request: OrderRequest) -> Order:
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        offer = self.vobiz.config.offers.get(request.country)
        if offer is None:
            # Nothing offered there is nothing in stock there: the empty-region answer.
            raise _unavailable(request)
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
        if self.vobiz.state.rules.take("payment", account.auth_id) is not None:
            raise InsufficientFunds(fees.total, wallet.balance, declined=True)
        self.vobiz.state.inventory.take(number.id)
        order = Order(
            id=self.vobiz.ids.uuid(),
            account_id=account.auth_id,
            number=number,
            number_type=request.number_type,
            currency=request.currency,
            setup_cost=fees.setup,
            monthly_cost=fees.monthly,
            provider_order_id=f"ord_meta_{self.vobiz.ids.digits(6)}",
            created_at=now,
            timeline=Timeline(
                (
                    Step("pending", timedelta(0)),
                    Step("completed", self.vobiz.config.order_completes_after),
                )
            ),
        )
        wallet.debit(
            fees.total,
            at=now,
            reference=order.id,
            description=f"Setup and first month of {number.number}",
            reference_type="did_purchase",
        )
        account.orders[order.id] = order
        self.vobiz.state.claims[number.number] = Claim(account.auth_id)
        self._apply_rule(account, order)
        return order

    def _apply_rule(self, account: Account, order: Order) -> None:
        """A rule can make the order fail (refunded when it does), at the latest when it
        would have completed."""
        rule = self.vobiz.state.rules.take("order", account.auth_id)
        if rule is None:
            return
        after = order.created_at + timedelta(seconds=float(rule.params.get("afterSeconds", 5)))
        order.ended_status = "failed"
        order.ended_at = min(after, order.timeline.reached("completed", order.created_at))
        order.failure_reason = str(
            rule.params.get("reason", "The upstream provider could not allocate the number")
        )
        self.vobiz.state.schedule.add(order.ended_at, Due("order-ended", account.auth_id, order.id))

    def _pick_number(self, request: OrderRequest) -> StockNumber:
        if request.preferred_number is not None:
            number = self.vobiz.state.inventory.by_number(request.preferred_number)
            if (
                number is None
                or not self.vobiz.state.inventory.is_available(number.id)
                or number.country != request.country
                or number.region != request.region
            ):
                raise NumberNotAvailable(
                    "The preferred number is not available",
                    {"preferred_number": request.preferred_number},
                )
            return number
        found, _ = self.vobiz.state.inventory.scan(
            [(request.country, "+")], _anything, 1, buckets=lambda key: key == request.region
        )
        if not found:
            raise _unavailable(request)
        return found[0]

    def all(self, principal: VobizPrincipal, status: str | None) -> list[Order]:
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        rows = [o for o in account.orders.values() if status is None or o.status(now) == status]
        return sorted(rows, key=lambda o: (o.created_at, o.id), reverse=True)

    def get(self, principal: VobizPrincipal, order_id: str) -> Order:
        self.vobiz.settle()
        order = self.vobiz.account(principal).orders.get(order_id)
        if order is None:
            raise OrderNotFound("Order", order_id, "Number order not found")
        return order

    def cancel(self, principal: VobizPrincipal, order_id: str) -> Order:
        """Only a pending order can be cancelled: the charge is refunded, the number returns."""
        now = self.vobiz.settle()
        account = self.vobiz.account(principal)
        order = self.get(principal, order_id)
        status = order.status(now)
        if status != "pending":
            raise OrderNotPending(
                f"Only pending orders can be cancelled; this one is {status}", {"status": status}
            )
        order.ended_status, order.ended_at, order.failure_reason = "cancelled", now, None
        self.vobiz.state.schedule.add(now, Due("order-ended", account.auth_id, order.id))
        self.vobiz.settle()  # the refund is due now
        return order


def _anything(number: StockNumber) -> bool:
    return True


def _unavailable(request: OrderRequest) -> NumbersUnavailable:
    return NumbersUnavailable(
        "Numbers",
        f"{request.country}-{request.region}",
        f"No numbers available in {request.country}/{request.region}",
    )
