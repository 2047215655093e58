"""The control plane's use cases, on the app's state (DESIGN.md, decision 8).

Tenants are named as the providers isolate them: a Bird workspace id, a Vobiz auth id.
Every use case checks everything before it changes anything, like the providers'. The
providers are reached through their contract (providers/base.py) only: nothing here
names one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver.clock import MockClock, OutOfRange
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule
from mockserver.domain.wallet import Wallet
from mockserver.errors import Conflict, Invalid, NotFound
from mockserver.faults import Fault
from mockserver.journal import Entry, Query
from mockserver.providers.base import (
    FaultProfile,
    OtpCode,
    Provider,
    TenantDetail,
    TenantSummary,
)

if TYPE_CHECKING:
    from mockserver.state import MockState

# The random streams a full reset leaves where they are (the edge's request ids).
KEPT_STREAMS = frozenset({"request-ids"})
# What the journal's operations say when the mock was started without one.
JOURNAL_OFF = (
    "the journal is off: this mock was started with --journal-size 0 "
    "(MOCKSERVER_JOURNAL_SIZE=0) and records no request"
)


@dataclass(frozen=True, slots=True)
class WalletView:
    provider: str
    tenant: str
    owner: str | None
    wallet: Wallet


@dataclass(frozen=True, slots=True)
class RuleView:
    provider: str
    rule: Rule


class ControlBackend:
    def __init__(self, mock: MockState) -> None:
        self.mock = mock
        self.ids = mock.rng.stream("control.ids")

    def provider(self, name: str) -> Provider:
        for provider in self.mock.providers:
            if provider.name == name:
                return provider
        have = ", ".join(p.name for p in self.mock.providers)
        raise NotFound("Provider", name, f"No provider {name} (this mock has {have})")

    def settle(self) -> datetime:
        """Apply every provider's side effects that fell due; return the clock's now."""
        now = self.mock.clock.now()
        for provider in self.mock.providers:
            now = provider.settle()
        return now

    # --- clock ---------------------------------------------------------------------

    @property
    def clock(self) -> MockClock:
        clock = self.mock.clock
        assert isinstance(clock, MockClock), "the control plane needs a MockClock"
        return clock

    def advance(self, seconds: float) -> MockClock:
        try:
            self.clock.advance(timedelta(seconds=seconds))
        except OutOfRange as error:
            raise _out_of_range(error, "/seconds") from None
        self.settle()
        return self.clock

    def set_time(self, when: datetime) -> MockClock:
        now = self.clock.now()
        if when < now:
            raise Conflict(
                f"The clock only moves forward: {when.isoformat()} is before the mock's now "
                f"({now.isoformat()}); statuses are computed from timestamps",
                code="clock-backwards",
            )
        try:
            self.clock.set(when)
        except OutOfRange as error:
            raise _out_of_range(error, "/now") from None
        self.settle()
        return self.clock

    # --- reset -----------------------------------------------------------------------

    def reset_all(self) -> None:
        """The state as seeded at start (same randomness, so the same calls give the same
        answers again), rules as in the scenario, no faults, an empty journal, and the clock
        where it started. Request ids go on where they were: a reset must not make an id
        in a log stand for two requests."""
        for provider in self.mock.providers:
            provider.reset()
        self.mock.rng.restore(self.mock.initial_rng, keep=KEPT_STREAMS)
        if isinstance(self.mock.clock, MockClock):
            self.mock.clock.restart()
        self.mock.faults.clear()
        self.mock.journal.clear()
        self.mock.webhooks.reset()
        self.mock.inboxes.clear()

    def reset_tenant(self, provider: str, tenant: str) -> None:
        """Reset the one tenant `tenant` names, and drop the faults scoped to it (under any
        name the edge records it by: an access key's workspaces, say)."""
        names = self.provider(provider).reset_tenant(tenant)
        if not names:
            raise _no_tenant(provider, tenant)
        self.mock.webhooks.forget(provider, names | {tenant})
        for fault in self.mock.faults.all():
            if fault.provider in (None, provider) and fault.tenant in names | {tenant}:
                self.mock.faults.remove(fault.id)

    # --- wallets ---------------------------------------------------------------------

    def wallets(self, provider: str | None, tenant: str | None) -> list[WalletView]:
        self.settle()
        return [
            view
            for view in self._all_wallets()
            if provider in (None, view.provider) and tenant in (None, view.tenant)
        ]

    def _all_wallets(self) -> Iterator[WalletView]:
        for provider in self.mock.providers:
            for held in provider.wallets():
                yield WalletView(provider.name, held.tenant, held.owner, held.wallet)

    def set_wallet(self, provider: str, tenant: str, currency: str, balance: str) -> WalletView:
        now = self.settle()
        found = [v for v in self._all_wallets() if (v.provider, v.tenant) == (provider, tenant)]
        if not found:
            raise _no_tenant(provider, tenant)
        held = [v for v in found if v.wallet.currency == currency]
        if not held:
            currencies = ", ".join(sorted({v.wallet.currency for v in found}))
            raise Conflict(
                f"{provider} tenant {tenant} holds no {currency} wallet (it holds {currencies})",
                code="currency-not-held",
            )
        if len(held) > 1:
            raise Conflict(
                f"Several {provider} tenants are named {tenant}; reset or use distinct ids",
                code="ambiguous-tenant",
            )
        view = held[0]
        exponent = view.wallet.balance.exponent
        try:
            amount = Money.parse(balance, currency, exponent)
        except ValueError as error:
            raise Invalid(str(error), {"/balance": [str(error)]}) from None
        view.wallet.adjust_to(amount, at=now, reference=f"control:{self.ids.hex(8)}")
        return view

    # --- rules -----------------------------------------------------------------------

    def rules(self) -> list[RuleView]:
        return [RuleView(p.name, rule) for p in self.mock.providers for rule in p.rules]

    def add_rule(self, body: Mapping[str, Any]) -> RuleView:
        provider = self.provider(body["provider"])
        scope_field = provider.rule_scope
        rule = Rule(
            id=self.ids.uuid(),
            on=body["on"],
            outcome=body["outcome"],
            remaining=int(body.get("count", 1)),
            scope=body.get(scope_field),
            params={
                k: v
                for k, v in body.items()
                if k not in ("provider", "on", "outcome", "count", scope_field)
            },
        )
        provider.rules.add(rule)
        return RuleView(provider.name, rule)

    def delete_rule(self, rule_id: str) -> None:
        if not any(p.rules.remove(rule_id) for p in self.mock.providers):
            raise NotFound("Rule", rule_id, f"No rule {rule_id}")

    def clear_rules(self) -> None:
        for provider in self.mock.providers:
            provider.rules.clear()

    # --- OTP oracle ------------------------------------------------------------------

    def otp_codes(
        self, phone_number: str | None, limit: int | None = None
    ) -> list[tuple[str, OtpCode]]:
        """Every provider's codes sent to the number (None: to any), newest first, with the
        provider; the newest `limit` of them."""
        self.settle()
        found = [(p.name, code) for p in self.mock.providers for code in p.otp_codes(phone_number)]
        return sorted(found, key=lambda pair: pair[1].sent_at, reverse=True)[:limit]

    # --- tenants ---------------------------------------------------------------------

    def tenants(self, provider: str | None) -> list[tuple[str, TenantSummary]]:
        """Every tenant of every provider (or of one), with the provider's name."""
        self.settle()
        chosen = [self.provider(provider)] if provider is not None else self.mock.providers
        return [(p.name, summary) for p in chosen for summary in p.tenants()]

    def tenant(self, provider: str, tenant: str) -> TenantDetail:
        """What `tenant` stands for, as a reset names it; 404 when nothing."""
        self.settle()
        found = self.provider(provider).describe(tenant)
        if found is None:
            raise _no_tenant(provider, tenant)
        return found

    # --- faults ----------------------------------------------------------------------

    def add_faults(self, body: Mapping[str, Any]) -> list[Fault]:
        profile = body.get("profile")
        effects = ("latencyMs", "status", "rateLimit", "delivery")
        if profile is None and not any(key in body for key in effects):
            raise Invalid(
                "A fault needs a profile or an effect: latencyMs, status, rateLimit or delivery",
                {
                    "/": [
                        "give `profile`, or at least one of latencyMs, status, rateLimit, delivery"
                    ]
                },
            )
        check_delivery_fault(body)
        latency = body.get("latencyMs")
        if latency is not None and latency.get("max", latency["min"]) < latency["min"]:
            raise Invalid("latencyMs.max is below latencyMs.min", {"/latencyMs/max": ["< min"]})
        specs = (
            [{**body, **extra} for extra in self.profiles()[profile]] if profile else [dict(body)]
        )
        faults = [self._fault(spec) for spec in specs]
        for fault in faults:
            self.mock.faults.add(fault)
        return faults

    def profiles(self) -> dict[str, FaultProfile]:
        """Every provider's named fault profiles."""
        return {
            name: p
            for provider in self.mock.providers
            for name, p in provider.fault_profiles.items()
        }

    def _fault(self, spec: Mapping[str, Any]) -> Fault:
        latency = spec.get("latencyMs")
        rate = spec.get("rateLimit")
        return Fault(
            id=self.ids.uuid(),
            provider=spec.get("provider"),
            operation_id=spec.get("operationId"),
            path=spec.get("path"),
            method=spec.get("method"),
            tenant=spec.get("tenant"),
            latency_ms=None
            if latency is None
            else (int(latency["min"]), int(latency.get("max", latency["min"]))),
            status=spec.get("status"),
            code=spec.get("code"),
            message=spec.get("message"),
            rate_limit=None
            if rate is None
            else (int(rate["limit"]), float(rate.get("perSeconds", 1))),
            probability=spec.get("probability"),
            seed=spec.get("seed"),
            delivery=spec.get("delivery"),
            delay_seconds=spec.get("delaySeconds", 60 if spec.get("delivery") == "delay" else None),
            event=spec.get("event"),
            subscription=spec.get("subscription"),
        )

    def delete_fault(self, fault_id: str) -> None:
        if not self.mock.faults.remove(fault_id):
            raise NotFound("Fault", fault_id, f"No fault {fault_id}")

    # --- journal ---------------------------------------------------------------------

    def journal(self, query: Query, limit: int) -> list[Entry]:
        """The newest entries matching `query`; a `tenant` names exactly one tenant of each
        provider (asked of the provider: a Bird workspace id two tenants use is refused)."""
        if query.tenant is not None:
            chosen = [p for p in self.mock.providers if query.provider in (None, p.name)]
            filters = {p.name: p.journal_filter(query.tenant) for p in chosen}
            query = replace(query, tenant_filters=filters)
        return self.mock.journal.newest_first(query, limit)

    def journal_entry(self, request_id: str) -> Entry:
        found = self.mock.journal.newest_first(Query(request_id=request_id), 1)
        if not self.mock.journal.enabled:
            raise NotFound(
                "Journal entry", request_id, f"No journal entry {request_id}: {JOURNAL_OFF}"
            )
        if not found:
            raise NotFound(
                "Journal entry",
                request_id,
                f"No journal entry {request_id} (the journal keeps the last "
                f"{self.mock.journal.capacity} provider requests)",
            )
        return found[0]


def check_delivery_fault(body: Mapping[str, Any]) -> None:
    """A delivery fault (`delivery`) acts on webhook deliveries only; its matchers are
    provider, tenant, event and subscription."""
    if "delivery" not in body:
        stray = [k for k in ("event", "subscription", "delaySeconds") if k in body]
        if stray:
            raise Invalid(
                f"{', '.join(stray)} narrow a delivery fault: give `delivery` too",
                {f"/{k}": ["needs delivery"] for k in stray},
            )
        return
    request_only = [
        k for k in ("latencyMs", "status", "rateLimit", "operationId", "path", "method", "profile")
        if k in body
    ]  # fmt: skip
    if request_only:
        raise Invalid(
            "A delivery fault acts on webhook deliveries, not requests: "
            f"drop {', '.join(request_only)}",
            {f"/{k}": ["not with delivery"] for k in request_only},
        )
    if "delaySeconds" in body and body["delivery"] != "delay":
        raise Invalid("delaySeconds is for delivery delay", {"/delaySeconds": ["only for delay"]})


def _out_of_range(error: OutOfRange, field: str) -> Invalid:
    return Invalid(str(error), {field: [str(error)]})


def _no_tenant(provider: str, tenant: str) -> NotFound:
    return NotFound(
        "Tenant", tenant, f"No {provider} tenant {tenant} (it may not have been used yet)"
    )
