"""Bird's resources as the mock keeps them: plain slotted dataclasses, no HTTP.

The state dump is written from these fields (dumps.Codec): a field added here is dumped
and restored with no other change. A model refers to a workspace by `WorkspaceRef`, never
by holding it, so a dump and a reset never have to chase shared objects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mockserver.domain.inventory import Inventory
from mockserver.domain.lifecycle import Timeline
from mockserver.domain.money import Money
from mockserver.domain.rules import Rules
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import Wallet
from mockserver.dumps import keyed, secret
from mockserver.providers.bird.items import FEATURES as FEATURES, StockItem as StockItem
from mockserver.providers.bird.platform.models import PlatformState


@dataclass(frozen=True, slots=True)
class WorkspaceRef:
    """A workspace by name: its tenant's id and its own (workspace ids are only unique
    within a tenant: two ad-hoc tenants may use the same one)."""

    tenant: str
    workspace: str


@dataclass(slots=True)
class Reservation:
    id: str
    item: StockItem
    holder: WorkspaceRef
    created_at: datetime
    expires_at: datetime
    ended: str | None = None  # released | consumed; expiry is computed from the clock

    def status(self, now: datetime) -> str:
        if self.ended is not None:
            return self.ended
        return "active" if now < self.expires_at else "expired"

    def holds(self, now: datetime) -> bool:
        return self.status(now) == "active"


@dataclass(slots=True)
class Subscription:
    id: str
    name: str  # "main" for long code numbers, the country code for alpha destinations
    price: Money
    subscribed_at: datetime
    canceled_at: datetime | None = None
    end_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WhatsAppTiming:
    code_requested_after: timedelta
    verifying_after: timedelta
    verified_after: timedelta
    retry_after: timedelta
    max_attempts: int
    valid_for: timedelta


@dataclass(frozen=True, slots=True)
class WhatsAppPlan:
    """How a WhatsApp-capable number's pre-verification will go, fixed at purchase."""

    whatsapp_id: str  # Meta's pre-verified phone number id
    failures: int  # attempts that fail before one succeeds
    timing: WhatsAppTiming
    already_exists: bool = False  # Meta refused the number: it is on WhatsApp already


@dataclass(frozen=True, slots=True)
class OrderEnd:
    """An order that ends without being fulfilled: rejected or cancelled, at a time."""

    status: str  # rejected | cancelled
    at: datetime


@dataclass(slots=True)
class LongCodeNumber:
    id: str  # Bird: "The unique identifier of the long code number. The endpoint ID is the same."
    workspace_id: str
    item: StockItem
    instance_id: str
    connector_id: str
    created_at: datetime
    subscription: Subscription
    order: Timeline[str]  # fixed at purchase, read against the clock (lifecycles.py)
    serial: int  # purchase order, to list numbers bought at the same instant in that order
    deprovisioning: timedelta  # from the end of the subscription until deprovisioned
    ended: OrderEnd | None = None
    whatsapp: WhatsAppPlan | None = None
    # Webhooks (webhooks.py): when the number's next change is looked at (a `notify` due
    # effect; None: nothing scheduled), and a digest of the last numbers event it made.
    notify_at: datetime | None = None
    notified: str | None = None

    @property
    def deprovision_at(self) -> datetime | None:
        return self.subscription.end_at


@dataclass(slots=True)
class Destination:
    country: str
    capability: str
    subscription: Subscription
    active: bool = True  # false once deactivated

    def is_active(self, now: datetime) -> bool:
        """Deactivated at once; cancelled at the end of the subscription's period."""
        end = self.subscription.end_at
        return self.active and (end is None or now < end)


@dataclass(slots=True)
class AlphaSender:
    id: str
    alpha_string: str
    instance_id: str
    created_at: datetime
    order_countries: tuple[str, ...]
    serial: int
    destinations: dict[str, Destination] = field(default_factory=dict, metadata=keyed("country"))


@dataclass(frozen=True, slots=True)
class EventFilter:
    key: str
    value: str


@dataclass(slots=True)
class WebhookSubscription:
    """A webhook subscription of a workspace (Notifications API): which service's event
    goes to which URL, signed with `signing_key` when it has one."""

    id: str
    organization_id: str
    workspace_id: str
    service: str  # channels | numbers | payments | conversations
    event: str
    url: str
    created_at: datetime
    updated_at: datetime
    serial: int
    event_filters: tuple[EventFilter, ...] = ()
    template: str | None = None
    signing_key: str | None = field(default=None, metadata=secret())
    status: str = "active"


@dataclass(slots=True)
class Workspace:
    id: str
    tenant_id: str
    organization_id: str | None
    wallet: Wallet
    # In purchase order, and in the order the scenario lists them.
    numbers: dict[str, LongCodeNumber] = field(default_factory=dict, metadata=keyed("id"))
    alpha_senders: dict[str, AlphaSender] = field(default_factory=dict, metadata=keyed("id"))
    webhook_subscriptions: dict[str, WebhookSubscription] = field(
        default_factory=dict, metadata=keyed("id")
    )

    @property
    def ref(self) -> WorkspaceRef:
        return WorkspaceRef(self.tenant_id, self.id)


def ad_hoc_tenant_id(credential: str) -> str:
    """The id of the ad-hoc tenant a credential ("AccessKey <key>") opens: stable, without
    the credential in it (it shows in state dumps and the control plane)."""
    return f"ad-hoc:{hashlib.blake2b(credential.encode(), digest_size=8).hexdigest()}"


@dataclass(slots=True)
class Tenant:
    """Everything one set of credentials can see. Ad-hoc tenants create workspaces and
    organizations on first use; scenario tenants only have the ones they declare."""

    id: str  # a scenario tenant's name; "ad-hoc:" and a digest of the credential
    name: str  # as the control plane shows it (a wallet's owner)
    ad_hoc: bool
    organization_ids: set[str] = field(default_factory=set)
    workspaces: dict[str, Workspace] = field(default_factory=dict, metadata=keyed("id"))


@dataclass(frozen=True, slots=True)
class Due:
    """A side effect that falls due (domain/schedule.py): `kind` says what to do."""

    kind: str  # order-ended | deprovisioned | reservation-lapsed | notify
    holder: WorkspaceRef  # whose: it does nothing if the workspace is gone by then
    subject_id: str  # the number's id, or the reserved stock item's


@dataclass(slots=True)
class BirdState:
    """All of Bird's mutable state; the stock is shared, everything else is per tenant."""

    inventory: Inventory[StockItem]
    tenants: dict[str, Tenant] = field(metadata=keyed("id"))  # by id, in the order opened
    # A credential ("AccessKey <key>", "Bearer <jwt>") -> the id of the tenant it opens:
    # several credentials may open the same tenant.
    credentials: dict[str, str] = field(metadata=secret(keys=True))
    rules: Rules
    reservations: dict[str, Reservation] = field(default_factory=dict)  # by stock item id
    # The next serial: creation order of numbers and senders. A plain int, not an
    # itertools.count, so a state dump can read it and a restore continue from it.
    serial: int = 0
    schedule: Schedule[Due] = field(default_factory=Schedule)
    # The platform API's tenants, orders and numbers (platform/models.py): one world.
    platform: PlatformState = field(default_factory=PlatformState)
    # How the stock came from the seed (seed.BirdConfig.stock_generation). A dump written
    # before it was recorded (numbers-mock 0.1) has none: its stock was drawn.
    stock_generation: str = "drawn"

    def workspace_at(self, ref: WorkspaceRef) -> Workspace | None:
        tenant = self.tenants.get(ref.tenant)
        return None if tenant is None else tenant.workspaces.get(ref.workspace)

    def next_serial(self) -> int:
        serial = self.serial
        self.serial += 1
        return serial
