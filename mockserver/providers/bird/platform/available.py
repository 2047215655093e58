"""Numbers on sale: Bird's stock, as the platform shows it (one world with api.bird.com).

An item is on sale while it is in stock (neither API holds it), no api.bird.com workspace
has it reserved, and it is not one of the fictional numbers api.bird.com lists only with
`testing=true`. Pages walk the stock in number order (domain/inventory.py: about one page
of items whatever the stock's size).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from mockserver.errors import NotFound
from mockserver.numbering import numbering_plans
from mockserver.providers.bird.models import StockItem
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.errors import NumberNotAvailable
from mockserver.providers.bird.platform.pages import CursorPage, Window, scope

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.bird.platform.backend import PlatformBackend

# The stock's types as the platform names them (bird/_generated.py NumberType).
NUMBER_TYPES = {
    "local": "local",
    "national": "national",
    "mobile": "mobile",
    "toll-free": "toll_free",
}
STOCK_TYPES = {platform: stock for stock, platform in NUMBER_TYPES.items()}
CAPABILITIES = ("sms", "mms", "voice")


def number_type(item: StockItem) -> str:
    return NUMBER_TYPES[item.type]


def capabilities(item: StockItem) -> list[str]:
    """What the number can do in either direction (bird/_generated.py NumberCapability)."""
    return _capabilities(item.features)


@lru_cache(maxsize=256)
def _capabilities(features: frozenset[str]) -> list[str]:
    """Computed once per distinct feature set (a handful) and shared: never mutate it."""
    return [
        name
        for name in CAPABILITIES
        if f"{name}-inbound" in features or f"{name}-outbound" in features
    ]


@dataclass(frozen=True, slots=True)
class AvailableQuery:
    country_code: str
    number_type: str | None = None
    prefix: str | None = None
    capabilities: tuple[str, ...] = ()
    window: Window = Window()


class Available:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def on_sale(self, item: StockItem, now: datetime) -> bool:
        bird = self.platform.bird.state
        held = bird.reservations.get(item.id)
        return (
            not item.testing
            and bird.inventory.is_available(item.id)
            and (held is None or not held.holds(now))
        )

    def search(self, principal: PlatformPrincipal, query: AvailableQuery) -> CursorPage[StockItem]:
        now = self.platform.settle()
        self.platform.tenant(principal)
        country = query.country_code.upper()
        wanted_type = None if query.number_type is None else STOCK_TYPES.get(query.number_type)
        prefix = _e164_prefix(country, query.prefix)
        page_scope = scope(
            "available",
            principal.workspace_id,
            country,
            query.number_type,
            prefix,
            sorted(set(query.capabilities)),
        )
        where = self.platform.cursors.position(page_scope, query.window)
        if prefix is None or (query.number_type is not None and wanted_type is None):
            return CursorPage([], None, None, None)  # no stock of this country or type
        needed = set(query.capabilities)

        def bucket(key: Hashable) -> bool:
            assert isinstance(key, tuple)  # bird/seed.stock_bucket: (type, features, testing)
            stock_type, features, testing = key
            return (
                not testing
                and (wanted_type is None or stock_type == wanted_type)
                and needed <= set(_capabilities(features))
            )

        def accept(item: StockItem) -> bool:
            # A shelf's key names the features its items may have (bird/seed.stock_bucket).
            capable = not needed or needed <= set(_capabilities(item.features))
            return capable and self.on_sale(item, now)

        inventory = self.platform.bird.state.inventory
        limit = query.window.limit
        if where is not None and where[0] == "before":
            items, more = inventory.scan_before(country, prefix, accept, limit, where[1][0], bucket)
            has_prev, has_next = more, True
        else:
            after = None if where is None else (country, where[1][0])
            items, more = inventory.scan([(country, prefix)], accept, limit, after, bucket)
            has_prev, has_next = where is not None, more
        return self.platform.cursors.framed(
            page_scope, items, _by_number, has_prev=has_prev, has_next=has_next
        )

    def get(self, principal: PlatformPrincipal, number: str) -> StockItem:
        """The number while it is on sale; 404 once someone holds it (documented: "a 404
        here means someone else took it")."""
        now = self.platform.settle()
        self.platform.tenant(principal)
        item = self.platform.bird.state.inventory.by_number(number)
        if item is None or not self.on_sale(item, now):
            raise NotFound(
                "AvailableNumber",
                number,
                f"{number} is not on sale",
                details={"param": "number"},
            )
        return item

    def to_order(self, number: str, now: datetime) -> StockItem:
        """The stock item an order for `number` buys, or 409 E14001."""
        item = self.platform.bird.state.inventory.by_number(number)
        if item is None or not self.on_sale(item, now):
            raise NumberNotAvailable(f"{number} is not on sale (any more)", {"param": "number"})
        return item


def _by_number(item: StockItem) -> tuple[str, ...]:
    return (item.number,)


def _e164_prefix(country: str, prefix: str | None) -> str | None:
    """The E.164 prefix a search walks: `+44770` as given; bare digits (`770`) follow the
    country's calling code. None when the mock has no numbering plan for the country."""
    plan = numbering_plans().get(country)
    if plan is None:
        return None
    if prefix is None:
        return f"+{plan.calling_code}"
    if prefix.startswith("+"):
        return prefix
    return f"+{plan.calling_code}{prefix}"
