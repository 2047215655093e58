"""Vobiz WhatsApp number availability and orders (get, list and cancel are the mock's
extensions). Every use case checks everything before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.errors import Conflict, InsufficientFunds, Invalid, NotFound
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.models import Order, StockNumber
from mockserver.providers.vobiz.seed import EXPONENT

if TYPE_CHECKING:
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
        self.vobiz.account(principal)
        if country not in self.vobiz.config.offers:
            raise Invalid(
                f"Numbers are not offered in {country}",
                {
                    "country": [
                        f"no WhatsApp numbers are offered in {country}; "
                        f"offered: {', '.join(sorted(self.vobiz.config.offers))}"
                    ]
                },
            )
        items, _ = self.vobiz.state.inventory.scan(
            [(country, "+")],
            _anything,
            limit,
            buckets=lambda key: region is None or key == region,
        )
        return items

    def create(self, principal: VobizPrincipal, request: OrderRequest) -> Order:
        account = self.vobiz.account(principal)
        offer = self.vobiz.config.offers.get(request.country)
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
        now = self.vobiz.clock.now()
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
        )
        account.orders[order.id] = order
        self.vobiz.state.claims[number.number] = account.auth_id
        return order

    def _pick_number(self, request: OrderRequest) -> StockNumber:
        if request.preferred_number is not None:
            number = self.vobiz.state.inventory.by_number(request.preferred_number)
            if (
                number is None
                or not self.vobiz.state.inventory.is_available(number.id)
                or number.country != request.country
                or number.region != request.region
            ):
                raise Conflict(
                    "The preferred number is not available",
                    {"preferred_number": request.preferred_number},
                    code="NUMBER_NOT_AVAILABLE",
                )
            return number
        found, _ = self.vobiz.state.inventory.scan(
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

    def all(self, principal: VobizPrincipal, status: str | None) -> list[Order]:
        account = self.vobiz.account(principal)
        now = self.vobiz.clock.now()
        rows = [o for o in account.orders.values() if status is None or o.status(now) == status]
        return sorted(rows, key=lambda o: (o.created_at, o.id), reverse=True)

    def get(self, principal: VobizPrincipal, order_id: str) -> Order:
        order = self.vobiz.account(principal).orders.get(order_id)
        if order is None:
            raise NotFound("Order", order_id, "Number order not found", code="ORDER_NOT_FOUND")
        return order

    def cancel(self, principal: VobizPrincipal, order_id: str) -> Order:
        """Only a pending order can be cancelled: the charge is refunded, the number returns."""
        account = self.vobiz.account(principal)
        order = self.get(principal, order_id)
        now = self.vobiz.clock.now()
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
        self.vobiz.state.inventory.give_back(order.number.id)
        self.vobiz.state.claims.pop(order.number.number, None)
        return order


def _anything(number: StockNumber) -> bool:
    return True
