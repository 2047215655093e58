"""The control plane's use cases, on the app's state (DESIGN.md, decision 8).

Tenants are named as the providers isolate them: a Bird workspace id, a Vobiz auth id.
Every use case checks everything before it changes anything, like the providers'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mockserver import snapshot
from mockserver.clock import MockClock
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.wallet import Wallet
from mockserver.errors import Conflict, Invalid, NotFound
from mockserver.faults import PROFILES, Fault
from mockserver.journal import Entry, Query
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.models import SentCode

if TYPE_CHECKING:
    from mockserver.state import MockState

# The field that scopes a rule to one tenant, per provider (as in scenario files).
RULE_SCOPE = {"bird": "workspaceId", "vobiz": "accountId"}


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

    @property
    def bird(self) -> BirdBackend:
        backend = self._backend("bird")
        assert isinstance(backend, BirdBackend)
        return backend

    @property
    def vobiz(self) -> VobizBackend:
        backend = self._backend("vobiz")
        assert isinstance(backend, VobizBackend)
        return backend

    def _backend(self, name: str) -> object:
        for provider in self.mock.providers:
            if provider.name == name:
                return provider.backend
        raise LookupError(name)

    def now(self) -> datetime:
        """The clock's now, with every provider's due side effects applied."""
        self.bird.now()
        return self.vobiz.now()

    # --- clock ---------------------------------------------------------------------

    @property
    def clock(self) -> MockClock:
        clock = self.mock.clock
        assert isinstance(clock, MockClock), "the control plane needs a MockClock"
        return clock

    def advance(self, seconds: float) -> MockClock:
        self.clock.advance(timedelta(seconds=seconds))
        self.now()
        return self.clock

    def set_time(self, when: datetime) -> MockClock:
        now = self.clock.now()
        if when < now:
            raise Conflict(
                f"The clock only moves forward: {when.isoformat()} is before the mock's now "
                f"({now.isoformat()}); statuses are computed from timestamps",
                code="clock-backwards",
            )
        self.clock.set(when)
        self.now()
        return self.clock

    # --- reset -----------------------------------------------------------------------

    def reset_all(self) -> None:
        """The state as seeded at start (same randomness, so the same calls give the same
        answers again), rules as in the scenario, no faults, an empty journal; the clock
        keeps its time."""
        now = self.mock.clock.now()
        snapshot.restore(self.mock, self.mock.initial)
        if isinstance(self.mock.clock, MockClock):
            self.mock.clock.reset_to(now)
        self.mock.faults.clear()
        self.mock.journal.clear()

    def reset_tenant(self, provider: str, tenant: str) -> None:
        if provider == "bird":
            found = self.bird.reset_workspace(tenant) > 0
        else:
            found = self.vobiz.reset_account(tenant)
        if not found:
            raise _no_tenant(provider, tenant)
        for fault in self.mock.faults.all():
            if fault.provider in (None, provider) and fault.tenant == tenant:
                self.mock.faults.remove(fault.id)

    # --- wallets ---------------------------------------------------------------------

    def wallets(self, provider: str | None, tenant: str | None) -> list[WalletView]:
        self.now()
        return [
            view
            for view in self._all_wallets()
            if provider in (None, view.provider) and tenant in (None, view.tenant)
        ]

    def _all_wallets(self) -> Iterator[WalletView]:
        for tenant in self.bird.state.unique_tenants():
            for workspace in tenant.workspaces.values():
                yield WalletView("bird", workspace.id, tenant.name, workspace.wallet)
        for account in self.vobiz.state.accounts.values():
            for wallet in account.wallets.values():
                yield WalletView("vobiz", account.auth_id, None, wallet)

    def set_wallet(self, provider: str, tenant: str, currency: str, balance: str) -> WalletView:
        now = self.now()
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
                f"Several Bird tenants have a workspace {tenant}; reset or use distinct ids",
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

    def _rules(self, provider: str) -> Rules:
        backend = self.bird if provider == "bird" else self.vobiz
        rules: Rules = backend.state.rules
        return rules

    def rules(self) -> list[RuleView]:
        return [RuleView(p, rule) for p in ("bird", "vobiz") for rule in self._rules(p)]

    def add_rule(self, body: Mapping[str, Any]) -> RuleView:
        provider = body["provider"]
        scope_field = RULE_SCOPE[provider]
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
        self._rules(provider).add(rule)
        return RuleView(provider, rule)

    def delete_rule(self, rule_id: str) -> None:
        if not any(self._rules(p).remove(rule_id) for p in ("bird", "vobiz")):
            raise NotFound("Rule", rule_id, f"No rule {rule_id}")

    def clear_rules(self) -> None:
        for provider in ("bird", "vobiz"):
            self._rules(provider).clear()

    # --- OTP oracle ------------------------------------------------------------------

    def sent_codes(self, phone_number: str) -> list[SentCode]:
        self.now()
        return list(reversed(self.vobiz.state.sent_codes.get(phone_number, [])))

    def code_status(self, sent: SentCode) -> str:
        account = self.vobiz.state.accounts.get(sent.account_id)
        current = account.verifications.get(sent.verification.phone_number) if account else None
        if current is not sent.verification:
            return "voided"
        return sent.verification.status(self.mock.clock.now())

    # --- faults ----------------------------------------------------------------------

    def add_faults(self, body: Mapping[str, Any]) -> list[Fault]:
        profile = body.get("profile")
        effects = ("latencyMs", "status", "rateLimit")
        if profile is None and not any(key in body for key in effects):
            raise Invalid(
                "A fault needs a profile or an effect: latencyMs, status or rateLimit",
                {"/": ["give `profile`, or at least one of latencyMs, status, rateLimit"]},
            )
        latency = body.get("latencyMs")
        if latency is not None and latency.get("max", latency["min"]) < latency["min"]:
            raise Invalid("latencyMs.max is below latencyMs.min", {"/latencyMs/max": ["< min"]})
        specs = [{**body, **extra} for extra in PROFILES[profile]] if profile else [dict(body)]
        faults = [self._fault(spec) for spec in specs]
        for fault in faults:
            self.mock.faults.add(fault)
        return faults

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
        )

    def delete_fault(self, fault_id: str) -> None:
        if not self.mock.faults.remove(fault_id):
            raise NotFound("Fault", fault_id, f"No fault {fault_id}")

    # --- journal ---------------------------------------------------------------------

    def journal(self, query: Query, limit: int) -> list[Entry]:
        return self.mock.journal.newest_first(query, limit)


def _no_tenant(provider: str, tenant: str) -> NotFound:
    return NotFound(
        "Tenant", tenant, f"No {provider} tenant {tenant} (it may not have been used yet)"
    )
