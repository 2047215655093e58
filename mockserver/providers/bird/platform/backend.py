"""The platform's backend: its tenants (one per API key), the side effects that fall due on
the mock clock, and the use cases by resource (available.py, orders.py, numbers.py,
whatsapp.py, voice.py, senders.py, wallets.py, webhooks.py; idempotency.py around the
writes).

It lives inside Bird's backend and reads Bird's state (`bird.state.platform`, the stock, the
reservations of api.bird.com) each time, so a reset or a restore that swaps Bird's state
swaps the platform's with it. `settle()` is Bird's: it applies api.bird.com's due effects,
then the platform's (`settle_due`), so neither API ever sees a state the other left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mockserver.domain.wallet import Wallet
from mockserver.errors import Forbidden, Unauthenticated
from mockserver.providers.bird.platform import ids
from mockserver.providers.bird.platform.auth import PlatformPrincipal, workspace_of
from mockserver.providers.bird.platform.available import Available
from mockserver.providers.bird.platform.idempotency import Idempotency
from mockserver.providers.bird.platform.models import (
    PlatformDue,
    PlatformState,
    PlatformTenant,
    SharedNumber,
)
from mockserver.providers.bird.platform.numbers import Numbers
from mockserver.providers.bird.platform.orders import Orders
from mockserver.providers.bird.platform.pages import Cursors
from mockserver.providers.bird.platform.seed import PlatformConfig
from mockserver.providers.bird.platform.senders import Senders
from mockserver.providers.bird.platform.voice import Voice
from mockserver.providers.bird.platform.wallets import Wallets
from mockserver.providers.bird.platform.webhooks import Webhooks
from mockserver.providers.bird.platform.whatsapp import WhatsApp
from mockserver.rng import Rng

if TYPE_CHECKING:
    # Type-only (ARCHITECTURE.md): Bird's backend holds this one, which reads its state.
    from mockserver.providers.bird.backend import BirdBackend


class PlatformBackend:
    def __init__(self, bird: BirdBackend, config: PlatformConfig, rng: Rng) -> None:
        self.bird = bird
        self.config = config
        self.ids = rng.stream("bird.platform.ids")
        # Webhook endpoints, their secrets, events and deliveries: a stream of their own, so
        # that webhooks never change the ids of orders and numbers.
        self.webhook_ids = rng.stream("bird.platform.webhook-ids")
        self.cursors = Cursors(rng.secret("bird.platform.cursors"))
        # The use cases, by resource.
        self.available = Available(self)
        self.orders = Orders(self)
        self.numbers = Numbers(self)
        self.whatsapp = WhatsApp(self)
        self.voice = Voice(self)
        self.senders = Senders(self)
        self.wallets = Wallets(self)
        self.webhooks = Webhooks(self)
        self.idempotency = Idempotency(self)

    @property
    def state(self) -> PlatformState:
        return self.bird.state.platform

    def settle(self) -> datetime:
        """Everything due by now, on both of Bird's APIs; returns now."""
        return self.bird.settle()

    def settle_due(self, now: datetime) -> None:
        """The platform's own due effects, in due order (Bird's settle calls this)."""
        for at, due in self.state.schedule.due(now):
            tenant = self.state.tenants.get(due.tenant)
            if tenant is not None:  # else reset meanwhile: nothing left to do
                _EFFECTS[due.kind](self, tenant, at, due.subject_id)

    def schedule(self, at: datetime, kind: str, tenant: PlatformTenant, subject_id: str) -> None:
        self.state.schedule.add(at, PlatformDue(kind, tenant.id, subject_id))

    def new_id(self, prefix: str) -> str:
        return ids.ulid(prefix, self.bird.clock.now(), self.ids)

    def new_webhook_id(self, prefix: str) -> str:
        return ids.ulid(prefix, self.bird.clock.now(), self.webhook_ids)

    # --- tenants -------------------------------------------------------------------------

    def tenant(self, principal: PlatformPrincipal) -> PlatformTenant:
        """The key's workspace, opened on first use with the scenario's wallet (any
        well-formed key is its own tenant, unless the scenario lists the keys it takes)."""
        tenant_id = self.state.keys.get(principal.api_key)
        if tenant_id is not None:
            return self.state.tenants[tenant_id]
        allowed = self.config.api_keys
        if allowed is not None and principal.api_key not in allowed:
            raise Unauthenticated("The API key is not accepted by this scenario")
        return self._open(principal.api_key)

    def api_key_tenant(self, principal: PlatformPrincipal) -> PlatformTenant:
        """The tenant of a request that must come with a workspace API key."""
        if principal.kind != "api_key":
            raise Forbidden("This operation needs a workspace API key, not a user OAuth token")
        return self.tenant(principal)

    def _open(self, api_key: str) -> PlatformTenant:
        now = self.bird.clock.now()
        tenant_id = workspace_of(api_key)
        state = self.state
        tenant = PlatformTenant(
            id=tenant_id,
            label=f"platform:{api_key[:12]}",
            created_at=now,
            serial=state.next_serial(),
            wallet_id=ids.derived("wal", tenant_id, self.config.currency),
            wallet=Wallet(self.config.wallet),
        )
        for seed in self.config.shared_numbers:
            number_id = ids.derived("nal", seed.number)
            tenant.shared[number_id] = SharedNumber(
                id=number_id,
                number=seed.number,
                country=seed.country,
                number_type=seed.number_type,
                capabilities=seed.capabilities,
                allocated_at=now,
                serial=state.next_serial(),
                sender_id=ids.derived("snd", number_id),
            )
        state.tenants[tenant_id] = tenant
        state.keys[api_key] = tenant_id
        return tenant

    def named(self, name: str) -> list[str]:
        """The tenants one name stands for, as the control plane names them: an API key
        (or its `boa_` token) or a workspace id (`ws_`)."""
        tenant_id = self.state.keys.get(name.removeprefix("boa_"))
        if tenant_id is None and name in self.state.tenants:
            tenant_id = name
        return [] if tenant_id is None else [tenant_id]

    def reset(self, tenant_ids: list[str]) -> None:
        """Forget these tenants: their numbers and pending orders give their stock back,
        their due effects, idempotency keys and rules go; the keys open new tenants."""
        now = self.settle()
        for tenant_id in tenant_ids:
            tenant = self.state.tenants.pop(tenant_id, None)
            if tenant is None:
                continue
            for number in tenant.numbers.values():
                if not number.released(now):
                    self.bird.state.inventory.give_back(number.item.id)
            for order in tenant.orders.values():
                if order.status == "pending":
                    self.bird.state.inventory.give_back(order.item.id)
            for key, owner in list(self.state.keys.items()):
                if owner == tenant_id:
                    del self.state.keys[key]
            self.state.schedule.discard(_of_tenant(tenant_id))
            self.bird.state.rules.drop_scope(tenant_id)

    # --- due effects -----------------------------------------------------------------------

    def _order_settles(self, tenant: PlatformTenant, at: datetime, order_id: str) -> None:
        order = tenant.orders.get(order_id)
        if order is not None and order.status == "pending":
            self.orders.settle_pending(tenant, order, at)

    def _released(self, tenant: PlatformTenant, at: datetime, number_id: str) -> None:
        number = tenant.numbers.get(number_id)
        if number is not None and number.releases_at == at and number.released_at is None:
            self.numbers.release_now(tenant, number, at)

    def _renewal(self, tenant: PlatformTenant, at: datetime, number_id: str) -> None:
        number = tenant.numbers.get(number_id)
        if number is not None and number.paid_until <= at:
            self.numbers.renew(tenant, number, at)

    def _key_expired(self, tenant: PlatformTenant, at: datetime, key: str) -> None:
        stored = tenant.replies.get(key)
        if stored is not None and stored.expires_at <= at:
            del tenant.replies[key]


def _of_tenant(tenant_id: str) -> Callable[[PlatformDue], bool]:
    return lambda due: due.tenant == tenant_id


_EFFECTS: dict[str, Callable[[PlatformBackend, PlatformTenant, datetime, str], None]] = {
    "order-settles": PlatformBackend._order_settles,
    "released": PlatformBackend._released,
    "renewal": PlatformBackend._renewal,
    "key-expired": PlatformBackend._key_expired,
}
DUE_KINDS = tuple(_EFFECTS)
