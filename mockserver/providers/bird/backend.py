"""Bird's backend: the tenants, the clock with its due side effects, and the use cases
by resource (stock.py: search, reserve, buy; numbers.py: a workspace's numbers and alpha
senders; subscriptions.py: endpoint subscriptions and destinations; webhooks.py: webhook
subscriptions and the numbers event, handed to the delivery engine through `outbox`).

Handlers run one at a time on the event loop, so a use case is never interleaved with
another; each starts with `settle()`, which applies every side effect that fell due and
returns the clock's now.
"""

from __future__ import annotations

import copy
from datetime import datetime

from mockserver.clock import Clock
from mockserver.domain.pagination import PageTokens
from mockserver.domain.wallet import Wallet
from mockserver.errors import Conflict, NotFound, Unauthenticated
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.models import (
    BirdState,
    Due,
    Tenant,
    Workspace,
    WorkspaceRef,
    ad_hoc_tenant_id,
)
from mockserver.providers.bird.numbers import Numbers
from mockserver.providers.bird.platform.backend import PlatformBackend
from mockserver.providers.bird.platform.seed import PlatformConfig
from mockserver.providers.bird.seed import BirdConfig
from mockserver.providers.bird.stock import Stock
from mockserver.providers.bird.subscriptions import Subscriptions
from mockserver.providers.bird.webhooks import WebhookSubscriptions
from mockserver.rng import Rng
from mockserver.webhooks.engine import NULL_OUTBOX, Outbox


class BirdBackend:
    def __init__(self, config: BirdConfig, state: BirdState, clock: Clock, rng: Rng) -> None:
        self.config = config
        self.state = state
        self.clock = clock
        self.ids = rng.stream("bird.ids")
        # Ids of webhook events and deliveries: a stream of their own, so that subscribing
        # never changes the ids of numbers bought after.
        self.event_ids = rng.stream("bird.webhook-ids")
        self.tokens = PageTokens(rng.secret("bird.page-tokens"))
        # The use cases, by resource (stock.py, numbers.py, subscriptions.py).
        self.stock = Stock(self)
        self.numbers = Numbers(self)
        self.subscriptions = Subscriptions(self)
        self.webhooks = WebhookSubscriptions(self)
        # The delivery engine (provider.bind_webhooks); events go nowhere until it is bound.
        self.outbox: Outbox = NULL_OUTBOX
        # The platform API's backend: its own use cases, over this backend's state.
        self.platform = PlatformBackend(self, config.platform or default_config(config), rng)
        # The scenario's workspaces as seeded, for resetting one of them.
        self._pristine = {
            workspace.ref: copy.deepcopy(workspace)
            for tenant in state.tenants.values()
            for workspace in tenant.workspaces.values()
        }

    def settle(self) -> datetime:
        """Apply every side effect that fell due by the clock's now, in due order; return now."""
        now = self.clock.now()
        for at, due in self.state.schedule.due(now):
            _EFFECTS[due.kind](self, at, due)
        self.platform.settle_due(now)
        return now

    def _order_ended(self, at: datetime, due: Due) -> None:
        """A rejected or cancelled order: the charge is refunded, the item back in stock."""
        workspace = self.state.workspace_at(due.holder)
        number = None if workspace is None else workspace.numbers.get(due.subject_id)
        if workspace is None or number is None or number.ended is None or number.ended.at != at:
            return  # ended otherwise meanwhile (e.g. cancelled before a rejection fell due)
        workspace.wallet.credit(
            number.subscription.price,
            at=at,
            reference=number.id,
            description=f"Refund: order for {number.item.number} {number.ended.status}",
        )
        self.state.inventory.give_back(number.item.id)

    def _deprovisioned(self, at: datetime, due: Due) -> None:
        """The number leaves the workspace and returns to stock (its last event first)."""
        workspace = self.state.workspace_at(due.holder)
        number = None if workspace is None else workspace.numbers.get(due.subject_id)
        if workspace is not None and number is not None:
            self.webhooks.notify(workspace, number, at)
            del workspace.numbers[number.id]
            self.state.inventory.give_back(number.item.id)

    def _notify(self, at: datetime, due: Due) -> None:
        """A number's status changed at `at` (webhooks.py)."""
        workspace = self.state.workspace_at(due.holder)
        number = None if workspace is None else workspace.numbers.get(due.subject_id)
        if workspace is not None and number is not None and number.notify_at == at:
            self.webhooks.look_again(workspace, number, at)

    def _reservation_lapsed(self, at: datetime, due: Due) -> None:
        held = self.state.reservations.get(due.subject_id)
        if held is not None and held.holder == due.holder and not held.holds(at):
            del self.state.reservations[due.subject_id]

    def named(self, name: str) -> list[WorkspaceRef]:
        """The workspaces one name stands for, as the control plane names Bird tenants:
        a credential (without its scheme) or a tenant's id or name stands for all of that
        tenant's workspaces; a workspace id for that workspace, if one tenant alone has it
        (ad-hoc tenants may pick the same ids: then the name is ambiguous, a 409 that says
        how to name one). Empty when nothing has that name."""
        tenant = self._tenant_named(name)
        if tenant is not None:
            return [ws.ref for ws in tenant.workspaces.values()]
        refs = [t.workspaces[name].ref for t in self.state.tenants.values() if name in t.workspaces]
        if len(refs) > 1:
            raise Conflict(
                f"Several Bird tenants have a workspace {name}: name one by its access key, "
                f"or by its tenant id ({', '.join(ref.tenant for ref in refs)})",
                {"tenants": [ref.tenant for ref in refs]},
                code="ambiguous-tenant",
            )
        return refs

    def _tenant_named(self, name: str) -> Tenant | None:
        for credential, tenant_id in self.state.credentials.items():
            if credential.partition(" ")[2] == name:
                return self.state.tenants[tenant_id]
        tenant = self.state.tenants.get(name)
        if tenant is not None:
            return tenant
        by_name = [t for t in self.state.tenants.values() if t.name == name]
        return by_name[0] if len(by_name) == 1 else None

    def recorded_names(self, refs: list[WorkspaceRef]) -> set[str]:
        """What the edge records these workspaces' requests under (auth.tenant_of): their
        ids, and their tenants' organization ids (stock search)."""
        names = {ref.workspace for ref in refs}
        for tenant_id in {ref.tenant for ref in refs}:
            tenant = self.state.tenants.get(tenant_id)
            names |= tenant.organization_ids if tenant is not None else set()
        return names

    def owner_of(self, principal: object) -> str | None:
        """The id of the api.bird.com tenant a principal speaks for (None: another API's)."""
        if not isinstance(principal, BirdPrincipal):
            return None
        return self.state.credentials.get(principal.key) or ad_hoc_tenant_id(principal.key)

    def made_by(self, principal: object, credential: str) -> bool:
        """Whether a request was made with this credential (a forgotten tenant's key)."""
        return isinstance(principal, BirdPrincipal) and principal.credential == credential

    def reset_workspaces(self, refs: list[WorkspaceRef]) -> None:
        """Back to the scenario as loaded for these workspaces; a workspace an ad-hoc tenant
        opened is forgotten (and the tenant with its last one). Their numbers return to
        stock, their reservations end, their pending effects and rules are dropped. Other
        workspaces are untouched."""
        now = self.settle()
        for ref in refs:
            tenant = self.state.tenants.get(ref.tenant)
            workspace = None if tenant is None else tenant.workspaces.get(ref.workspace)
            if tenant is None or workspace is None:
                continue
            self._release(workspace, now)
            pristine = self._pristine.get(ref)
            if tenant.ad_hoc or pristine is None:
                del tenant.workspaces[ref.workspace]
                if tenant.ad_hoc and not tenant.workspaces:
                    self._forget(tenant)
            else:
                tenant.workspaces[ref.workspace] = copy.deepcopy(pristine)
            self.state.rules.drop_scope(ref.workspace)

    def _release(self, workspace: Workspace, now: datetime) -> None:
        for number in workspace.numbers.values():
            if number.ended is None or number.ended.at > now:  # else refunded and restocked
                self.state.inventory.give_back(number.item.id)
        ref = workspace.ref
        for item_id, held in list(self.state.reservations.items()):
            if held.holder == ref:
                del self.state.reservations[item_id]
        self.state.schedule.discard(lambda due: due.holder == ref)

    def tenant(self, principal: BirdPrincipal) -> Tenant:
        """The credential's tenant. An unknown credential gets an ad-hoc tenant that is only
        kept once it opens a workspace (the first state it owns), and forgotten when a reset
        takes its last one: a long-lived sidecar serving a fresh credential per test keeps
        nothing for tests that only searched or that were reset."""
        tenant_id = self.state.credentials.get(principal.key)
        if tenant_id is not None:
            return self.state.tenants[tenant_id]
        if not self.config.ad_hoc_tenants:
            raise Unauthenticated("The credential is not accepted by this scenario")
        return Tenant(
            id=ad_hoc_tenant_id(principal.key),
            name=f"ad-hoc:{principal.scheme}:{principal.credential[:12]}",
            ad_hoc=True,
        )

    def workspace(self, principal: BirdPrincipal, workspace_id: str) -> Workspace:
        tenant = self.tenant(principal)
        workspace = tenant.workspaces.get(workspace_id)
        if workspace is not None:
            return workspace
        if not tenant.ad_hoc:
            raise NotFound("Workspace", workspace_id, f"Workspace {workspace_id} not found")
        workspace = Workspace(workspace_id, tenant.id, None, Wallet(self.config.ad_hoc_wallet))
        tenant.workspaces[workspace_id] = workspace
        self.state.tenants.setdefault(tenant.id, tenant)
        self.state.credentials.setdefault(principal.key, tenant.id)
        return workspace

    def _forget(self, tenant: Tenant) -> None:
        del self.state.tenants[tenant.id]
        for credential, owner in list(self.state.credentials.items()):
            if owner == tenant.id:
                del self.state.credentials[credential]

    def organization(self, principal: BirdPrincipal, organization_id: str) -> Tenant:
        tenant = self.tenant(principal)
        if organization_id not in tenant.organization_ids:
            if not tenant.ad_hoc:
                raise NotFound(
                    "Organization", organization_id, f"Organization {organization_id} not found"
                )
            tenant.organization_ids.add(organization_id)
        return tenant


def default_config(config: BirdConfig) -> PlatformConfig:
    """The platform's settings when the scenario has none: its defaults in Bird's currency."""
    return PlatformConfig(
        currency=config.currency,
        wallet=config.ad_hoc_wallet,
        setup_fee=config.money("1.00"),
        api_keys=None if config.ad_hoc_tenants else frozenset(),
    )


_EFFECTS = {
    "order-ended": BirdBackend._order_ended,
    "deprovisioned": BirdBackend._deprovisioned,
    "reservation-lapsed": BirdBackend._reservation_lapsed,
    "notify": BirdBackend._notify,
}
