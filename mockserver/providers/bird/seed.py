"""Bird's starting state from a scenario: seeded stock drawn from real numbering plans,
the scenario's tenants with their wallets and alpha senders."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.wallet import Wallet
from mockserver.numbering import CountryPlan, NumberRange, numbering_plans
from mockserver.providers.bird.lifecycles import OrderTiming
from mockserver.providers.bird.models import (
    AlphaSender,
    BirdState,
    Destination,
    StockItem,
    Subscription,
    Tenant,
    WhatsAppTiming,
    Workspace,
)
from mockserver.providers.bird.platform import seed as platform_seed
from mockserver.providers.bird.platform.seed import PlatformConfig
from mockserver.rng import FakerStream, RandomStream, Rng
from mockserver.scenario import Scenario
from mockserver.seeded_stock import Catalog, Ids, Keyed, Shelf, plan_shelf

# Bird's documented Money examples use 10^-6 ("amount": 3500000, "exponent": -6 is 3.50).
EXPONENT = -6
_FEATURE_GROUPS = {
    "voice": ("voice-inbound", "voice-outbound"),
    "sms": ("sms-inbound", "sms-outbound"),
    "mms": ("mms-inbound", "mms-outbound"),
}
_PROVIDER_NAMESPACE = uuid.UUID("6f1c3c4e-5d0a-4c61-9a3e-2b7f1d9e8a01")


@dataclass(frozen=True, slots=True)
class BirdConfig:
    currency: str
    ad_hoc_tenants: bool
    ad_hoc_wallet: Money
    reservation_ttl: timedelta = timedelta(minutes=15)
    # Who must reserve before buying: "users" (Bearer tokens, as documented) or "everyone".
    reservation_required_for: str = "users"
    order_timing: OrderTiming = field(default_factory=OrderTiming)
    whatsapp_timing: WhatsAppTiming = WhatsAppTiming(
        code_requested_after=timedelta(seconds=5),
        verifying_after=timedelta(seconds=10),
        verified_after=timedelta(seconds=15),
        retry_after=timedelta(seconds=60),
        max_attempts=3,
        valid_for=timedelta(days=90),
    )
    billing_period: timedelta = timedelta(days=30)
    deprovisioning: timedelta = timedelta(seconds=60)
    # Monthly price of one alpha-sender destination country: not published by Bird.
    destination_price: Money = Money(3_000_000, EXPONENT, "EUR")
    # The platform API's settings (`bird.platform`); None: its defaults for this currency.
    platform: PlatformConfig | None = None
    # The numbers service's webhook event (`bird.webhooks.numbersEvent`): Bird does not
    # publish its name, so it is the mock's (docs/fidelity.md).
    numbers_event: str = "endpoint.updated"
    # How the stock comes from the seed (`bird.stock.generation`): "computed" on demand
    # (seeded_stock.py), or "drawn" up front as numbers-mock 0.1 drew it (state dumps of
    # 0.1 name items of that stock).
    stock_generation: str = "computed"

    def money(self, amount: str) -> Money:
        return Money.parse(amount, self.currency, EXPONENT)


def read_config(bird: Mapping[str, Any]) -> BirdConfig:
    """The scenario's settings; whatever it leaves out takes the defaults of the schema."""
    currency = bird["currency"]
    reservations = bird.get("reservations", {})
    orders = bird.get("orders", {})
    whatsapp = bird.get("whatsApp", {})
    subscriptions = bird.get("subscriptions", {})
    return BirdConfig(
        currency=currency,
        ad_hoc_tenants=bird["adHocTenants"]["enabled"],
        ad_hoc_wallet=Money.parse(bird["adHocTenants"]["wallet"], currency, EXPONENT),
        reservation_ttl=_seconds(reservations.get("ttlSeconds", 900)),
        reservation_required_for=reservations.get("requiredFor", "users"),
        order_timing=OrderTiming(
            processing_after=_seconds(orders.get("processingAfterSeconds", 2)),
            fulfilled_after=_seconds(orders.get("fulfilledAfterSeconds", 5)),
            back_order_submitted_after=_seconds(orders.get("backOrderSubmittedAfterSeconds", 300)),
            back_order_fulfilled_after=_seconds(orders.get("backOrderFulfilledAfterSeconds", 600)),
        ),
        whatsapp_timing=WhatsAppTiming(
            code_requested_after=_seconds(whatsapp.get("codeRequestedAfterSeconds", 5)),
            verifying_after=_seconds(whatsapp.get("verifyingAfterSeconds", 10)),
            verified_after=_seconds(whatsapp.get("verifiedAfterSeconds", 15)),
            retry_after=_seconds(whatsapp.get("retryAfterSeconds", 60)),
            max_attempts=int(whatsapp.get("maxAttempts", 3)),
            valid_for=timedelta(days=whatsapp.get("validForDays", 90)),
        ),
        billing_period=timedelta(days=subscriptions.get("periodDays", 30)),
        deprovisioning=_seconds(subscriptions.get("deprovisioningSeconds", 60)),
        destination_price=Money.parse(
            bird.get("destinations", {}).get("monthlyPrice", "3.00"), currency, EXPONENT
        ),
        platform=platform_seed.read_config(bird),
        numbers_event=bird.get("webhooks", {}).get("numbersEvent", "endpoint.updated"),
        stock_generation=bird["stock"].get("generation", "computed"),
    )


def read_rules(bird: Mapping[str, Any], stream: RandomStream) -> Rules:
    return Rules(
        [
            Rule(
                id=stream.uuid(),
                on=raw["on"],
                outcome=raw["outcome"],
                remaining=int(raw.get("count", 1)),
                scope=raw.get("workspaceId"),
                params={k: v for k, v in raw.items() if k not in ("on", "outcome", "count")},
            )
            for raw in bird.get("rules", [])
        ]
    )


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def stock_bucket(item: StockItem) -> tuple[str, frozenset[str], bool]:
    """How the stock is indexed (within a country): by every stock-search filter but the
    number prefix, so a search only walks shelves that can match (domain/inventory.py). A
    computed shelf's features are those its items may have (WhatsApp is per item): a
    search checks each item's too."""
    return (item.type, item.features, item.testing)


@cache
def provider_id(country: str) -> str:
    """The id of the (single) number provider the mock has per country; stable across seeds."""
    return str(uuid.uuid5(_PROVIDER_NAMESPACE, country))


def seed_state(scenario: Scenario, rng: Rng, now: datetime) -> tuple[BirdConfig, BirdState]:
    """The scenario's stock (built once) and its world on it."""
    config = read_config(scenario.section("bird"))
    stock = seed_stock(scenario, config, rng, config.stock_generation)
    return config, seed_world(scenario, config, rng, now, stock)


def seed_stock(
    scenario: Scenario, config: BirdConfig, rng: Rng, generation: str
) -> Inventory[StockItem]:
    """The scenario's stock as `generation` makes it from the seed: "computed" costs what
    is touched; "drawn" draws every item up front (numbers-mock 0.1, whose dumps name its
    items: a restore of one builds it)."""
    if generation == "drawn":
        return Inventory(_stock(scenario, config, rng), bucket=stock_bucket)
    return _computed(scenario, config, Keyed(rng.secret("bird.stock")))


def seed_world(
    scenario: Scenario,
    config: BirdConfig,
    rng: Rng,
    now: datetime,
    stock: Inventory[StockItem],
) -> BirdState:
    """Everything but the stock as the scenario starts it: tenants, wallets, senders, rules
    (a reset builds it again on the stock, put back as seeded)."""
    state = BirdState(
        stock,
        stock_generation=config.stock_generation,
        tenants={},
        credentials={},
        rules=read_rules(scenario.section("bird"), rng.stream("bird.rules")),
    )
    _tenants(state, scenario, config, rng.stream("bird.tenants"), now)
    return state


def _computed(scenario: Scenario, config: BirdConfig, keyed: Keyed) -> Inventory[StockItem]:
    """One computed shelf per country and number type (seeded_stock.py), its items made
    from their numbers; the numbers a scenario lists and the testing ones are stored."""
    rules = scenario.section("bird")["stock"]
    plans = numbering_plans()
    stocked = _Stocked(keyed, float(rules.get("backOrderRate", 0)))
    listed: list[StockItem] = []
    views: list[tuple[str, Hashable, Shelf]] = []
    ids: set[str] = set()
    for country in sorted(rules["countries"]):
        path: list[str | int] = ["bird", "stock", "countries", country]
        if country not in plans:
            raise scenario.error(path, f"no numbering plan for {country} (have {', '.join(plans)})")
        plan, by_type = plans[country], rules["countries"][country]
        for number_type in sorted(by_type):
            where = [*path, number_type]
            ranges = plan.ranges_for(number_type)
            if not ranges:
                raise scenario.error(where, f"{country} has no {number_type} numbers")
            rule = _Rule.read(by_type[number_type], config)
            try:
                shelf = plan_shelf(
                    plan.calling_code, ranges, rule.count, keyed, f"{country}:{number_type}"
                )
            except ValueError as error:
                raise scenario.error(where, str(error)) from None
            views.extend(stocked.shelve(shelf, country, number_type, rule))
            taken = {item.number for item in listed}
            entries = by_type[number_type].get("numbers", [])
            listed.extend(_listed(entries, rule, plan, country, number_type, taken, ids, scenario))
    catalog = Catalog(stocked.shelves, Ids(keyed), stocked.make)
    testing = _testing_computed(scenario, config, keyed, catalog, {i.number for i in listed})
    return Inventory([*listed, *testing], bucket=stock_bucket, computed=catalog, shelves=views)


class _Stocked:
    """What a computed number's item is, from its shelf's rule and its number: WhatsApp
    and back-order by a keyed hash of the number, at the scenario's rates."""

    def __init__(self, keyed: Keyed, back_order_rate: float) -> None:
        self.keyed = keyed
        self.back_order_rate = back_order_rate
        self.shelves: list[Shelf] = []
        self.kinds: list[tuple[str, str, _Rule]] = []  # (country, type, rule) by shelf

    def shelve(
        self, shelf: Shelf, country: str, number_type: str, rule: _Rule
    ) -> list[tuple[str, Hashable, Shelf]]:
        """The shelf by its bucket (seed.stock_bucket): the features its items may have,
        WhatsApp among them if any of them is capable (a search checks each item's)."""
        self.shelves.append(shelf)
        self.kinds.append((country, number_type, rule))
        capable = rule.whatsapp_rate > 0
        features = rule.features | {"whatsapp"} if capable else rule.features
        return [(country, (number_type, features, False), shelf)]

    def make(self, shelf: int, item_id: str, number: str) -> StockItem:
        country, number_type, rule = self.kinds[shelf]
        return self.item(item_id, country, number_type, number, rule)

    def item(
        self,
        item_id: str,
        country: str,
        number_type: str,
        number: str,
        rule: _Rule,
        testing: bool = False,
    ) -> StockItem:
        whatsapp = self.keyed.unit(number, "whatsapp") < rule.whatsapp_rate
        back_order = not testing and self.keyed.unit(number, "back-order") < self.back_order_rate
        return StockItem(
            id=item_id,
            country=country,
            type=number_type,
            number=number,
            features=rule.features | {"whatsapp"} if whatsapp else rule.features,
            monthly_price=rule.price,
            provider_id=provider_id(country),
            back_order_stock_id=self.keyed.uuid(number, "back-order") if back_order else None,
            testing=testing,
        )


def _testing_computed(
    scenario: Scenario,
    config: BirdConfig,
    keyed: Keyed,
    catalog: Catalog[StockItem],
    listed: set[str],
) -> list[StockItem]:
    """`testingPerCountry` numbers of each country's fictional ranges, picked by a keyed
    hash (stored: they are few); one the stock already has is left out, so small
    fictional ranges give fewer."""
    rules = scenario.section("bird")["stock"]
    plans = numbering_plans()
    stocked = _Stocked(keyed, 0.0)
    items: list[StockItem] = []
    for country in sorted(rules["countries"]):
        plan, by_type = plans[country], rules["countries"][country]
        taken = set(listed)
        for index in range(int(rules.get("testingPerCountry", 0)) if plan.testing else 0):
            fictional = plan.testing[keyed.bits(32, country, "testing", index) % len(plan.testing)]
            prefix = fictional.prefixes[
                keyed.bits(32, country, "prefix", index) % len(fictional.prefixes)
            ]
            digits = fictional.digits()
            number = plan.e164(
                prefix + digits.at(keyed.bits(64, country, "at", index) % digits.size)
            )
            if number in taken or catalog.by_number(number) is not None:
                continue
            taken.add(number)
            rule = _Rule.read(by_type.get(fictional.type) or next(iter(by_type.values())), config)
            item_id = keyed.uuid(number, "testing")
            items.append(stocked.item(item_id, country, fictional.type, number, rule, testing=True))
    return items


def _stock(scenario: Scenario, config: BirdConfig, rng: Rng) -> list[StockItem]:
    """Each country's numbers come from its own seeded Faker: adding a country to a
    scenario does not change the numbers of the others."""
    rules = scenario.section("bird")["stock"]
    plans = numbering_plans()
    items: list[StockItem] = []
    taken: set[str] = set()
    ids: set[str] = set()  # of the listed items (generated ids are seeded UUIDs)
    for country in sorted(rules["countries"]):
        path: list[str | int] = ["bird", "stock", "countries", country]
        if country not in plans:
            raise scenario.error(path, f"no numbering plan for {country} (have {', '.join(plans)})")
        plan, by_type = plans[country], rules["countries"][country]
        fake = rng.faker(f"bird.stock.{country}")
        for number_type in sorted(by_type):
            ranges = plan.ranges_for(number_type)
            if not ranges:
                raise scenario.error(
                    [*path, number_type], f"{country} has no {number_type} numbers"
                )
            rule = _Rule.read(by_type[number_type], config)
            for _ in range(rule.count):
                number = _draw_unique(plan, ranges, fake, taken, scenario, [*path, number_type])
                items.append(rule.item(fake, country, number_type, number, rules))
            listed = by_type[number_type].get("numbers", [])
            items.extend(_listed(listed, rule, plan, country, number_type, taken, ids, scenario))
        items.extend(_testing(plan, by_type, config, fake, taken, rules))
    return items


@dataclass(frozen=True, slots=True)
class _Rule:
    count: int
    price: Money
    features: frozenset[str]
    whatsapp_rate: float

    @classmethod
    def read(cls, raw: Mapping[str, Any], config: BirdConfig) -> _Rule:
        features = {f for name in raw["features"] for f in _FEATURE_GROUPS.get(name, (name,))}
        return cls(
            raw["count"],
            config.money(raw["monthlyPrice"]),
            frozenset(features),
            float(raw.get("whatsappRate", 0)),
        )

    def item(
        self,
        fake: FakerStream,
        country: str,
        number_type: str,
        number: str,
        rules: Mapping[str, Any],
        testing: bool = False,
    ) -> StockItem:
        whatsapp = fake.chance(self.whatsapp_rate)
        features = self.features | ({"whatsapp"} if whatsapp else set())
        back_order = not testing and fake.chance(float(rules.get("backOrderRate", 0)))
        return StockItem(
            id=fake.uuid(),
            country=country,
            type=number_type,
            number=number,
            features=frozenset(features),
            monthly_price=self.price,
            provider_id=provider_id(country),
            back_order_stock_id=fake.uuid() if back_order else None,
            testing=testing,
        )


def _listed(
    listed: list[Mapping[str, str]],
    rule: _Rule,
    plan: CountryPlan,
    country: str,
    number_type: str,
    taken: set[str],
    ids: set[str],
    scenario: Scenario,
) -> list[StockItem]:
    """The numbers a scenario lists with their stock item ids (the docs' examples use
    `123e4567-...` for `+19283764510`): drawn from nothing, so listing them never moves
    the generated stock; the rule's price and features, never WhatsApp or back-ordered."""
    items = []
    for index, entry in enumerate(listed):
        where: list[str | int] = ["bird", "stock", "countries", country, number_type, "numbers"]
        where.append(index)
        number, item_id = entry["e164"], entry["id"]
        if not number.startswith(f"+{plan.calling_code}"):
            raise scenario.error(where, f"{number} is not a {country} number")
        if number in taken:
            raise scenario.error(where, f"{number} is stocked twice")
        if item_id in ids:
            raise scenario.error(where, f"the stock item id {item_id} is listed twice")
        taken.add(number)
        ids.add(item_id)
        items.append(
            StockItem(
                id=item_id,
                country=country,
                type=number_type,
                number=number,
                features=rule.features,
                monthly_price=rule.price,
                provider_id=provider_id(country),
                back_order_stock_id=None,
                testing=False,
            )
        )
    return items


def _draw_unique(
    plan: CountryPlan,
    ranges: list[NumberRange],
    fake: FakerStream,
    taken: set[str],
    scenario: Scenario,
    path: list[str | int],
) -> str:
    for _ in range(1000):
        number_range = fake.element(ranges)
        number = plan.e164(number_range.draw(fake))
        if number not in taken:
            taken.add(number)
            return number
    raise scenario.error(path, "the numbering plan has too few numbers for this count")


def _testing(
    plan: CountryPlan,
    by_type: Mapping[str, Any],
    config: BirdConfig,
    fake: FakerStream,
    taken: set[str],
    rules: Mapping[str, Any],
) -> list[StockItem]:
    items = []
    for _ in range(int(rules.get("testingPerCountry", 0)) if plan.testing else 0):
        fictional = fake.element(plan.testing)
        number = plan.e164(fictional.draw(fake))
        if number in taken:
            continue  # small fictional ranges (single numbers) run out; fewer is fine
        taken.add(number)
        raw = by_type.get(fictional.type) or next(iter(by_type.values()))
        rule = _Rule.read(raw, config)
        items.append(rule.item(fake, plan.code, fictional.type, number, rules, testing=True))
    return items


def _tenants(
    state: BirdState, scenario: Scenario, config: BirdConfig, stream: RandomStream, now: datetime
) -> None:
    """The scenario's tenants, each by its name, and the credentials that open them."""
    for index, raw in enumerate(scenario.section("bird")["tenants"]):
        where: list[str | int] = ["bird", "tenants", index]
        tenant = Tenant(
            id=raw["name"],
            name=raw["name"],
            ad_hoc=False,
            organization_ids={raw["organizationId"]},
        )
        if tenant.id in state.tenants:
            raise scenario.error([*where, "name"], "tenant name listed twice")
        for ws in raw["workspaces"]:
            tenant.workspaces[ws["id"]] = _workspace(
                ws, tenant.id, raw["organizationId"], config, stream, state.next_serial, now
            )
        state.tenants[tenant.id] = tenant
        credentials = [f"AccessKey {k}" for k in raw.get("accessKeys", [])] + [
            f"Bearer {t}" for t in raw.get("userTokens", [])
        ]
        for credential in credentials:
            if credential in state.credentials:
                raise scenario.error(where, "credential listed twice")
            state.credentials[credential] = tenant.id


def _workspace(
    raw: Mapping[str, Any],
    tenant_id: str,
    organization_id: str,
    config: BirdConfig,
    stream: RandomStream,
    serials: Callable[[], int],
    now: datetime,
) -> Workspace:
    workspace = Workspace(
        raw["id"], tenant_id, organization_id, Wallet(config.money(raw["wallet"]))
    )
    for sender in raw.get("alphaSenders", []):
        alpha = _alpha_sender(sender, config, stream, serials(), now)
        workspace.alpha_senders[alpha.id] = alpha
    return workspace


def _alpha_sender(
    raw: Mapping[str, Any], config: BirdConfig, stream: RandomStream, serial: int, now: datetime
) -> AlphaSender:
    alpha = AlphaSender(
        id=stream.uuid(),
        alpha_string=raw["alphaString"],
        instance_id=stream.uuid(),
        created_at=now,
        order_countries=tuple(raw["countryCodes"]),
        serial=serial,
    )
    for country in raw["countryCodes"]:
        subscription = Subscription(stream.uuid(), country, config.destination_price, now)
        alpha.destinations[country] = Destination(country, "sms", subscription)
    return alpha
