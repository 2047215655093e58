"""Vobiz's starting state from a scenario: accounts with balances per currency (and what
the account API shows of them: trunks, voice applications, call limits, release fees, a
profile), and numbers per country and region drawn from real numbering plans (the stock
the WhatsApp availability and the account API's inventory both sell)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.wallet import Wallet
from mockserver.numbering import CountryPlan, NumberRange, numbering_plans
from mockserver.providers.vobiz.models import Account, StockNumber, VobizState
from mockserver.rng import RandomStream, Rng
from mockserver.scenario import Scenario
from mockserver.seeded_stock import Catalog, Ids, Keyed, Shelf, plan_shelf

# Vobiz amounts are decimal numbers with two places (balance 23906.83 on the balance page).
EXPONENT = -2


@dataclass(frozen=True, slots=True)
class Fees:
    setup: Money
    monthly: Money

    @property
    def total(self) -> Money:
        return self.setup + self.monthly


@dataclass(frozen=True, slots=True)
class Offer:
    """What numbers of one country cost, per billing currency."""

    country: str
    currency: str  # the currency availability shows
    fees: Mapping[str, Fees]


@dataclass(frozen=True, slots=True)
class Application:
    """A voice application an account has (the mock keeps no application API)."""

    app_id: str
    app_name: str
    answer_url: str = "https://example.com/answer"
    answer_method: str = "POST"
    application_type: str = "XML"


@dataclass(frozen=True, slots=True)
class CallLimits:
    """The docs' example account: 10 concurrent calls (base 10 + 0 bought), 11 calls per
    second (1 + 10); the mock places no calls, so none is active unless a scenario says."""

    active_calls: int = 0
    base_concurrent_calls: int = 10
    purchased_concurrent_calls: int = 0
    base_cps: int = 1
    purchased_cps: int = 10

    @property
    def max_concurrent(self) -> int:
        return self.base_concurrent_calls + self.purchased_concurrent_calls


@dataclass(frozen=True, slots=True)
class AccountSetup:
    """What a scenario says of an account besides its balances and credentials.

    `trunks` / `applications` None: the account has whichever well-formed one a request
    names (an ad-hoc account, or a scenario account listing none); listed: only those.
    """

    numeric_id: str  # auth/me's `id`, a numeric string ("500000")
    trunks: frozenset[str] | None = None
    applications: Mapping[str, Application] | None = None
    limits: CallLimits = CallLimits()
    release_fees: Mapping[str, Money] | None = None  # None: the scenario's default fees
    profile: Mapping[str, str] = field(default_factory=dict)  # auth/me fields, snake_case

    def application(self, app_id: str) -> Application | None:
        if self.applications is None:
            return Application(app_id, f"Application {app_id}")
        return self.applications.get(app_id)

    def has_trunk(self, trunk_group_id: str) -> bool:
        return self.trunks is None or trunk_group_id in self.trunks


# The release page's example fee (INR 700); the USD one is invented (docs/fidelity.md).
RELEASE_FEES = {"INR": "700", "USD": "8"}


@dataclass(frozen=True, slots=True)
class VobizConfig:
    ad_hoc_accounts: bool
    ad_hoc_balances: Mapping[str, Money]
    offers: Mapping[str, Offer]
    accounts: Mapping[str, AccountSetup] = field(default_factory=dict)  # the scenario's
    release_fees: Mapping[str, Money] = field(default_factory=dict)
    # Documented: 24 hours in pending_release (cancellable), then 45 days of quarantine.
    release_cancellable: timedelta = timedelta(hours=24)
    quarantine: timedelta = timedelta(days=45)
    stocked_at: datetime | None = None  # when the stock was seeded (inventory timestamps)
    # None of these is documented (docs/fidelity.md); the OTP TTL follows the docs' example.
    order_completes_after: timedelta = timedelta(seconds=30)
    otp_ttl: timedelta = timedelta(minutes=10)
    otp_resend_cooldown: timedelta = timedelta(seconds=30)
    otp_max_attempts: int = 5
    otp_lock: timedelta = timedelta(hours=1)
    otp_length: int = 6
    provider_name: str = "meta_direct"
    # How the stock comes from the seed (`vobiz.stock.generation`, as Bird's): "computed" on
    # demand (seeded_stock.py), or "drawn" up front as numbers-mock 0.1 drew it.
    stock_generation: str = "computed"


def money(amount: str, currency: str) -> Money:
    return Money.parse(amount, currency, EXPONENT)


def seed_state(scenario: Scenario, rng: Rng, now: datetime) -> tuple[VobizConfig, VobizState]:
    """The scenario's stock (built once) and its world on it."""
    config = replace(read_config(scenario), stocked_at=now)
    stock = seed_stock(scenario, rng, config.stock_generation)
    return config, seed_world(scenario, rng, now, stock, config.stock_generation)


def seed_stock(scenario: Scenario, rng: Rng, generation: str) -> Inventory[StockNumber]:
    """The scenario's stock as `generation` makes it from the seed (see bird/seed.py)."""
    if generation == "drawn":
        return Inventory(_stock(scenario, rng), bucket=_region)
    return _computed(scenario, Keyed(rng.secret("vobiz.stock")))


def _region(number: StockNumber) -> str:
    return number.region


def read_config(scenario: Scenario) -> VobizConfig:
    raw = scenario.section("vobiz")
    orders, otp, release = raw.get("orders", {}), raw.get("otp", {}), raw.get("release", {})
    return VobizConfig(
        ad_hoc_accounts=raw["adHocAccounts"]["enabled"],
        ad_hoc_balances=_balances(raw["adHocAccounts"]["balances"]),
        offers={c: _offer(c, o) for c, o in raw["stock"]["countries"].items()},
        accounts={
            account["authId"]: _setup(scenario, index, account)
            for index, account in enumerate(raw["accounts"])
        },
        release_fees=_balances(release.get("fees", RELEASE_FEES)),
        release_cancellable=timedelta(seconds=release.get("cancellableSeconds", 86400)),
        quarantine=timedelta(seconds=release.get("quarantineSeconds", 45 * 86400)),
        order_completes_after=timedelta(seconds=orders.get("completedAfterSeconds", 30)),
        otp_ttl=timedelta(seconds=otp.get("ttlSeconds", 600)),
        otp_resend_cooldown=timedelta(seconds=otp.get("resendCooldownSeconds", 30)),
        otp_max_attempts=int(otp.get("maxAttempts", 5)),
        otp_lock=timedelta(seconds=otp.get("lockSeconds", 3600)),
        otp_length=int(otp.get("codeLength", 6)),
        stock_generation=raw["stock"].get("generation", "computed"),
    )


def seed_world(
    scenario: Scenario, rng: Rng, now: datetime, stock: Inventory[StockNumber], generation: str
) -> VobizState:
    """Everything but the stock as the scenario starts it: accounts, balances, credentials,
    rules (a reset builds it again on the stock, put back as seeded)."""
    raw = scenario.section("vobiz")
    stream = rng.stream("vobiz.seed")
    state = VobizState(
        inventory=stock,
        stock_generation=generation,
        accounts={},
        tokens={},
        bearers={},
        rules=_rules(raw, rng.stream("vobiz.rules")),
    )
    for index, account in enumerate(raw["accounts"]):
        auth_id = account["authId"]
        if auth_id in state.accounts:
            raise scenario.error(["vobiz", "accounts", index, "authId"], "account listed twice")
        state.accounts[auth_id] = new_account(
            auth_id, _balances(account["balances"]), stream, now, ad_hoc=False
        )
        state.tokens.update(dict.fromkeys(account.get("authTokens", []), auth_id))
        state.bearers.update(dict.fromkeys(account.get("bearerTokens", []), auth_id))
    return state


def new_account(
    auth_id: str,
    balances: Mapping[str, Money],
    stream: RandomStream,
    now: datetime,
    *,
    ad_hoc: bool,
) -> Account:
    return Account(
        auth_id=auth_id,
        ad_hoc=ad_hoc,
        created_at=now,
        wallets={currency: Wallet(amount) for currency, amount in balances.items()},
        wallet_ids={currency: stream.uuid() for currency in balances},
    )


def ad_hoc_setup(auth_id: str) -> AccountSetup:
    """An account no scenario describes: any trunk or application, the documented limits,
    the default fees, and an id derived from its auth id (stable, and no random draw)."""
    digest = int.from_bytes(hashlib.sha256(auth_id.encode()).digest()[:4], "big")
    return AccountSetup(numeric_id=str(600000 + digest % 400000))


def _setup(scenario: Scenario, index: int, raw: Mapping[str, Any]) -> AccountSetup:
    concurrency, cps = raw.get("concurrency", {}), raw.get("cps", {})
    limits = CallLimits(
        active_calls=concurrency.get("active", 0),
        base_concurrent_calls=concurrency.get("base", 10),
        purchased_concurrent_calls=concurrency.get("purchased", 0),
        base_cps=cps.get("base", 1),
        purchased_cps=cps.get("purchased", 10),
    )
    if limits.active_calls > limits.max_concurrent:
        raise scenario.error(
            ["vobiz", "accounts", index, "concurrency", "active"],
            f"more active calls than the account's {limits.max_concurrent} (base + purchased)",
        )
    trunks = raw.get("trunks")
    applications = raw.get("applications")
    fees = raw.get("releaseFees")
    profile = {_snake(key): value for key, value in raw.get("profile", {}).items()}
    return AccountSetup(
        numeric_id=str(500000 + index),
        trunks=None if trunks is None else frozenset(trunks),
        applications=None
        if applications is None
        else {
            app["appId"]: Application(
                app_id=app["appId"],
                app_name=app.get("appName", f"Application {app['appId']}"),
                answer_url=app.get("answerUrl", "https://example.com/answer"),
                answer_method=app.get("answerMethod", "POST"),
                application_type=app.get("applicationType", "XML"),
            )
            for app in applications
        },
        limits=limits,
        release_fees=None if fees is None else _balances(fees),
        profile=profile,
    )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _rules(raw: Mapping[str, Any], stream: RandomStream) -> Rules:
    return Rules(
        [
            Rule(
                id=stream.uuid(),
                on=rule["on"],
                outcome=rule["outcome"],
                remaining=int(rule.get("count", 1)),
                scope=rule.get("accountId"),
                params={k: v for k, v in rule.items() if k not in ("on", "outcome", "count")},
            )
            for rule in raw.get("rules", [])
        ]
    )


def _balances(raw: Mapping[str, str]) -> dict[str, Money]:
    return {currency: money(amount, currency) for currency, amount in sorted(raw.items())}


def _offer(country: str, raw: Mapping[str, Any]) -> Offer:
    fees = {
        currency: Fees(money(f["setup"], currency), money(f["monthly"], currency))
        for currency, f in raw["fees"].items()
    }
    return Offer(country, raw["currency"], fees)


def _computed(scenario: Scenario, keyed: Keyed) -> Inventory[StockNumber]:
    """A computed shelf per country and region (seeded_stock.py); listed numbers stored."""
    listed: list[StockNumber] = []
    shelves: list[Shelf] = []
    places: list[tuple[str, str]] = []  # (country, region) by shelf
    for country, rule in sorted(scenario.section("vobiz")["stock"]["countries"].items()):
        path: list[str | int] = ["vobiz", "stock", "countries", country]
        plan = _plan(scenario, path, country, rule)
        for entry in _listed(scenario, path, plan, rule, {n.number for n in listed}):
            item_id = keyed.uuid(country, entry["e164"], "listed")
            listed.append(StockNumber(item_id, country, entry["region"], entry["e164"]))
        for region in rule.get("regions") or sorted(plan.regions):
            ranges = _region_ranges(scenario, path, plan, region)
            try:
                shelf = plan_shelf(
                    plan.calling_code, ranges, rule["perRegion"], keyed, f"{country}:{region}"
                )
            except ValueError as error:
                raise scenario.error([*path, "perRegion"], f"{region}: {error}") from None
            shelves.append(shelf)
            places.append((country, region))

    def make(shelf: int, item_id: str, number: str) -> StockNumber:
        country, region = places[shelf]
        return StockNumber(item_id, country, region, number)

    views = [
        (country, region, shelf) for (country, region), shelf in zip(places, shelves, strict=True)
    ]
    catalog = Catalog(shelves, Ids(keyed), make)
    return Inventory(listed, bucket=_region, computed=catalog, shelves=views)


def _plan(
    scenario: Scenario, path: list[str | int], country: str, rule: Mapping[str, Any]
) -> CountryPlan:
    plan = numbering_plans().get(country)
    if plan is None:
        raise scenario.error(path, f"no numbering plan for {country}")
    if rule["currency"] not in rule["fees"]:
        raise scenario.error([*path, "fees"], f"no fees in {rule['currency']}, the shown currency")
    return plan


def _listed(
    scenario: Scenario,
    path: list[str | int],
    plan: CountryPlan,
    rule: Mapping[str, Any],
    taken: set[str],
) -> list[Mapping[str, str]]:
    """The numbers the scenario lists for a country, checked."""
    entries = rule.get("numbers", [])
    for index, entry in enumerate(entries):
        where = [*path, "numbers", index]
        number = entry["e164"]
        if not number.startswith(f"+{plan.calling_code}"):
            raise scenario.error(where, f"{number} is not a {plan.code} number")
        if entry["region"] not in plan.regions:
            raise scenario.error(where, f"{plan.code} has no region {entry['region']}")
        if number in taken:
            raise scenario.error(where, f"{number} is listed twice")
        taken.add(number)
    return list(entries)


def _region_ranges(
    scenario: Scenario, path: list[str | int], plan: CountryPlan, region: str
) -> list[NumberRange]:
    # WhatsApp numbers are mobile or geographic numbers of the region, never toll-free.
    ranges = [r for r in plan.ranges if r.region == region and r.type != "toll-free"]
    if not ranges:
        raise scenario.error([*path, "regions"], f"{plan.code} has no numbers in region {region}")
    return ranges


def _stock(scenario: Scenario, rng: Rng) -> list[StockNumber]:
    """The stock numbers-mock 0.1 drew: each country's numbers from its own seeded Faker
    stream (see bird/seed.py)."""
    numbers: list[StockNumber] = []
    taken: set[str] = set()
    for country, rule in sorted(scenario.section("vobiz")["stock"]["countries"].items()):
        path: list[str | int] = ["vobiz", "stock", "countries", country]
        plan = _plan(scenario, path, country, rule)
        fake = rng.faker(f"vobiz.stock.{country}")
        for entry in _listed(scenario, path, plan, rule, taken):
            # Ids from their own stream: listing numbers never moves the generated stock's.
            item_id = rng.stream(f"vobiz.stock.{country}.listed").uuid()
            numbers.append(StockNumber(item_id, country, entry["region"], entry["e164"]))
        for region in rule.get("regions") or sorted(plan.regions):
            ranges = _region_ranges(scenario, path, plan, region)
            for _ in range(rule["perRegion"]):
                for _attempt in range(1000):
                    number_range = fake.element(ranges)
                    number = plan.e164(number_range.draw(fake))
                    if number not in taken:
                        break
                else:
                    raise scenario.error(path, f"too few numbers in region {region}")
                taken.add(number)
                numbers.append(StockNumber(fake.uuid(), country, region, number))
    return numbers
