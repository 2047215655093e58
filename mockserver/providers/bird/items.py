"""A stock item: a number Bird sells, as both of its APIs see it (api.bird.com's stock
search, the platform's available numbers). Its own module, so that Bird's models and the
platform's both build on it without importing each other in a circle."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.domain.money import Money

# The `features` filter values of stock search (seed 000, NumberFilterFeature).
FEATURES = (
    "voice-inbound",
    "voice-outbound",
    "sms-inbound",
    "sms-outbound",
    "mms-inbound",
    "mms-outbound",
    "whatsapp",
)


@dataclass(frozen=True, slots=True)
class StockItem:
    id: str
    country: str
    type: str  # local | national | mobile | toll-free
    number: str  # E.164
    features: frozenset[str]
    monthly_price: Money
    provider_id: str
    # Set when the item is "available but not in the local inventory" (seed 000).
    back_order_stock_id: str | None = None
    # Drawn from a fictional range: only listed when searching with testing=true.
    testing: bool = False
    # (capability, inbound, outbound) for voice, sms, mms and, when supported, whatsapp;
    # derived once from `features`, since every stock page and number renders it.
    capabilities: tuple[tuple[str, bool, bool], ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "capabilities", _capabilities(self.features))

    @property
    def back_order_required(self) -> bool:
        return self.back_order_stock_id is not None

    def supports(self, capability: str, direction: str) -> bool:
        for name, inbound, outbound in self.capabilities:
            if name == capability:
                return inbound if direction == "inbound" else outbound
        return False

    def capability_names(self) -> list[str]:
        return [name for name, inbound, outbound in self.capabilities if inbound or outbound]


def _capabilities(features: frozenset[str]) -> tuple[tuple[str, bool, bool], ...]:
    shown = [
        (name, f"{name}-inbound" in features, f"{name}-outbound" in features)
        for name in ("voice", "sms", "mms")
    ]
    if "whatsapp" in features:
        shown.append(("whatsapp", True, True))
    return tuple(shown)
