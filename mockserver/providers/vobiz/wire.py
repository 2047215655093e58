"""Vobiz's resources rendered as the docs show them (snake_case, plain numbers, RFC 3339)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mockserver.domain.money import Money
from mockserver.domain.wallet import Wallet
from mockserver.providers.vobiz.models import (
    Account,
    Channel,
    Order,
    StockNumber,
    Verification,
)
from mockserver.providers.vobiz.seed import Offer


def timestamp(moment: datetime) -> str:
    """RFC 3339 UTC to the second, as the order example: 2026-03-01T10:00:00Z."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def timestamp_ms(moment: datetime) -> str:
    """With milliseconds, as the errors page's envelope: 2025-10-12T10:30:00.000Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def amount(money: Money) -> int | float:
    """A plain JSON number: 500 for whole amounts (the docs' fees), 23906.83 otherwise."""
    value = money.as_decimal()
    return int(value) if value == value.to_integral_value() else float(value)


def available_number(number: StockNumber, offer: Offer) -> dict[str, Any]:
    fees = offer.fees[offer.currency]
    return {
        "e164": number.number,
        "country": number.country,
        "region": number.region,
        "setup_fee": amount(fees.setup),
        "monthly_fee": amount(fees.monthly),
        "currency": offer.currency,
    }


def order(order: Order, now: datetime, provider_name: str) -> dict[str, Any]:
    status = order.status(now)
    return {
        "id": order.id,
        "account_id": order.account_id,
        "country_code": order.number.country,
        "region": order.number.region,
        "number_type": order.number_type,
        "selected_phone_number": order.number.number,
        "provider_order_id": order.provider_order_id,
        "provider_name": provider_name,
        "status": status,
        "monthly_cost": amount(order.monthly_cost),
        "setup_cost": amount(order.setup_cost),
        "currency": order.currency,
        "failure_reason": order.failure_reason if status == "failed" else None,
        "created_at": timestamp(order.created_at),
        "updated_at": timestamp(order.updated_at(now)),
    }


def verification(v: Verification, now: datetime) -> dict[str, Any]:
    return {
        "id": v.id,
        "phone_number": v.phone_number,
        "status": v.status(now),
        "expires_at": timestamp(v.expires_at),
    }


def confirmation(v: Verification, now: datetime) -> dict[str, Any]:
    """Documented: `{"status": "verified", "message": "Number verified successfully"}`."""
    return {"status": v.status(now), "message": "Number verified successfully"}


def channel(c: Channel) -> dict[str, Any]:
    # access_token is write-only: "never returned" (channels docs).
    return {
        "id": c.id,
        "account_id": c.account_id,
        "waba_id": c.waba_id,
        "phone_number_id": c.phone_number_id,
        "phone_number": c.phone_number,
        "number_onboarding_mode": c.onboarding_mode,
        "number_provider": c.number_provider,
        "number_order_id": c.number_order_id,
        "verification_status": c.verification_status,
        "display_name": c.display_name,
        "business_profile": "",
        "status": "active",
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
    }


def balance(account: Account, currency: str, wallet: Wallet) -> dict[str, Any]:
    last_change = wallet.entries[-1].at if wallet.entries else account.created_at
    return {
        "id": account.wallet_ids[currency],
        "account_id": account.auth_id,
        "currency": currency,
        "balance": amount(wallet.balance),
        "reserved_funds": 0,
        "promotional_balance": 0,
        "promotional_reserved_balance": 0,
        # "balance minus reservations": the mock reserves nothing, debits happen at once.
        "available_balance": amount(wallet.balance),
        "credit_limit": 0,
        "is_postpaid": False,
        "credit_limit_type": "hard",
        "low_balance_threshold": 50,
        "status": "active",
        "created_at": timestamp(account.created_at),
        "updated_at": timestamp(last_change),
    }
