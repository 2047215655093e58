"""The provider contract: what the app, the edge, the control plane and the state dump
need from a mocked provider, and all they may use of it (ARCHITECTURE.md).

A `Provider` is one provider's world (its tenants, wallets, stock, rules and pending side
effects) served through one or more `Surface`s: an API with its own spec, paths,
credentials and error dialect. Surfaces of one provider share its world, as the real
provider does (one wallet, one holder per number). Each provider package registers itself
once, with a `ProviderFactory` listed in `app.py`; nothing above this contract imports a
concrete provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mockserver.domain.lifecycle import next_change
from mockserver.errors import MockError
from mockserver.exchange import Handler, Reply

if TYPE_CHECKING:
    from mockserver.clock import Clock
    from mockserver.domain.rules import Rules
    from mockserver.domain.wallet import Wallet
    from mockserver.rng import Rng
    from mockserver.scenario import Scenario
    from mockserver.webhooks.engine import Outbox
    from mockserver.webhooks.models import WebhookTarget


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What an error body may need besides the error: Vobiz puts both in its envelope."""

    request_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class Surface:
    """One API served at its real paths: the spec is its routing table (DESIGN.md, 2)."""

    name: str  # its spec's name: /_mock/specs/<name>.json
    provider: str  # the world it serves (the journal's and the faults' `provider`)
    spec_file: str  # under specs/
    path_prefixes: tuple[str, ...]  # real paths this surface serves (and answers 404 for)
    handlers: Mapping[str, Handler]  # operationId -> handler bound to the backend
    # Reads the request headers (lower-case names); raises Unauthenticated.
    authenticate: Callable[[Mapping[str, str]], Any]
    render_error: Callable[[MockError, ErrorContext], Reply]
    # Who a request speaks for, for the journal, faults and rate limits: a Bird workspace (or
    # organization) id, a Vobiz auth id. From the principal and the path parameters.
    tenant_of: Callable[[Any, Mapping[str, str]], str | None]
    journaled: bool = True  # the control plane's own requests are not
    # Operations served without authenticating (the control plane's health and specs).
    open_operations: frozenset[str] = frozenset()
    # Refuse a query parameter the operation does not declare (422 in the surface's
    # dialect, naming it), where the provider documents that it does; else it is ignored.
    strict_query: bool = False


@dataclass(frozen=True, slots=True)
class TenantWallet:
    """A wallet as the control plane names it: by the tenant that spends from it."""

    tenant: str  # as the control plane names tenants: a Bird workspace id, a Vobiz auth id
    owner: str | None  # who holds the tenant, where several could (a Bird tenant's name)
    wallet: Wallet


@dataclass(frozen=True, slots=True)
class OtpCode:
    """A code the provider "sent" (by SMS or voice), for the control plane's OTP oracle."""

    tenant: str
    phone_number: str
    verification_id: str
    code: str
    channel: str  # sms | voice
    sent_at: datetime
    expires_at: datetime
    attempts: int  # wrong codes tried against it
    status: str  # pending | verified | expired | locked | voided (a newer code replaced it)


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential the scenario lists, as `GET /_mock/credentials` and `mockserver
    credentials` show it: what to send, and the ids of what it opens."""

    surfaces: tuple[str, ...]  # the APIs it opens (their surfaces' names)
    tenant: str  # the tenant it opens, as the control plane names it
    kind: str  # access key, user token, API key, auth id and token...
    headers: Mapping[str, str]  # the request headers that carry it
    ids: Mapping[str, str]  # organizationId, workspaceId, authId...: what paths name


@dataclass(frozen=True, slots=True)
class AdHocCredentials:
    """Credentials no scenario lists that open a tenant of their own on first use."""

    surfaces: tuple[str, ...]
    accepts: str  # which credentials, in a phrase
    opens: str  # what their tenant starts with, in a phrase


# A fault profile: a name for several faults (control plane, `POST /_mock/faults`).
FaultProfile = Sequence[Mapping[str, object]]


# --- what the control plane shows of a tenant (`/_mock/tenants`, the dashboard) -----------


@dataclass(frozen=True, slots=True)
class Change:
    """A record's next scheduled change: at `at`, these statuses take these values."""

    at: datetime
    statuses: Mapping[str, str]


def scheduled_change(
    statuses: Callable[[datetime], Mapping[str, str]],
    instants: Sequence[datetime | None],
    now: datetime,
) -> Change | None:
    """The next of `instants` at which `statuses` change (domain/lifecycle.next_change)."""
    found = next_change(statuses, instants, now)
    return None if found is None else Change(*found)


@dataclass(frozen=True, slots=True)
class Record:
    """One resource of a tenant as the control plane lists it: its statuses as of now (an
    order's, a number's provisioning, its WhatsApp stage...), a few fields as text, and the
    next time one of its statuses changes by itself (None: nothing is scheduled)."""

    id: str
    statuses: Mapping[str, str]
    fields: Mapping[str, str]
    next_change: Change | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """The records of one kind (numbers, orders, verifications, channels...)."""

    kind: str
    records: Sequence[Record]


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant as the control plane lists it, named so that `POST /_mock/reset` and
    `GET /_mock/tenants/{provider}/{tenant}` take the name."""

    name: str
    surfaces: tuple[str, ...]  # the APIs it uses (their surfaces' names)
    owner: str | None
    counts: Mapping[str, int]  # records by kind


@dataclass(frozen=True, slots=True)
class TenantDetail:
    """Everything a tenant name stands for: its wallets and its records, by kind."""

    name: str
    surfaces: tuple[str, ...]
    owner: str | None
    wallets: Sequence[TenantWallet]
    sections: Sequence[Section]


class Provider(ABC):
    """One mocked provider's world, as the control plane and the state dump see it.

    Tenants are named as the provider isolates them (a Bird workspace id, a Vobiz auth id);
    every operation checks everything before it changes anything.
    """

    name: str  # bird, vobiz: the control plane's `provider`
    surfaces: tuple[Surface, ...]
    # The field that limits an outcome rule to one tenant, in scenario files and in
    # `POST /_mock/rules` (workspaceId, accountId).
    rule_scope: str
    fault_profiles: Mapping[str, FaultProfile] = {}

    @property
    @abstractmethod
    def rules(self) -> Rules:
        """The outcome rules in force, in the order they apply."""

    @abstractmethod
    def settle(self) -> datetime:
        """Apply every side effect that fell due by the clock's now; return that now."""

    @abstractmethod
    def reset(self) -> None:
        """Everything back to the scenario as seeded (stock, tenants, rules)."""

    @abstractmethod
    def reset_tenant(self, tenant: str) -> set[str]:
        """One tenant back to the scenario as seeded (an ad-hoc one forgotten); the others
        untouched. Returns the names the edge records that tenant under (`Surface.tenant_of`:
        its faults go with it); empty when there is no such tenant."""

    @abstractmethod
    def wallets(self) -> list[TenantWallet]:
        """Every tenant's wallets."""

    def journal_filter(self, tenant: str) -> Callable[[str | None, object], bool]:
        """Which journal entries are the named tenant's, from the tenant each recorded and
        the principal that made it. By default: those recorded under that name; a
        provider whose tenants share names (Bird's ad-hoc workspace ids) tells them apart."""
        return lambda recorded, principal: recorded == tenant

    def credentials(self) -> list[Credential]:
        """The credentials the scenario lists (none by default)."""
        return []

    def ad_hoc_credentials(self) -> list[AdHocCredentials]:
        """What other credentials open a tenant of their own (none by default: only the
        listed ones are accepted)."""
        return []

    def otp_codes(self, phone_number: str | None = None) -> list[OtpCode]:
        """The codes sent to a number (None: to any number), newest first (a provider
        that sends none: none)."""
        return []

    # --- what the control plane shows of tenants (`/_mock/tenants`, the dashboard) ---------

    def tenants(self) -> list[TenantSummary]:
        """Every tenant, named as the control plane names them. By default the tenants
        that hold wallets, with nothing to count: a provider lists its resources itself."""
        surfaces = tuple(surface.name for surface in self.surfaces)
        names = dict.fromkeys((held.tenant, held.owner) for held in self.wallets())
        return [TenantSummary(name, surfaces, owner, {}) for name, owner in names]

    def describe(self, tenant: str) -> TenantDetail | None:
        """What `tenant` stands for, as of the clock's now (settled first); None when it
        names no tenant. By default its wallets only."""
        self.settle()
        held = [wallet for wallet in self.wallets() if wallet.tenant == tenant]
        if not held:
            return None
        surfaces = tuple(surface.name for surface in self.surfaces)
        return TenantDetail(tenant, surfaces, held[0].owner, held, [])

    # --- webhooks (mockserver/webhooks/): a provider that has none keeps the defaults ------

    def bind_webhooks(self, outbox: Outbox) -> None:
        """The delivery engine this provider hands its events to (`Outbox.emit`), once,
        when the app is built."""
        return None

    def webhook_target(self, route: str) -> WebhookTarget | None:
        """Where and how the subscription `route` (an `Outgoing.route` this provider gave)
        is delivered to now: its URL, signing scheme and keys, and whether the provider's
        own pause holds it. None: it no longer exists (its pending deliveries stop)."""
        return None

    def emit_event(self, tenant: str, event_type: str, data: Any) -> list[str] | None:
        """An event of this provider's catalog the harness asks for (`POST
        /_mock/webhooks/events`), to every matching subscription of the tenant: the ids of
        the deliveries. None: the provider has no such tenant. Raises Invalid for an event
        the provider cannot emit."""
        return None

    # --- the state dump (snapshot.py): this provider's part -------------------------------

    @abstractmethod
    def knows(self, tenant: str) -> bool:
        """Whether `tenant` names a tenant of this provider (for a one-tenant dump)."""

    @abstractmethod
    def dump(self, tenant: str | None = None, *, secrets: bool = False) -> dict[str, Any]:
        """This provider's state as JSON, or one tenant's part of it (for reading only);
        credentials, tokens and signing secrets redacted unless `secrets`."""

    @abstractmethod
    def prepare_restore(self, data: Mapping[str, Any], version: int) -> Callable[[], None]:
        """Read a dump of this provider (written in dump format `version`) and check it
        whole; return what swaps it in. Raises dumps.SnapshotError, changing nothing."""


# Registered once per provider in app.py: the provider built on the app's clock and seeded
# randomness from the scenario.
ProviderFactory = Callable[["Scenario", "Clock", "Rng"], Provider]
