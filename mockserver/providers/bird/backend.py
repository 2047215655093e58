"""Bird's use cases on state: who may see what, stock search, reservation, purchase.

Every use case checks everything first and changes state only after the last check, so a
failed request leaves state exactly as it was. Handlers run one at a time on the event
loop, so a use case is never interleaved with another.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from mockserver.clock import Clock
from mockserver.domain.money import Money, total
from mockserver.domain.pagination import Page, PageTokens
from mockserver.domain.wallet import Wallet
from mockserver.errors import Conflict, Invalid, NotFound, Rejected, Unauthenticated
from mockserver.numbering import numbering_plans
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.lifecycles import order_timeline
from mockserver.providers.bird.models import (
    AlphaSender,
    BirdState,
    Destination,
    Due,
    LongCodeNumber,
    OrderEnd,
    Reservation,
    StockItem,
    Subscription,
    Tenant,
    WhatsAppPlan,
    Workspace,
)
from mockserver.providers.bird.seed import BirdConfig
from mockserver.rng import Rng


@dataclass(frozen=True, slots=True)
class StockQuery:
    countries: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    prefix: str | None = None
    testing: bool = False
    limit: int = 10
    page_token: str | None = None

    def scope(self) -> str:
        """What a page token is bound to: the filters, not the page size."""
        return _scope(
            [
                "stock",
                sorted(set(self.countries)),
                sorted(set(self.types)),
                sorted(set(self.features)),
                self.prefix,
                self.testing,
            ]
        )


@dataclass(frozen=True, slots=True)
class Billed:
    """A subscription and when it starts billing (None: it never will)."""

    subscription: Subscription
    starts_at: datetime | None


@dataclass(frozen=True, slots=True)
class NumberQuery:
    number_prefix: str | None = None
    countries: tuple[str, ...] = ()
    provider_ids: tuple[str, ...] = ()
    reverse: bool = False
    limit: int = 10
    page_token: str | None = None

    def scope(self, workspace_id: str) -> str:
        return _scope(
            [
                "numbers",
                workspace_id,
                self.number_prefix,
                sorted(set(self.countries)),
                sorted(set(self.provider_ids)),
                self.reverse,
            ]
        )


class BirdBackend:
    def __init__(self, config: BirdConfig, state: BirdState, clock: Clock, rng: Rng) -> None:
        self.config = config
        self.state = state
        self.clock = clock
        self._ids = rng.stream("bird.ids")
        self._tokens = PageTokens(rng.secret("bird.page-tokens"))

    # --- time ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's now, with every side effect that fell due before it applied."""
        now = self.clock.now()
        for at, due in self.state.schedule.due(now):
            _EFFECTS[due.kind](self, at, due)
        return now

    def _order_ended(self, at: datetime, due: Due) -> None:
        """A rejected or cancelled order: the charge is refunded, the item back in stock."""
        number = due.workspace.numbers.get(due.subject_id)
        if number is None or number.ended is None or number.ended.at != at:
            return  # ended otherwise meanwhile (e.g. cancelled before a rejection fell due)
        due.workspace.wallet.credit(
            number.subscription.price,
            at=at,
            reference=number.id,
            description=f"Refund: order for {number.item.number} {number.ended.status}",
        )
        self.state.inventory.give_back(number.item.id)

    def _deprovisioned(self, at: datetime, due: Due) -> None:
        """The number leaves the workspace and returns to stock."""
        number = due.workspace.numbers.pop(due.subject_id, None)
        if number is not None:
            self.state.inventory.give_back(number.item.id)

    def _reservation_lapsed(self, at: datetime, due: Due) -> None:
        held = self.state.reservations.get(due.subject_id)
        if held is not None and held.holder is due.workspace and not held.holds(at):
            del self.state.reservations[due.subject_id]

    # --- tenancy -------------------------------------------------------------------

    def tenant(self, principal: BirdPrincipal) -> Tenant:
        key = (principal.scheme, principal.credential)
        tenant = self.state.tenants.get(key)
        if tenant is not None:
            return tenant
        if not self.config.ad_hoc_tenants:
            raise Unauthenticated("The credential is not accepted by this scenario")
        tenant = Tenant(name=f"ad-hoc:{principal.scheme}:{principal.credential[:12]}", ad_hoc=True)
        self.state.tenants[key] = tenant
        return tenant

    def workspace(self, principal: BirdPrincipal, workspace_id: str) -> Workspace:
        tenant = self.tenant(principal)
        workspace = tenant.workspaces.get(workspace_id)
        if workspace is not None:
            return workspace
        if not tenant.ad_hoc:
            raise NotFound("Workspace", workspace_id, f"Workspace {workspace_id} not found")
        workspace = Workspace(workspace_id, None, Wallet(self.config.ad_hoc_wallet))
        tenant.workspaces[workspace_id] = workspace
        return workspace

    def organization(self, principal: BirdPrincipal, organization_id: str) -> Tenant:
        tenant = self.tenant(principal)
        if organization_id not in tenant.organization_ids:
            if not tenant.ad_hoc:
                raise NotFound(
                    "Organization", organization_id, f"Organization {organization_id} not found"
                )
            tenant.organization_ids.add(organization_id)
        return tenant

    # --- stock ---------------------------------------------------------------------

    def search_stock(
        self, principal: BirdPrincipal, organization_id: str, query: StockQuery
    ) -> Page[StockItem]:
        now = self.now()
        self.organization(principal, organization_id)
        ranges = self._stock_ranges(query)
        after = self._stock_cursor(query)
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
            return not self._held_by_other(item, None, now)

        inventory = self.state.inventory
        items, more = inventory.scan(ranges, accept, query.limit, after, bucket)
        key = (items[-1].country, items[-1].number) if items else ()
        return self._tokens.page(query.scope(), items, more, key)

    def _stock_ranges(self, query: StockQuery) -> list[tuple[str, str]]:
        countries = sorted(set(query.countries)) or self.state.inventory.countries()
        if query.prefix is None:
            return [(country, "+") for country in countries]
        # Documented: "It MUST be used in conjunction with the countryCodes filter".
        if not query.countries:
            raise Invalid(
                "The prefix filter needs countryCodes",
                {".prefix": ["prefix must be used together with countryCodes"]},
            )
        digits = query.prefix.removeprefix("+")
        if not digits.isdigit():
            raise Invalid(
                "The prefix filter is malformed",
                {".prefix": ["prefix must be area code digits or an E.164 prefix such as +1205"]},
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

    def _stock_cursor(self, query: StockQuery) -> tuple[str, str] | None:
        if query.page_token is None:
            return None
        position = self._tokens.read(query.scope(), query.page_token)
        if len(position) != 2 or not all(isinstance(p, str) for p in position):
            raise Invalid(
                "The page token is not valid for this request",
                {".pageToken": ["the page token is malformed"]},
            )
        return (str(position[0]), str(position[1]))

    def _held_by_other(self, item: StockItem, workspace: Workspace | None, now: datetime) -> bool:
        held = self.state.reservations.get(item.id)
        return held is not None and held.holds(now) and held.holder is not workspace

    # --- reservation (invented: Bird documents the rule, not the endpoint) ----------------

    def reserve(self, principal: BirdPrincipal, workspace_id: str, item_id: str) -> Reservation:
        now = self.now()
        workspace = self.workspace(principal, workspace_id)
        item = self._available_item(item_id, workspace, now)
        expires = now + self.config.reservation_ttl
        held = self.state.reservations.get(item_id)
        if held is not None and held.holds(now):
            held.expires_at = expires  # reserving again renews the caller's hold
        else:
            held = Reservation(self._ids.uuid(), item, workspace, now, expires)
            self.state.reservations[item_id] = held
        self.state.schedule.add(expires, Due("reservation-lapsed", workspace, item_id))
        return held

    def release(self, principal: BirdPrincipal, workspace_id: str, item_id: str) -> None:
        now = self.now()
        workspace = self.workspace(principal, workspace_id)
        held = self.state.reservations.get(item_id)
        if held is None or held.holder is not workspace or not held.holds(now):
            raise NotFound(
                "Reservation",
                item_id,
                f"Workspace {workspace_id} holds no reservation for number stock item {item_id}",
            )
        held.ended = "released"
        del self.state.reservations[item_id]

    def _available_item(self, item_id: str, workspace: Workspace, now: datetime) -> StockItem:
        item = self.state.inventory.get(item_id)
        if item is None:
            raise NotFound("NumberStockItem", item_id, f"Number stock item {item_id} not found")
        if not self.state.inventory.is_available(item_id):
            raise Conflict(
                f"Number stock item {item_id} is no longer in stock", {"numberStockItemId": item_id}
            )
        if self._held_by_other(item, workspace, now):
            raise Conflict(
                f"Number stock item {item_id} is reserved by another workspace",
                {"numberStockItemId": item_id},
            )
        return item

    # --- purchase ------------------------------------------------------------------

    def buy(
        self, principal: BirdPrincipal, workspace_id: str, item_ids: Sequence[str]
    ) -> list[LongCodeNumber]:
        """Assign the stock items to the workspace and charge its wallet, all or nothing."""
        now = self.now()
        workspace = self.workspace(principal, workspace_id)
        items = self._purchasable(principal, workspace, item_ids, now)
        price = total([item.monthly_price for item in items], self.config.currency, -6)
        workspace.wallet.ensure_can_pay(price)
        # Every check passed: from here on nothing can fail.
        return [self._assign(workspace, item, now) for item in items]

    def _purchasable(
        self,
        principal: BirdPrincipal,
        workspace: Workspace,
        item_ids: Sequence[str],
        now: datetime,
    ) -> list[StockItem]:
        unknown = [i for i in item_ids if self.state.inventory.get(i) is None]
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
            item = self.state.inventory.get(item_id)
            assert item is not None
            problem = self._purchase_problem(principal, workspace, item, now)
            if problem:
                problems[f".numberStockItemIds[{index}]"] = [problem]
            items.append(item)
        if problems:
            raise Invalid("One or more number stock items cannot be bought", problems)
        return items

    def _purchase_problem(
        self, principal: BirdPrincipal, workspace: Workspace, item: StockItem, now: datetime
    ) -> str | None:
        if not self.state.inventory.is_available(item.id):
            return f"number stock item {item.id} is no longer in stock"
        if self._held_by_other(item, workspace, now):
            return f"number stock item {item.id} is reserved by another workspace"
        held = self.state.reservations.get(item.id)
        # Documented: "When creating LCNs as a User, all specified Number Stock Items should
        # be reserved." Access keys may buy unreserved items unless the scenario says
        # everyone must reserve (bird.reservations.requiredFor).
        must_reserve = principal.is_user or self.config.reservation_required_for == "everyone"
        if must_reserve and (held is None or not held.holds(now)):
            who = "a user buys it" if principal.is_user else "it is bought"
            return f"number stock item {item.id} must be reserved before {who}"
        return None

    def _assign(self, workspace: Workspace, item: StockItem, now: datetime) -> LongCodeNumber:
        self.state.inventory.take(item.id)
        held = self.state.reservations.pop(item.id, None)
        if held is not None:
            held.ended = "consumed"
        number_id = self._ids.uuid()
        number = LongCodeNumber(
            id=number_id,
            workspace_id=workspace.id,
            item=item,
            instance_id=self._ids.uuid(),
            connector_id=self._ids.uuid(),
            created_at=now,
            subscription=Subscription(self._ids.uuid(), "main", item.monthly_price, now),
            order=order_timeline(item.back_order_required, self.config.order_timing),
            serial=next(self.state.serials),
            deprovisioning=self.config.deprovisioning,
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
        return number

    def _apply_order_rule(self, workspace: Workspace, number: LongCodeNumber) -> None:
        rule = self.state.rules.take("order", workspace.id)
        if rule is None:
            return
        # An order is rejected or cancelled instead of being fulfilled: at the latest when
        # it would have been fulfilled.
        after = number.created_at + timedelta(seconds=float(rule.params.get("afterSeconds", 3)))
        at = min(after, number.order.reached("fulfilled", number.created_at))
        number.ended = OrderEnd(rule.outcome, at)
        self.state.schedule.add(at, Due("order-ended", workspace, number.id))

    def _whatsapp_plan(self, workspace: Workspace, item: StockItem) -> WhatsAppPlan | None:
        """WhatsApp-capable numbers are pre-verified once provisioned (seed 000: "this will
        automatically be verified on WhatsApp"); a rule can make attempts fail."""
        if "whatsapp" not in item.features:
            return None
        rule = self.state.rules.take("whatsapp", workspace.id)
        failures = int(rule.params.get("attempts", 1)) if rule and rule.outcome == "fail" else 0
        return WhatsAppPlan(
            whatsapp_id=self._ids.digits(16),
            failures=failures,
            timing=self.config.whatsapp_timing,
            already_exists=rule is not None and rule.outcome == "already-exists",
        )

    # --- long code numbers ---------------------------------------------------------------

    def list_numbers(
        self, principal: BirdPrincipal, workspace_id: str, query: NumberQuery
    ) -> Page[LongCodeNumber]:
        self.now()
        workspace = self.workspace(principal, workspace_id)
        prefix = None
        if query.number_prefix is not None:
            prefix = "+" + query.number_prefix.removeprefix("+")
        countries, providers = set(query.countries), set(query.provider_ids)
        numbers = [
            n
            for n in workspace.numbers.values()
            if (prefix is None or n.item.number.startswith(prefix))
            and (not countries or n.item.country in countries)
            and (not providers or n.item.provider_id in providers)
        ]
        return self._tokens.page_sorted(
            query.scope(workspace_id),
            numbers,
            _created,
            query.page_token,
            query.limit,
            query.reverse,
        )

    def get_number(
        self, principal: BirdPrincipal, workspace_id: str, number_id: str
    ) -> LongCodeNumber:
        self.now()
        workspace = self.workspace(principal, workspace_id)
        number = workspace.numbers.get(number_id)
        if number is None:
            # Documented 404 text: "Long Code Number not found".
            raise NotFound("LongCodeNumber", number_id, "Long Code Number not found")
        return number

    # --- alpha senders -------------------------------------------------------------------

    def list_alpha(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        limit: int,
        page_token: str | None,
        reverse: bool,
    ) -> Page[AlphaSender]:
        self.now()
        workspace = self.workspace(principal, workspace_id)
        senders = list(workspace.alpha_senders.values())
        scope = _scope(["alpha", workspace_id, reverse])
        return self._tokens.page_sorted(scope, senders, _created, page_token, limit, reverse)

    def get_alpha(self, principal: BirdPrincipal, workspace_id: str, alpha_id: str) -> AlphaSender:
        self.now()
        workspace = self.workspace(principal, workspace_id)
        alpha = workspace.alpha_senders.get(alpha_id)
        if alpha is None:
            raise NotFound("AlphaNumber", alpha_id, "Alpha Number not found")
        return alpha

    # --- endpoints: subscriptions and destinations ------------------------------------------

    def endpoint(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> LongCodeNumber | AlphaSender:
        self.now()
        workspace = self.workspace(principal, workspace_id)
        found = workspace.numbers.get(endpoint_id) or workspace.alpha_senders.get(endpoint_id)
        if found is None:
            raise NotFound("Endpoint", endpoint_id, "Endpoint not found")
        return found

    def subscriptions(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> list[Billed]:
        """`main` for a long code number (billed from its fulfilment); one per destination
        country for an alpha sender."""
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        if isinstance(endpoint, LongCodeNumber):
            return [Billed(endpoint.subscription, lifecycles.fulfilled_at(endpoint))]
        return [
            Billed(d.subscription, d.subscription.subscribed_at)
            for d in endpoint.destinations.values()
        ]

    def subscription(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Billed:
        for billed in self.subscriptions(principal, workspace_id, endpoint_id):
            if billed.subscription.name == name:
                return billed
        raise NotFound("Subscription", name, f"Subscription {name} not found")

    def cancel_subscription(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Billed:
        """Stop the subscription at the end of its running period; cancelling again changes
        nothing. A number whose order is not yet fulfilled is cancelled at once: its order
        ends `cancelled`, the charge is refunded and the item returns to stock."""
        now = self.now()
        workspace = self.workspace(principal, workspace_id)
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        billed = self.subscription(principal, workspace_id, endpoint_id, name)
        sub = billed.subscription
        if sub.canceled_at is not None:
            return billed
        sub.canceled_at = now
        if isinstance(endpoint, LongCodeNumber):
            self._cancel_number(workspace, endpoint, now)
            return Billed(sub, lifecycles.fulfilled_at(endpoint))
        sub.end_at = period_end(sub.subscribed_at, now, self.config.billing_period)
        return billed

    def _cancel_number(self, workspace: Workspace, number: LongCodeNumber, now: datetime) -> None:
        fulfilled = lifecycles.fulfilled_at(number)
        if number.ended is not None and number.ended.at <= now:
            number.subscription.end_at = number.ended.at  # already over: nothing to stop
        elif fulfilled is None or now < fulfilled:
            number.ended = OrderEnd("cancelled", now)
            number.subscription.end_at = now
            self.state.schedule.add(now, Due("order-ended", workspace, number.id))
            self.now()  # the refund is due now
        else:
            end = period_end(fulfilled, now, self.config.billing_period)
            number.subscription.end_at = end
            self.state.schedule.add(
                end + number.deprovisioning, Due("deprovisioned", workspace, number.id)
            )

    def destination_prices(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> dict[str, Money]:
        """What activating the destinations would cost per month (`?validate=true`)."""
        self._destination_sender(principal, workspace_id, endpoint_id, capability)
        return dict.fromkeys(dict.fromkeys(countries), self.config.destination_price)

    def activate_destinations(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> list[Destination]:
        """A subscription per destination country, charged to the wallet, all or nothing."""
        now = self.now()
        workspace = self.workspace(principal, workspace_id)
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        new = [
            c
            for c in wanted
            if c not in sender.destinations or not sender.destinations[c].is_active(now)
        ]
        price = self.config.destination_price
        workspace.wallet.ensure_can_pay(total([price] * len(new), self.config.currency, -6))
        for country in new:
            sub = Subscription(self._ids.uuid(), country, price, now)
            sender.destinations[country] = Destination(country, capability, sub)
            workspace.wallet.debit(
                price,
                at=now,
                reference=sub.id,
                description=f"{sender.alpha_string} destination {country}",
            )
        return [sender.destinations[c] for c in wanted]

    def deactivate_destinations(
        self,
        principal: BirdPrincipal,
        workspace_id: str,
        endpoint_id: str,
        capability: str,
        countries: Sequence[str],
    ) -> list[Destination]:
        now = self.now()
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        missing = [c for c in wanted if c not in sender.destinations]
        if missing:
            raise NotFound(
                "Destination",
                missing[0],
                f"Destination {', '.join(missing)} not found on this endpoint",
            )
        for country in wanted:
            destination = sender.destinations[country]
            if destination.active:
                destination.active = False
                destination.subscription.canceled_at = now
                destination.subscription.end_at = now
        return [sender.destinations[c] for c in wanted]

    def _destination_sender(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, capability: str
    ) -> AlphaSender:
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        if not isinstance(endpoint, AlphaSender):
            raise Rejected(
                "Destinations are managed on alpha senders; long code numbers "
                "reach every destination of their capabilities"
            )
        if capability != "sms":
            raise Rejected(f"Alpha senders only send sms, not {capability}")
        return endpoint


_EFFECTS = {
    "order-ended": BirdBackend._order_ended,
    "deprovisioned": BirdBackend._deprovisioned,
    "reservation-lapsed": BirdBackend._reservation_lapsed,
}


def _scope(parts: list[object]) -> str:
    return orjson.dumps(parts).decode()


def _created(row: LongCodeNumber | AlphaSender) -> tuple[str, ...]:
    # "By default, the orders are in ascending order date" (Bird pagination docs); the
    # serial keeps things created at the same instant in the order they were created.
    return (row.created_at.isoformat(), f"{row.serial:012d}")


def period_end(start: datetime, now: datetime, period: timedelta) -> datetime:
    """The end of the billing period running at `now` (periods from `start`)."""
    periods = max((now - start) // period + 1, 1)
    return start + periods * period
