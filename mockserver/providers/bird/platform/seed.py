"""The platform's settings, from the scenario's `bird.platform` section (all optional).

None of these durations or prices is published by Bird (docs/fidelity.md): they are the
mock's, chosen so that every documented status can be reached by moving the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from mockserver.domain.money import Money

# The exponent the mock keeps platform amounts in: Bird's own Money has 10^-6 (seed.py),
# and the platform's decimal strings ("0.00995") need no more.
EXPONENT = -6
# Countries whose numbers need ownership paperwork before outbound SMS and voice: invented
# (the SDK says only that some countries require it), among the default scenario's.
OWNERSHIP_COUNTRIES = ("AU", "BR", "DE", "IN")


@dataclass(frozen=True, slots=True)
class SharedSeed:
    """A Bird-managed number every platform workspace holds (`nal_`, not billed)."""

    number: str
    country: str
    number_type: str
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WhatsAppTimes:
    preparing: timedelta = timedelta(seconds=10)  # preparing -> awaiting_signup
    signup: timedelta = timedelta(seconds=60)  # awaiting_signup -> pending (signup done)
    connecting: timedelta = timedelta(seconds=30)  # pending -> connected
    signup_valid: timedelta = timedelta(days=7)  # awaiting_signup's verified_until


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    currency: str
    wallet: Money  # a new tenant's opening balance
    setup_fee: Money
    # None: any well-formed key opens a tenant; otherwise only these (ad-hoc tenants off).
    api_keys: frozenset[str] | None = None
    ownership_countries: frozenset[str] = frozenset(OWNERSHIP_COUNTRIES)
    review: timedelta = timedelta(days=1)  # answers filed -> approved
    pending_order: timedelta = timedelta(minutes=10)  # a carrier order: pending -> completed
    idempotency_ttl: timedelta = timedelta(hours=3)  # documented: "about 3 hours"
    whatsapp: WhatsAppTimes = field(default_factory=WhatsAppTimes)
    shared_numbers: tuple[SharedSeed, ...] = ()

    def money(self, amount: str) -> Money:
        return Money.parse(amount, self.currency, EXPONENT)


DEFAULT_SHARED = (
    # A fictional NANP toll-free number (555-01XX is reserved for fiction).
    {
        "number": "+18005550100",
        "countryCode": "US",
        "numberType": "toll_free",
        "capabilities": ["sms"],
    },
)


def read_config(bird: Mapping[str, Any]) -> PlatformConfig:
    """`bird.platform` of a scenario (`bird` is the whole Bird section)."""
    currency = str(bird["currency"])
    raw: Mapping[str, Any] = bird.get("platform", {})
    ad_hoc = bird["adHocTenants"]
    ownership = raw.get("ownershipRegistration", {})
    whatsapp = raw.get("whatsApp", {})

    def money(amount: str) -> Money:
        return Money.parse(amount, currency, EXPONENT)

    return PlatformConfig(
        currency=currency,
        wallet=money(raw.get("wallet", ad_hoc["wallet"])),
        setup_fee=money(raw.get("setupFee", "1.00")),
        api_keys=None if ad_hoc["enabled"] else frozenset(raw.get("apiKeys", ())),
        ownership_countries=frozenset(ownership.get("countries", OWNERSHIP_COUNTRIES)),
        review=_seconds(ownership.get("reviewSeconds", 86400)),
        pending_order=_seconds(raw.get("orders", {}).get("pendingSeconds", 600)),
        idempotency_ttl=_seconds(raw.get("idempotencyKeySeconds", 10800)),
        whatsapp=WhatsAppTimes(
            preparing=_seconds(whatsapp.get("preparingSeconds", 10)),
            signup=_seconds(whatsapp.get("signupSeconds", 60)),
            connecting=_seconds(whatsapp.get("connectingSeconds", 30)),
            signup_valid=timedelta(days=whatsapp.get("signupValidDays", 7)),
        ),
        shared_numbers=tuple(
            SharedSeed(
                number=str(s["number"]),
                country=str(s["countryCode"]),
                number_type=str(s["numberType"]),
                capabilities=tuple(s["capabilities"]),
            )
            for s in raw.get("sharedNumbers", DEFAULT_SHARED)
        ),
    )


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
