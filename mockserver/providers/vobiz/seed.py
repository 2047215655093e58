"""Vobiz's starting state from a scenario: accounts with balances per currency, and
WhatsApp-capable numbers per country and region drawn from real numbering plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.wallet import Wallet
from mockserver.numbering import numbering_plans
from mockserver.providers.vobiz.models import Account, StockNumber, VobizState
from mockserver.rng import RandomStream, Rng
from mockserver.scenario import Scenario

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
class VobizConfig:
    ad_hoc_accounts: bool
    ad_hoc_balances: Mapping[str, Money]
    offers: Mapping[str, Offer]
    # None of these is documented (docs/fidelity.md); the OTP TTL follows the docs' example.
    order_completes_after: timedelta = timedelta(seconds=30)
    otp_ttl: timedelta = timedelta(minutes=10)
    otp_resend_cooldown: timedelta = timedelta(seconds=30)
    otp_max_attempts: int = 5
    otp_lock: timedelta = timedelta(hours=1)
    otp_length: int = 6
    provider_name: str = "meta_direct"


def money(amount: str, currency: str) -> Money:
    return Money.parse(amount, currency, EXPONENT)


def seed_state(scenario: Scenario, rng: Rng, now: datetime) -> tuple[VobizConfig, VobizState]:
    """The scenario's stock (the costly part, built once) and its world on it."""
    config = read_config(scenario)
    stock = Inventory(_stock(scenario, rng), bucket=lambda number: number.region)
    return config, seed_world(scenario, rng, now, stock)


def read_config(scenario: Scenario) -> VobizConfig:
    raw = scenario.section("vobiz")
    orders, otp = raw.get("orders", {}), raw.get("otp", {})
    return VobizConfig(
        ad_hoc_accounts=raw["adHocAccounts"]["enabled"],
        ad_hoc_balances=_balances(raw["adHocAccounts"]["balances"]),
        offers={c: _offer(c, o) for c, o in raw["stock"]["countries"].items()},
        order_completes_after=timedelta(seconds=orders.get("completedAfterSeconds", 30)),
        otp_ttl=timedelta(seconds=otp.get("ttlSeconds", 600)),
        otp_resend_cooldown=timedelta(seconds=otp.get("resendCooldownSeconds", 30)),
        otp_max_attempts=int(otp.get("maxAttempts", 5)),
        otp_lock=timedelta(seconds=otp.get("lockSeconds", 3600)),
        otp_length=int(otp.get("codeLength", 6)),
    )


def seed_world(
    scenario: Scenario, rng: Rng, now: datetime, stock: Inventory[StockNumber]
) -> VobizState:
    """Everything but the stock as the scenario starts it: accounts, balances, credentials,
    rules (a reset builds it again on the stock, put back as seeded)."""
    raw = scenario.section("vobiz")
    stream = rng.stream("vobiz.seed")
    state = VobizState(
        inventory=stock,
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


def _stock(scenario: Scenario, rng: Rng) -> list[StockNumber]:
    """Each country's numbers come from its own seeded Faker (see bird/seed.py)."""
    plans = numbering_plans()
    numbers: list[StockNumber] = []
    taken: set[str] = set()
    for country, rule in sorted(scenario.section("vobiz")["stock"]["countries"].items()):
        path: list[str | int] = ["vobiz", "stock", "countries", country]
        plan = plans.get(country)
        if plan is None:
            raise scenario.error(path, f"no numbering plan for {country}")
        fake = rng.faker(f"vobiz.stock.{country}")
        if rule["currency"] not in rule["fees"]:
            raise scenario.error(
                [*path, "fees"], f"no fees in {rule['currency']}, the shown currency"
            )
        for region in rule.get("regions") or sorted(plan.regions):
            # WhatsApp numbers are mobile or geographic numbers of the region, never toll-free.
            ranges = [r for r in plan.ranges if r.region == region and r.type != "toll-free"]
            if not ranges:
                raise scenario.error(
                    [*path, "regions"], f"{country} has no numbers in region {region}"
                )
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
