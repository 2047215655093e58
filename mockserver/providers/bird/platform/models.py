"""The platform's state as slotted dataclasses: a field of BirdState (`BirdState.platform`),
so one state dump, one reset and one stock hold both of Bird's APIs.

Written to and read from a dump by dumps.Codec like the rest of Bird's models: a stock item
is written as a reference; a field added here needs a default, so that older dumps (which
lack it) still restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockserver.domain.money import Money
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import Wallet
from mockserver.dumps import keyed, secret
from mockserver.providers.bird.items import StockItem


@dataclass(frozen=True, slots=True)
class Ownership:
    """How a number's ownership registration goes, fixed when the number is allocated
    (read against the clock by lifecycles.ownership)."""

    since: datetime  # when the block on outbound SMS and voice began: the allocation
    submission_id: str | None  # `csb_`: the order filed answers (`compliance`)
    outcome: str  # approved | rejected | withdrawn | none (needs input, nothing filed)
    decided_at: datetime | None  # when the outcome takes effect


@dataclass(frozen=True, slots=True)
class WhatsAppPlan:
    """A held WhatsApp-capable number's connection to WhatsApp, fixed at allocation: each
    status starts at a time (lifecycles.whatsapp); the number's release ends it."""

    id: str  # wan_
    waba: str  # the WhatsApp Business Account it connects under
    created_at: datetime  # preparing
    awaiting_at: datetime  # -> awaiting_signup
    verified_until: datetime  # the signup link lapses then (number_verification_required)
    pending_at: datetime | None  # -> pending: the signup finished (None: it never does)
    connected_at: datetime | None  # -> connected
    failed_at: datetime | None  # -> failed, with `error_code`
    error_code: str | None = None


@dataclass(slots=True)
class HeldNumber:
    """A dedicated number allocated to a workspace by an order (`nda_`)."""

    id: str  # ids.number_id(item.id)
    item: StockItem
    order_id: str
    allocated_at: datetime
    serial: int  # allocation order, for numbers allocated at the same instant
    recurring_price: Money  # per period; charged at allocation and at each renewal
    paid_until: datetime  # the end of the period paid for so far (the next renewal)
    name: str | None = None
    reference: str | None = None
    releases_at: datetime | None = None  # a cancel scheduled the release for then
    released_at: datetime | None = None
    renewal_overdue_since: datetime | None = None  # the wallet could not pay a renewal
    ownership: Ownership | None = None
    voice_id: str | None = None  # vnu_: numbers with voice are voice numbers
    voice_name: str | None = None
    route: dict[str, Any] | None = None  # the inbound route as set (None: workspace default)
    sender_id: str | None = None  # snd_: numbers with sms are SMS senders
    whatsapp: WhatsAppPlan | None = None

    def released(self, now: datetime) -> bool:
        return self.released_at is not None and self.released_at <= now


@dataclass(slots=True)
class SharedNumber:
    """A Bird-managed number the workspace can use (`nal_`): from the scenario, not billed,
    never released."""

    id: str
    number: str
    country: str
    number_type: str
    capabilities: tuple[str, ...]
    allocated_at: datetime
    serial: int
    sender_id: str
    name: str | None = None
    reference: str | None = None


@dataclass(slots=True)
class AlphaSender:
    """An alphanumeric sender the workspace claimed (`snd_`)."""

    id: str
    sender: str
    created_at: datetime
    serial: int


@dataclass(slots=True)
class PlatformOrder:
    """A purchase attempt (`nor_`): it outlives its attempt, failed or not."""

    id: str
    item: StockItem
    created_at: datetime
    serial: int
    status: str  # pending | completed | failed
    updated_at: datetime
    recurring_price: Money
    setup_price: Money
    reference: str | None = None
    submitted: bool = False  # ownership answers filed with the order
    settles_at: datetime | None = None  # when a pending order completes or fails
    fails_with: str | None = None  # the failure an outcome rule fixed for it
    number_id: str | None = None
    completed_at: datetime | None = None
    failure_reason: str | None = None


@dataclass(slots=True)
class StoredReply:
    """The first answer to a request under an Idempotency-Key, kept to replay it."""

    key: str
    fingerprint: str  # operation, path, query and body of the request
    status: int
    body: Any
    expires_at: datetime


@dataclass(slots=True)
class EndpointSecret:
    """A signing secret of a webhook endpoint (`whsec_`): a rotated-out one keeps signing
    until `expires_at` (24 hours after the rotation)."""

    secret: str = field(metadata=secret())
    created_at: datetime | None = None
    expires_at: datetime | None = None

    def valid(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(slots=True)
class WebhookEndpoint:
    """A webhook endpoint of the workspace (`whk_`): where its subscribed events go."""

    id: str
    url: str
    events: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    serial: int
    secrets: list[EndpointSecret] = field(default_factory=list)  # newest first
    description: str | None = None
    paused: bool = False  # by an update; `degraded` is read from the delivery attempts


@dataclass(slots=True)
class PlatformTenant:
    """Everything one API key sees: a workspace of its own organization, with its wallet."""

    id: str  # ws_: derived from the key (auth.workspace_of)
    label: str  # the key's first characters, for the control plane (a wallet's owner)
    created_at: datetime
    serial: int
    wallet_id: str
    wallet: Wallet
    orders: dict[str, PlatformOrder] = field(default_factory=dict, metadata=keyed("id"))
    numbers: dict[str, HeldNumber] = field(default_factory=dict, metadata=keyed("id"))
    shared: dict[str, SharedNumber] = field(default_factory=dict, metadata=keyed("id"))
    senders: dict[str, AlphaSender] = field(default_factory=dict, metadata=keyed("id"))
    replies: dict[str, StoredReply] = field(default_factory=dict, metadata=keyed("key"))
    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict, metadata=keyed("id"))
    # Replays asked for on each UTC day ("20 per organization per UTC day"): the day's only.
    replay_day: str | None = None
    replays: int = 0


@dataclass(frozen=True, slots=True)
class PlatformDue:
    """A side effect that falls due (domain/schedule.py): `kind` says what to do."""

    kind: str  # order-settles | released | renewal | key-expired
    tenant: str  # the workspace (ws_): it does nothing if the tenant is gone by then
    subject_id: str  # the order, the number, or the Idempotency-Key


@dataclass(slots=True)
class PlatformState:
    tenants: dict[str, PlatformTenant] = field(default_factory=dict, metadata=keyed("id"))
    # An API key -> its workspace's id. A key is a secret: redacted in dumps unless asked.
    keys: dict[str, str] = field(default_factory=dict, metadata=secret(keys=True))
    schedule: Schedule[PlatformDue] = field(default_factory=Schedule)
    serial: int = 0

    def next_serial(self) -> int:
        serial = self.serial
        self.serial += 1
        return serial
