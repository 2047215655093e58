"""Vobiz as the app, the control plane and the state dump see it: the provider contract
(providers/base.py) over VobizBackend, and its one registration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mockserver.clock import Clock
from mockserver.domain.inventory import Inventory
from mockserver.domain.rules import Rules
from mockserver.dumps import stock_generation
from mockserver.providers.base import (
    AdHocCredentials,
    Credential,
    OtpCode,
    Provider,
    Surface,
    TenantDetail,
    TenantSummary,
    TenantWallet,
)
from mockserver.providers.vobiz import auth, errors, snapshot, view
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.handlers import ACCOUNT_HANDLERS, HANDLERS
from mockserver.providers.vobiz.models import SentCode, StockNumber
from mockserver.providers.vobiz.seed import seed_state, seed_stock, seed_world
from mockserver.rng import Rng
from mockserver.scenario import Scenario


class VobizProvider(Provider):
    name = "vobiz"
    rule_scope = "accountId"

    def __init__(self, scenario: Scenario, clock: Clock, rng: Rng) -> None:
        self._scenario = scenario
        self._seed = rng.seed
        self._seeded_at = clock.now()
        config, state = seed_state(scenario, rng, self._seeded_at)
        self.backend = VobizBackend(config, state, clock, rng)
        # The stock by generation (seed.seed_stock): the scenario's, and any a restore used.
        self._stocks = {config.stock_generation: state.inventory}
        self.surfaces = (
            # The account and phone-number API first: the edge serves a path from the first
            # surface whose prefix it starts with, and the WhatsApp API's is all of /api/.
            Surface(
                name="vobiz-account",
                provider=self.name,
                spec_file="vobiz-account.yaml",
                path_prefixes=("/api/v1/account/", "/api/v1/Account/", "/api/v1/auth/"),
                handlers=ACCOUNT_HANDLERS.bind(self.backend),
                authenticate=auth.authenticate_account,
                render_error=errors.render_flat,
                tenant_of=auth.tenant_of,
            ),
            Surface(
                name="vobiz",
                provider=self.name,
                spec_file="vobiz-numbers.yaml",
                path_prefixes=("/api/",),
                handlers=HANDLERS.bind(self.backend),
                authenticate=auth.authenticate,
                render_error=errors.render,
                tenant_of=auth.tenant_of,
            ),
        )

    @property
    def rules(self) -> Rules:
        return self.backend.state.rules

    def settle(self) -> datetime:
        return self.backend.settle()

    def reset(self) -> None:
        # As BirdProvider.reset: the stock put back as seeded, the rest built again.
        generation = self.backend.config.stock_generation
        stock = self._stocks[generation]
        stock.reset_to(())
        self.backend.state = seed_world(
            self._scenario, Rng(self._seed), self._seeded_at, stock, generation
        )

    def reset_tenant(self, tenant: str) -> set[str]:
        return {tenant} if self.backend.reset_account(tenant) else set()

    def credentials(self) -> list[Credential]:
        return auth.credentials(self._scenario.section(self.name))

    def ad_hoc_credentials(self) -> list[AdHocCredentials]:
        return auth.ad_hoc_credentials(self._scenario.section(self.name))

    def wallets(self) -> list[TenantWallet]:
        return [
            TenantWallet(account.auth_id, None, wallet)
            for account in self.backend.state.accounts.values()
            for wallet in account.wallets.values()
        ]

    def otp_codes(self, phone_number: str | None = None) -> list[OtpCode]:
        now = self.settle()
        codes = self.backend.state.sent_codes
        sent = codes.get(phone_number, []) if phone_number is not None else _by_time(codes)
        return [self._otp_code(code, now) for code in reversed(sent)]

    def tenants(self) -> list[TenantSummary]:
        return view.summaries(self.backend.state)

    def describe(self, tenant: str) -> TenantDetail | None:
        now = self.settle()
        account = self.backend.state.accounts.get(tenant)
        if account is None:
            return None
        wallets = [TenantWallet(account.auth_id, None, w) for w in account.wallets.values()]
        return TenantDetail(
            account.auth_id, view.SURFACES, None, wallets, view.sections(account, now)
        )

    def _otp_code(self, sent: SentCode, now: datetime) -> OtpCode:
        verification = sent.verification
        account = self.backend.state.accounts.get(sent.account_id)
        current = account.verifications.get(verification.phone_number) if account else None
        # A newer code for the same number replaces the account's verification: this one
        # can no longer be confirmed.
        status = verification.status(now) if current is verification else "voided"
        return OtpCode(
            tenant=sent.account_id,
            phone_number=verification.phone_number,
            verification_id=verification.id,
            code=verification.code,
            channel=verification.method,
            sent_at=verification.sent_at,
            expires_at=verification.expires_at,
            attempts=verification.attempts,
            status=status,
        )

    def knows(self, tenant: str) -> bool:
        return snapshot.knows(self.backend.state, tenant)

    def dump(self, tenant: str | None = None, *, secrets: bool = False) -> dict[str, Any]:
        return snapshot.dump(self.backend.state, tenant, secrets=secrets)

    def prepare_restore(self, data: Mapping[str, Any], version: int) -> Callable[[], None]:
        stock = self._stock(stock_generation(data, "$.vobiz"))
        restored, out_of_stock = snapshot.restore(data, version, stock)

        def swap() -> None:
            stock.reset_to(out_of_stock)  # only what differs moves
            self.backend.state = restored

        return swap

    def _stock(self, generation: str) -> Inventory[StockNumber]:
        """The scenario's stock as `generation` makes it (built once, for a restore of a
        dump of another generation: numbers-mock 0.1 drew it)."""
        if generation not in self._stocks:
            self._stocks[generation] = seed_stock(self._scenario, Rng(self._seed), generation)
        return self._stocks[generation]


def _by_time(codes: Mapping[str, list[SentCode]]) -> list[SentCode]:
    """Every number's codes, oldest first (sent at the same instant: in the order kept)."""
    every = [code for sent in codes.values() for code in sent]
    return sorted(every, key=lambda code: code.verification.sent_at)


def provider(scenario: Scenario, clock: Clock, rng: Rng) -> VobizProvider:
    return VobizProvider(scenario, clock, rng)
