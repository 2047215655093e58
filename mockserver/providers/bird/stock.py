"""Bird's stock use cases: search, reservation (the mock's own endpoint) and purchase.

Every use case checks everything first and changes state only after the last check, so a
failed request leaves state exactly as it was.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from mockserver.domain.money import total
from mockserver.domain.pagination import Page, query_scope
from mockserver.errors import Conflict, InsufficientFunds, Invalid, NotFound
from mockserver.numbering import numbering_plans
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.errors import json_path
from mockserver.providers.bird.lifecycles import order_timeline
from mockserver.providers.bird.models import (
    Due,
    LongCodeNumber,
    OrderEnd,
    Reservation,
    StockItem,
    Subscription,
    WhatsAppPlan,
    Workspace,
)

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.bird.backend import BirdBackend


@dataclass(frozen=True, slots=True)
class StockQuery:
    countries: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    prefix: str | None = None
    testing: bool = False
    limit: int = 10
    page_token: str | None = None

    def scope(self, caller: str) -> str:
        """What a page token is bound to: the caller and the filters, not the page size."""
        return _scope(caller, self.countries, self.types, self.features, self.prefix, self.testing)


def _every(item: StockItem) -> bool:
    return True


@lru_cache(maxsize=1024)  # a client repeats its few queries (each one's scope a few us)
def _scope(
    caller: str,
    countries: tuple[str, ...],
    types: tuple[str, ...],
    features: tuple[str, ...],
    prefix: str | None,
    testing: bool,
) -> str:
    filters = [sorted(set(countries)), sorted(set(types)), sorted(set(features)), prefix, testing]
    return query_scope(["stock", caller, *filters])


class Stock:
    def __init__(self, bird: BirdBackend) -> None:
        self.bird = bird

    def search(
        self, principal: BirdPrincipal, organization_id: str, query: StockQuery
    ) -> Page[StockItem]:
        now = self.bird.settle()
        self.bird.organization(principal, organization_id)
        ranges = self._stock_ranges(query)
        after = self._stock_cursor(query, principal.key)
        types, features = set(query.types), set(query.features)

        def bucket(key: Hashable) -> bool:
            assert isinstance(key, tuple)  # seed.stock_bucket: (type, features, testing)
            number_type, item_features, testing = key
            return (
                testing == query.testing
                and (not types or number_type in types)
                and features <= item_features
            )

        def accept(item: StockItem) -> bool:
            # A shelf's key names the features its items may have (seed.stock_bucket).
            return features <= item.features and not self._held_by_other(item, None, now)

        inventory = self.bird.state.inventory
        if not features and not self.bird.state.reservations:
            accept = _every  # nothing to check an item for (most searches): no lookups
        items, more = inventory.scan(ranges, accept, query.limit, after, bucket)
        key = (items[-1].country, items[-1].number) if items else ()
        return self.bird.tokens.page(query.scope(principal.key), items, more, key)

    def _stock_ranges(self, query: StockQuery) -> list[tuple[str, str]]:
        countries = sorted(set(query.countries)) or self.bird.state.inventory.countries()
        if query.prefix is None:
            return [(country, "+") for country in countries]
        # Documented: "It MUST be used in conjunction with the countryCodes filter".
        if not query.countries:
            raise Invalid(
                "The prefix filter needs countryCodes",
                {json_path("prefix"): ["prefix must be used together with countryCodes"]},
            )
        digits = query.prefix.removeprefix("+")
        if not digits.isdigit():
            raise Invalid(
                "The prefix filter is malformed",
                {
                    json_path("prefix"): [
                        "prefix must be area code digits or an E.164 prefix such as +1205"
                    ]
                },
            )
        plans = numbering_plans()
        if query.prefix.startswith("+"):
            return [(country, query.prefix) for country in countries]
        # Bare area-code digits: the documented "205" for Alabama means +1205 in the US.
        return [
            (country, f"+{plans[country].calling_code}{digits}")
            for country in countries
            if country in plans
        ]

    def _stock_cursor(self, query: StockQuery, caller: str) -> tuple[str, str] | None:
        if query.page_token is None:
            return None
        position = self.bird.tokens.read(query.scope(caller), query.page_token)
        if len(position) != 2 or not all(isinstance(p, str) for p in position):
            raise Invalid(
                "The page token is not valid for this request",
                {json_path("pageToken"): ["the page token is malformed"]},
            )
        return (str(position[0]), str(position[1]))

    def _held_by_other(self, item: StockItem, workspace: Workspace | None, now: datetime) -> bool:
        held = self.bird.state.reservations.get(item.id)
        mine = None if workspace is None else workspace.ref
        return held is not None and held.holds(now) and held.holder != mine

    def reserve(self, principal: BirdPrincipal, workspace_id: str, item_id: str) -> Reservation:
        now = self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        item = self._available_item(item_id, workspace, now)
        expires = now + self.bird.config.reservation_ttl
        held = self.bird.state.reservations.get(item_id)
        if held is not None and held.holds(now):
            held.expires_at = expires  # reserving again renews the caller's hold
        else:
            held = Reservation(self.bird.ids.uuid(), item, workspace.ref, now, expires)
            self.bird.state.reservations[item_id] = held
        self.bird.state.schedule.add(expires, Due("reservation-lapsed", workspace.ref, item_id))
        return held

    def release(self, principal: BirdPrincipal, workspace_id: str, item_id: str) -> None:
        now = self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        held = self.bird.state.reservations.get(item_id)
        if held is None or held.holder != workspace.ref or not held.holds(now):
            raise NotFound(
                "Reservation",
                item_id,
                f"Workspace {workspace_id} holds no reservation for number stock item {item_id}",
            )
        held.ended = "released"
        del self.bird.state.reservations[item_id]

    def _available_item(self, item_id: str, workspace: Workspace, now: datetime) -> StockItem:
        item = self.bird.state.inventory.get(item_id)
        if item is None:
            raise NotFound("NumberStockItem", item_id, f"Number stock item {item_id} not found")
        if not self.bird.state.inventory.is_available(item_id):
            raise Conflict(
                f"Number stock item {item_id} is no longer in stock", {"numberStockItemId": item_id}
            )
        if self._held_by_other(item, workspace, now):
            raise Conflict(
                f"Number stock item {item_id} is reserved by another workspace",
                {"numberStockItemId": item_id},
            )
        return item

    def buy(
        self, principal: BirdPrincipal, workspace_id: str, item_ids: Sequence[str]
    ) -> list[LongCodeNumber]:
        """Assign the stock items to the workspace and charge its wallet, all or nothing."""
        now = self.bird.settle()
        workspace = self.bird.workspace(principal, workspace_id)
        items = self._purchasable(principal, workspace, item_ids, now)
        price = total([item.monthly_price for item in items], self.bird.config.currency, -6)
        workspace.wallet.ensure_can_pay(price)
        if self.bird.state.rules.take("payment", workspace.id) is not None:
            raise InsufficientFunds(price, workspace.wallet.balance, declined=True)
        # Every check passed: from here on nothing can fail.
        return [self._assign(workspace, item, now) for item in items]

    def _purchasable(
        self,
        principal: BirdPrincipal,
        workspace: Workspace,
        item_ids: Sequence[str],
        now: datetime,
    ) -> list[StockItem]:
        unknown = [i for i in item_ids if self.bird.state.inventory.get(i) is None]
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise NotFound(
                "NumberStockItem",
                unknown[0],
                f"Number stock item{plural} not found: {', '.join(unknown)}",
                details={"numberStockItemIds": unknown},
            )
        problems: dict[str, list[str]] = {}
        items = []
        for index, item_id in enumerate(item_ids):
            item = self.bird.state.inventory.get(item_id)
            assert item is not None
            problem = self._purchase_problem(principal, workspace, item, now)
            if problem:
                problems[json_path("numberStockItemIds", index)] = [problem]
            items.append(item)
        if problems:
            raise Invalid("One or more number stock items cannot be bought", problems)
        return items

    def _purchase_problem(
        self, principal: BirdPrincipal, workspace: Workspace, item: StockItem, now: datetime
    ) -> str | None:
        if not self.bird.state.inventory.is_available(item.id):
            return f"number stock item {item.id} is no longer in stock"
        if self._held_by_other(item, workspace, now):
            return f"number stock item {item.id} is reserved by another workspace"
        held = self.bird.state.reservations.get(item.id)
        # Documented: "When creating LCNs as a User, all specified Number Stock Items should
        # be reserved." Access keys may buy unreserved items unless the scenario says
        # everyone must reserve (bird.reservations.requiredFor).
        must_reserve = principal.is_user or self.bird.config.reservation_required_for == "everyone"
        if must_reserve and (held is None or not held.holds(now)):
            who = "a user buys it" if principal.is_user else "it is bought"
            return f"number stock item {item.id} must be reserved before {who}"
        return None

    def _assign(self, workspace: Workspace, item: StockItem, now: datetime) -> LongCodeNumber:
        self.bird.state.inventory.take(item.id)
        held = self.bird.state.reservations.pop(item.id, None)
        if held is not None:
            held.ended = "consumed"
        number_id = self.bird.ids.uuid()
        number = LongCodeNumber(
            id=number_id,
            workspace_id=workspace.id,
            item=item,
            instance_id=self.bird.ids.uuid(),
            connector_id=self.bird.ids.uuid(),
            created_at=now,
            subscription=Subscription(self.bird.ids.uuid(), "main", item.monthly_price, now),
            order=order_timeline(item.back_order_required, self.bird.config.order_timing),
            serial=self.bird.state.next_serial(),
            deprovisioning=self.bird.config.deprovisioning,
            whatsapp=self._whatsapp_plan(workspace, item),
        )
        workspace.wallet.debit(
            item.monthly_price,
            at=now,
            reference=number_id,
            description=f"Monthly subscription for {item.number}",
        )
        workspace.numbers[number_id] = number
        self._apply_order_rule(workspace, number)
        self.bird.webhooks.schedule(workspace, number, now)  # bought: the first event
        return number

    def _apply_order_rule(self, workspace: Workspace, number: LongCodeNumber) -> None:
        rule = self.bird.state.rules.take("order", workspace.id)
        if rule is None:
            return
        # An order is rejected or cancelled instead of being fulfilled: at the latest when
        # it would have been fulfilled.
        after = number.created_at + timedelta(seconds=float(rule.params.get("afterSeconds", 3)))
        at = min(after, number.order.reached("fulfilled", number.created_at))
        number.ended = OrderEnd(rule.outcome, at)
        self.bird.state.schedule.add(at, Due("order-ended", workspace.ref, number.id))

    def _whatsapp_plan(self, workspace: Workspace, item: StockItem) -> WhatsAppPlan | None:
        """WhatsApp-capable numbers are pre-verified once provisioned (seed 000: "this will
        automatically be verified on WhatsApp"); a rule can make attempts fail."""
        if "whatsapp" not in item.features:
            return None
        rule = self.bird.state.rules.take("whatsapp", workspace.id)
        failures = int(rule.params.get("attempts", 1)) if rule and rule.outcome == "fail" else 0
        return WhatsAppPlan(
            whatsapp_id=self.bird.ids.digits(16),
            failures=failures,
            timing=self.bird.config.whatsapp_timing,
            already_exists=rule is not None and rule.outcome == "already-exists",
        )
