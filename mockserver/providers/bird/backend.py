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
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.lifecycles import order_timeline
from mockserver.providers.bird.models import (
    AlphaSender,
    BirdState,
    Destination,
    LongCodeNumber,
    Reservation,
    StockItem,
    Subscription,
    Tenant,
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
        self.organization(principal, organization_id)
        ranges = self._stock_ranges(query)
        after = self._stock_cursor(query)
        now = self.clock.now()
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
        workspace = self.workspace(principal, workspace_id)
        now = self.clock.now()
        item = self._available_item(item_id, workspace, now)
        current = self.state.reservations.get(item_id)
        if current is not None and current.holds(now):
            # Reserving again renews the hold (the caller already holds it).
            current.expires_at = now + self.config.reservation_ttl
            return current
        held = Reservation(
            self._ids.uuid(), item, workspace, now, now + self.config.reservation_ttl
        )
        self.state.reservations[item_id] = held
        return held

    def release(self, principal: BirdPrincipal, workspace_id: str, item_id: str) -> None:
        workspace = self.workspace(principal, workspace_id)
        now = self.clock.now()
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
        workspace = self.workspace(principal, workspace_id)
        now = self.clock.now()
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
        # be reserved." Access keys may buy unreserved items (docs/fidelity.md).
        if principal.is_user and (held is None or not held.holds(now)):
            return f"number stock item {item.id} must be reserved before a user buys it"
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
            order=order_timeline(item, self.config.order_timing),
            serial=next(self.state.serials),
        )
        workspace.wallet.debit(
            item.monthly_price,
            at=now,
            reference=number_id,
            description=f"Monthly subscription for {item.number}",
        )
        workspace.numbers[number_id] = number
        return number

    # --- long code numbers ---------------------------------------------------------------

    def list_numbers(
        self, principal: BirdPrincipal, workspace_id: str, query: NumberQuery
    ) -> Page[LongCodeNumber]:
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
        workspace = self.workspace(principal, workspace_id)
        senders = list(workspace.alpha_senders.values())
        scope = _scope(["alpha", workspace_id, reverse])
        return self._tokens.page_sorted(scope, senders, _created, page_token, limit, reverse)

    def get_alpha(self, principal: BirdPrincipal, workspace_id: str, alpha_id: str) -> AlphaSender:
        workspace = self.workspace(principal, workspace_id)
        alpha = workspace.alpha_senders.get(alpha_id)
        if alpha is None:
            raise NotFound("AlphaNumber", alpha_id, "Alpha Number not found")
        return alpha

    # --- endpoints: subscriptions and destinations ------------------------------------------

    def endpoint(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> LongCodeNumber | AlphaSender:
        workspace = self.workspace(principal, workspace_id)
        found = workspace.numbers.get(endpoint_id) or workspace.alpha_senders.get(endpoint_id)
        if found is None:
            raise NotFound("Endpoint", endpoint_id, "Endpoint not found")
        return found

    def subscriptions(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str
    ) -> list[Subscription]:
        """`main` for a long code number; one per destination country for an alpha sender."""
        endpoint = self.endpoint(principal, workspace_id, endpoint_id)
        if isinstance(endpoint, LongCodeNumber):
            return [endpoint.subscription]
        return [d.subscription for d in endpoint.destinations.values()]

    def subscription(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Subscription:
        for sub in self.subscriptions(principal, workspace_id, endpoint_id):
            if sub.name == name:
                return sub
        raise NotFound("Subscription", name, f"Subscription {name} not found")

    def cancel_subscription(
        self, principal: BirdPrincipal, workspace_id: str, endpoint_id: str, name: str
    ) -> Subscription:
        """Stop the subscription at the end of its current period; cancelling twice is a no-op."""
        sub = self.subscription(principal, workspace_id, endpoint_id, name)
        if sub.canceled_at is None:
            now = self.clock.now()
            sub.canceled_at = now
            sub.end_at = period_end(sub.subscribed_at, now)
        return sub

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
        workspace = self.workspace(principal, workspace_id)
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        new = [
            c for c in wanted if c not in sender.destinations or not sender.destinations[c].active
        ]
        price = self.config.destination_price
        workspace.wallet.ensure_can_pay(total([price] * len(new), self.config.currency, -6))
        now = self.clock.now()
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
        sender = self._destination_sender(principal, workspace_id, endpoint_id, capability)
        wanted = list(dict.fromkeys(countries))
        missing = [c for c in wanted if c not in sender.destinations]
        if missing:
            raise NotFound(
                "Destination",
                missing[0],
                f"Destination {', '.join(missing)} not found on this endpoint",
            )
        now = self.clock.now()
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


def _scope(parts: list[object]) -> str:
    return orjson.dumps(parts).decode()


def _created(row: LongCodeNumber | AlphaSender) -> tuple[str, ...]:
    # "By default, the orders are in ascending order date" (Bird pagination docs); the
    # serial keeps things created at the same instant in the order they were created.
    return (row.created_at.isoformat(), f"{row.serial:012d}")


BILLING_PERIOD = timedelta(days=30)


def period_end(start: datetime, now: datetime) -> datetime:
    """The end of the billing period running at `now` (periods of 30 days from `start`)."""
    periods = (now - start) // BILLING_PERIOD + 1
    return start + periods * BILLING_PERIOD
