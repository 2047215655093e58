"""Bird as the app, the control plane and the state dump see it: the provider contract
(providers/base.py) over BirdBackend, and its one registration.

Bird serves two surfaces over one world (DESIGN.md, decision 11): api.bird.com's Numbers
API (`/organizations/...`, `/workspaces/...`) and the platform API the official SDK calls
(`/v1/...`, platform/). Their available numbers are one stock; a tenant of either is reset,
dumped and shown in the control plane through this one provider, named `bird`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mockserver.clock import Clock
from mockserver.domain.inventory import Inventory
from mockserver.domain.rules import Rules
from mockserver.dumps import stock_generation
from mockserver.errors import Invalid
from mockserver.providers.base import (
    AdHocCredentials,
    Credential,
    FaultProfile,
    Provider,
    Section,
    Surface,
    TenantDetail,
    TenantSummary,
    TenantWallet,
)
from mockserver.providers.bird import auth, errors, snapshot, view
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.bird.handlers import HANDLERS
from mockserver.providers.bird.models import BirdState, StockItem
from mockserver.providers.bird.platform import (
    auth as platform_auth,
    errors as platform_errors,
    view as platform_view,
)
from mockserver.providers.bird.platform.handlers import HANDLERS as PLATFORM_HANDLERS
from mockserver.providers.bird.seed import seed_state, seed_stock, seed_world
from mockserver.rng import Rng
from mockserver.scenario import Scenario
from mockserver.webhooks.engine import Outbox
from mockserver.webhooks.models import WebhookTarget

# Bird's published default limits per workspace, GET 50/s and POST 500/s, answered with 429
# (https://docs.bird.com/api/channels-api/rate-limit). Bird documents no Retry-After; the
# mock sends one anyway, which clients may ignore (docs/fidelity.md).
FAULT_PROFILES: Mapping[str, FaultProfile] = {
    "bird-documented-rate-limits": [
        {"provider": "bird", "method": "GET", "rateLimit": {"limit": 50, "perSeconds": 1}},
        {"provider": "bird", "method": "POST", "rateLimit": {"limit": 500, "perSeconds": 1}},
    ],
}


class BirdProvider(Provider):
    name = "bird"
    rule_scope = "workspaceId"
    fault_profiles = FAULT_PROFILES

    def __init__(self, scenario: Scenario, clock: Clock, rng: Rng) -> None:
        self._scenario = scenario
        self._seed = rng.seed
        self._seeded_at = clock.now()
        config, state = seed_state(scenario, rng, self._seeded_at)
        self.backend = BirdBackend(config, state, clock, rng)
        # The stock by generation (seed.seed_stock): the scenario's, and any a restore used.
        self._stocks = {config.stock_generation: state.inventory}
        self.surfaces = (
            Surface(
                name="bird",
                provider=self.name,
                spec_file="bird-numbers.yaml",
                path_prefixes=("/organizations/", "/workspaces/"),
                handlers=HANDLERS.bind(self.backend),
                authenticate=auth.authenticate,
                render_error=errors.render,
                tenant_of=auth.tenant_of,
            ),
            Surface(
                name="bird-platform",
                provider=self.name,
                spec_file="bird-platform.yaml",
                path_prefixes=("/v1/",),
                handlers=PLATFORM_HANDLERS.bind(self.backend.platform),
                authenticate=platform_auth.authenticate,
                render_error=platform_errors.render,
                tenant_of=platform_auth.tenant_of,
                # "a query parameter the endpoint does not declare" is refused
                # (bird/_generated.py ErrorDetail.param).
                strict_query=True,
            ),
        )

    @property
    def rules(self) -> Rules:
        return self.backend.state.rules

    def settle(self) -> datetime:
        return self.backend.settle()

    def reset(self) -> None:
        # The stock put back as seeded costs what was taken; the rest is built again, from a
        # throwaway Rng: it must come out as it did at start, whatever the app's own streams
        # have drawn since (the control plane puts those back itself).
        stock = self._stocks[self.backend.config.stock_generation]
        stock.reset_to(())
        world = seed_world(
            self._scenario, self.backend.config, Rng(self._seed), self._seeded_at, stock
        )
        self.backend.state = world

    def reset_tenant(self, tenant: str) -> set[str]:
        """An api.bird.com tenant (by access key, tenant id or workspace id) or a platform
        one (by API key or `ws_` workspace id): a name may stand for one of each."""
        named = self.backend.named(tenant)
        platform = self.backend.platform.named(tenant)
        recorded = self.backend.recorded_names(named) | set(platform)
        self.backend.reset_workspaces(named)
        self.backend.platform.reset(platform)
        return recorded

    def journal_filter(self, tenant: str) -> Callable[[str | None, object], bool]:
        """Requests of the one tenant `tenant` names: an access key's are every request its
        tenant made (with whichever of its credentials), a workspace id's those its owner
        made in that workspace, not another tenant's workspace of the same id."""
        named = self.backend.named(tenant)
        platform = set(self.backend.platform.named(tenant))
        owners = {ref.tenant for ref in named}
        whole = tenant not in {ref.workspace for ref in named}
        if not named and not platform:  # a forgotten tenant: its key, or the name it used
            return lambda name, principal: name == tenant or self.backend.made_by(principal, tenant)

        def match(name: str | None, principal: object) -> bool:
            if name in platform:
                return True
            mine = self.backend.owner_of(principal) in owners
            return mine and (whole or name == tenant)

        return match

    def credentials(self) -> list[Credential]:
        section = self._scenario.section(self.name)
        return auth.credentials(section) + platform_auth.credentials(section)

    def ad_hoc_credentials(self) -> list[AdHocCredentials]:
        section = self._scenario.section(self.name)
        return auth.ad_hoc_credentials(section) + platform_auth.ad_hoc_credentials(section)

    def wallets(self) -> list[TenantWallet]:
        return [
            TenantWallet(workspace.id, tenant.name, workspace.wallet)
            for tenant in self.backend.state.tenants.values()
            for workspace in tenant.workspaces.values()
        ] + [
            TenantWallet(tenant.id, tenant.label, tenant.wallet)
            for tenant in self.backend.state.platform.tenants.values()
        ]

    def tenants(self) -> list[TenantSummary]:
        state = self.backend.state
        return view.summaries(state) + platform_view.summaries(state.platform)

    def describe(self, tenant: str) -> TenantDetail | None:
        """An api.bird.com name (an access key or tenant id: all its workspaces; a
        workspace id: that one) or a platform one (an API key or `ws_` id), as a reset
        names them; a workspace id two tenants use is refused (409 ambiguous-tenant)."""
        now = self.settle()
        state = self.backend.state
        refs = self.backend.named(tenant)
        platform = [state.platform.tenants[t] for t in self.backend.platform.named(tenant)]
        if not refs and not platform:
            return None
        wallets: list[TenantWallet] = []
        sections: list[Section] = []
        surfaces: list[str] = []
        owners: list[str] = []
        if refs:
            held = [(ref, state.workspace_at(ref)) for ref in refs]
            wallets += [
                TenantWallet(ref.workspace, state.tenants[ref.tenant].name, ws.wallet)
                for ref, ws in held
                if ws is not None
            ]
            sections += view.sections(state, refs, now)
            surfaces += view.SURFACES
            owners.append(state.tenants[refs[0].tenant].name)
        for found in platform:
            wallets.append(TenantWallet(found.id, found.label, found.wallet))
            sections += platform_view.sections(found, now)
            surfaces += platform_view.SURFACES
            owners.append(found.label)
        return TenantDetail(tenant, tuple(dict.fromkeys(surfaces)), owners[0], wallets, sections)

    def knows(self, tenant: str) -> bool:
        return bool(self.backend.named(tenant) or self.backend.platform.named(tenant))

    def dump(self, tenant: str | None = None, *, secrets: bool = False) -> dict[str, Any]:
        state = self.backend.state
        if tenant is None:
            return snapshot.dump(state, secrets=secrets)
        owners = dict.fromkeys(ref.tenant for ref in self.backend.named(tenant))
        return snapshot.dump(
            state,
            [state.tenants[t] for t in owners],
            platform=self.backend.platform.named(tenant),
            secrets=secrets,
        )

    def prepare_restore(self, data: Mapping[str, Any], version: int) -> Callable[[], None]:
        stock = self._stock(stock_generation(data, "$.bird"))
        restored, out_of_stock = snapshot.restore(data, version, stock)

        def swap() -> None:
            # The backend keeps no other reference into its state: its use cases read
            # `backend.state` each time. The stock is shared: only what differs moves.
            stock.reset_to(out_of_stock)
            self.backend.state = restored
            if _subscribes(restored):
                self.backend.outbox.watch()

        return swap

    def _stock(self, generation: str) -> Inventory[StockItem]:
        """The scenario's stock as `generation` makes it: built once, when a dump of
        another generation than the scenario's is restored (numbers-mock 0.1 drew it)."""
        if generation not in self._stocks:
            rng = Rng(self._seed)
            self._stocks[generation] = seed_stock(
                self._scenario, self.backend.config, rng, generation
            )
        return self._stocks[generation]

    # --- webhooks ------------------------------------------------------------------------

    def bind_webhooks(self, outbox: Outbox) -> None:
        self.backend.outbox = outbox

    def webhook_target(self, route: str) -> WebhookTarget | None:
        """An api.bird.com subscription's (`api...`) or a platform endpoint's (`platform...`)."""
        return self.backend.webhooks.target(route) or self.backend.platform.webhooks.target(route)

    def emit_event(self, tenant: str, event_type: str, data: Any) -> list[str] | None:
        """An event of the platform's catalog for a platform tenant (an API key or its `ws_`
        id). api.bird.com's numbers event is never asked for: it follows the numbers."""
        self.backend.settle()
        found = self.backend.platform.named(tenant)
        if found:
            platform_tenant = self.backend.state.platform.tenants[found[0]]
            return self.backend.platform.webhooks.emit(platform_tenant, event_type, data)
        if self.backend.named(tenant):
            raise Invalid(
                "api.bird.com's numbers event follows the numbers' state (buy one, move the "
                "clock); events are emitted on request for the platform API's tenants only",
                {"/tenant": ["an api.bird.com tenant: name a platform API key or ws_ id"]},
            )
        return None


def provider(scenario: Scenario, clock: Clock, rng: Rng) -> BirdProvider:
    return BirdProvider(scenario, clock, rng)


def _subscribes(state: BirdState) -> bool:
    """Whether any tenant of either API has a webhook subscription."""
    return any(
        workspace.webhook_subscriptions
        for tenant in state.tenants.values()
        for workspace in tenant.workspaces.values()
    ) or any(tenant.webhooks for tenant in state.platform.tenants.values())
