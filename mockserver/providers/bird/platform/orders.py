"""Orders: buying a number on sale, paid from the workspace's wallet.

Documented (bird/resources/numbers_orders_gen.py, bird/_generated.py NumbersOrder and
AvailableNumber.ownership_registration_required): most orders settle inline (`completed`,
with `number_id`); one waiting on a carrier comes back `pending` and is polled; the setup
fee is charged during the purchase and is not refunded if the order then fails; the
recurring price times `intervals_per_charge` is charged at assignment and at each renewal.

The mock's choices (docs/fidelity.md): the create checks that the wallet covers the setup
fee and the first recurring charge together, or answers 402 with nothing charged and no
order kept; stock from Bird's inventory completes inline, a back-order item (a "live
carrier snapshot") comes back `pending` and completes after `bird.platform.orders.
pendingSeconds`; an outcome rule can make an order fail later. `charging` and `ordering`
pass inside the create call and are never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.errors import InsufficientFunds, NotFound
from mockserver.providers.bird.platform import ids, lifecycles
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.available import capabilities
from mockserver.providers.bird.platform.models import (
    HeldNumber,
    Ownership,
    PlatformOrder,
    PlatformTenant,
    WhatsAppPlan,
)
from mockserver.providers.bird.platform.pages import CursorPage, Window, scope

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend

CARRIER_FAILURE = "The carrier could not provide the number."
UNPAID = "The wallet could not cover the first recurring charge when the number was assigned."


@dataclass(frozen=True, slots=True)
class OrderInput:
    number: str
    reference: str | None = None
    compliance: dict[str, Any] | None = None


class Orders:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def create(self, principal: PlatformPrincipal, given: OrderInput) -> PlatformOrder:
        now = self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        item = self.platform.available.to_order(given.number, now)
        setup, recurring = self.platform.config.setup_fee, item.monthly_price
        owed = setup + recurring
        tenant.wallet.ensure_can_pay(owed)
        rules = self.platform.bird.state.rules
        if rules.take("platform-payment", tenant.id) is not None:
            raise InsufficientFunds(owed, tenant.wallet.balance, declined=True)
        # Every check passed: from here on nothing can fail.
        rule = rules.take("platform-order", tenant.id)
        reference = (given.reference or "").strip() or None
        order = PlatformOrder(
            id=self.platform.new_id("nor"),
            item=item,
            created_at=now,
            serial=self.platform.state.next_serial(),
            status="pending",
            updated_at=now,
            recurring_price=recurring,
            setup_price=setup,
            reference=reference,
            submitted=bool(given.compliance and given.compliance.get("answers")),
        )
        self.platform.bird.state.inventory.take(item.id)
        tenant.orders[order.id] = order
        if setup.amount:
            tenant.wallet.debit(
                setup, at=now, reference=order.id, description=f"Setup fee for {item.number}"
            )
        if rule is not None:
            order.fails_with = str(rule.params.get("reason") or CARRIER_FAILURE)
            order.settles_at = now + timedelta(seconds=float(rule.params.get("afterSeconds", 0)))
        elif item.back_order_required:
            order.settles_at = now + self.platform.config.pending_order
        else:
            order.settles_at = now
        if order.settles_at <= now:
            self.settle_pending(tenant, order, now)
        else:
            self.platform.schedule(order.settles_at, "order-settles", tenant, order.id)
        return order

    def settle_pending(self, tenant: PlatformTenant, order: PlatformOrder, at: datetime) -> None:
        """A pending order's end: completed (the recurring charge taken, the number
        allocated) or failed (the number back in stock, the setup fee kept)."""
        if order.fails_with is not None:
            self._fail(order, at, order.fails_with)
        elif tenant.wallet.balance < order.recurring_price:
            self._fail(order, at, UNPAID)
        else:
            self._complete(tenant, order, at)

    def _fail(self, order: PlatformOrder, at: datetime, reason: str) -> None:
        order.status, order.failure_reason, order.updated_at = "failed", reason, at
        self.platform.bird.state.inventory.give_back(order.item.id)

    def _complete(self, tenant: PlatformTenant, order: PlatformOrder, at: datetime) -> None:
        item, platform = order.item, self.platform
        number_id = ids.number_id(item.id)
        tenant.wallet.debit(
            order.recurring_price,
            at=at,
            reference=number_id,
            description=f"First month of {item.number}",
        )
        can = capabilities(item)
        paid_until = lifecycles.add_months(at, 1)
        tenant.numbers.pop(number_id, None)  # a release of the same number, ordered again
        tenant.numbers[number_id] = HeldNumber(
            id=number_id,
            item=item,
            order_id=order.id,
            allocated_at=at,
            serial=platform.state.next_serial(),
            recurring_price=order.recurring_price,
            paid_until=paid_until,
            reference=order.reference,
            ownership=self._ownership(tenant, order, at),
            voice_id=ids.derived("vnu", item.id) if "voice" in can else None,
            sender_id=ids.derived("snd", item.id) if "sms" in can else None,
            whatsapp=self._whatsapp(tenant, item.id, at) if "whatsapp" in item.features else None,
        )
        platform.schedule(paid_until, "renewal", tenant, number_id)
        order.status, order.number_id = "completed", number_id
        order.completed_at = order.updated_at = at

    def _ownership(
        self, tenant: PlatformTenant, order: PlatformOrder, at: datetime
    ) -> Ownership | None:
        """Where the country requires ownership paperwork: answers filed with the order
        are reviewed and approved after `review` (or rejected, by a rule); without answers
        it needs input, unless a rule withdraws the requirement."""
        config = self.platform.config
        if order.item.country not in config.ownership_countries:
            return None
        rule = self.platform.bird.state.rules.take("platform-ownership", tenant.id)
        outcome = "approved" if order.submitted else "none"
        decided: datetime | None = at + config.review if order.submitted else None
        if rule is not None:
            outcome = rule.outcome
            after = rule.params.get("afterSeconds")
            delay = config.review if after is None else timedelta(seconds=float(after))
            decided = at + delay
        submission = self.platform.new_id("csb") if order.submitted else None
        return Ownership(since=at, submission_id=submission, outcome=outcome, decided_at=decided)

    def _whatsapp(self, tenant: PlatformTenant, item_id: str, at: datetime) -> WhatsAppPlan:
        """Bird prepares the number, then waits for the workspace's embedded signup (the
        mock finishes it itself after `signupSeconds`), then WhatsApp connects it. A rule
        can make WhatsApp refuse it (`failed`) or the signup never finish (`abandoned`)."""
        times = self.platform.config.whatsapp
        rule = self.platform.bird.state.rules.take("platform-whatsapp", tenant.id)
        awaiting = at + times.preparing
        pending: datetime | None = awaiting + times.signup
        connected: datetime | None = None
        failed: datetime | None = None
        error: str | None = None
        if rule is not None and rule.outcome == "abandoned":
            pending = None
        elif rule is not None:
            assert pending is not None
            failed, error = (
                pending + times.connecting,
                str(rule.params.get("reason") or "number_already_in_use"),
            )
        else:
            assert pending is not None
            connected = pending + times.connecting
        return WhatsAppPlan(
            id=ids.derived("wan", item_id, tenant.id),
            waba=f"1{self.platform.ids.digits(14)}",
            created_at=at,
            awaiting_at=awaiting,
            verified_until=awaiting + times.signup_valid,
            pending_at=pending,
            connected_at=connected,
            failed_at=failed,
            error_code=error,
        )

    def page(
        self, principal: PlatformPrincipal, status: str | None, window: Window
    ) -> CursorPage[PlatformOrder]:
        self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        rows = [o for o in tenant.orders.values() if status is None or o.status == status]
        return self.platform.cursors.page(
            scope("orders", tenant.id, status), rows, _newest, window, descending=True
        )

    def get(self, principal: PlatformPrincipal, order_id: str) -> PlatformOrder:
        self.platform.settle()
        tenant = self.platform.api_key_tenant(principal)
        order = tenant.orders.get(order_id)
        if order is None:
            raise NotFound(
                "NumbersOrder",
                order_id,
                f"No order {order_id} in this workspace",
                details={"param": "order_id"},
            )
        return order


def _newest(order: PlatformOrder) -> tuple[str, ...]:
    return (order.created_at.isoformat(), f"{order.serial:012d}")
