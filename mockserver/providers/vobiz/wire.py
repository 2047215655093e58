"""Vobiz's resources rendered as the docs show them (snake_case, plain numbers, RFC 3339):
the WhatsApp numbers API's, then the account and phone-number API's."""

from __future__ import annotations

import calendar
import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mockserver.domain.money import Money
from mockserver.domain.wallet import Wallet
from mockserver.providers.vobiz.models import (
    Account,
    Channel,
    Order,
    StockNumber,
    Verification,
    VoiceNumber,
)
from mockserver.providers.vobiz.seed import AccountSetup, Application, Offer

if TYPE_CHECKING:
    # Type-only: the use cases raise errors.py's errors, whose dialect renders with this
    # module; what they return is only rendered here.
    from mockserver.providers.vobiz.ledger import Transaction, Transactions
    from mockserver.providers.vobiz.numbers import Cancelled


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


# --- the account and phone-number API ---------------------------------------------------

# Documented: "Each item carries a capabilities object ... sms, mms, and fax are commonly
# false"; the mock's numbers are voice numbers.
CAPABILITIES = {"voice": True, "sms": False, "mms": False, "fax": False}
# Documented: the release response's note for a standard release.
RELEASE_NOTE = (
    "Number will be in pending_release for 24 hours (cancellable), then quarantined for 45 "
    "days before becoming available."
)
# Ids of objects the mock keeps no record of (an account's api_id, an application's),
# derived from what they belong to: stable, and no random draw.
_DERIVED = uuid.UUID("0b7e5c3a-9d41-4f6e-8c2b-5a1d3e7f9b60")


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_DERIVED, ":".join(parts)))


def number(value: Decimal) -> int | float:
    """A sum as a plain JSON number, as `amount` writes money."""
    return int(value) if value == value.to_integral_value() else float(value)


def _number_fields(
    item: StockNumber, currency: str, setup: Money, monthly: Money
) -> dict[str, Any]:
    return {
        "e164": item.number,
        "country": item.country,
        "region": item.region,
        "capabilities": dict(CAPABILITIES),
        "status": "active",
        "provider": "",
        "setup_fee": amount(setup),
        "monthly_fee": amount(monthly),
        "currency": currency,
        "voice_enabled": True,
    }


def _flags() -> dict[str, Any]:
    return {
        "is_blocked": False,
        "is_trial_number": False,
        "minimum_commitment_months": 0,
        "aadhaar_verification_required": False,
        "aadhaar_verified": False,
    }


def inventory_number(item: StockNumber, offer: Offer, stocked_at: datetime) -> dict[str, Any]:
    """A number for sale: no account (the docs' schema requires the key), priced in its
    country's currency."""
    fees = offer.fees[offer.currency]
    return {
        "id": item.id,
        "account_id": None,
        **_number_fields(item, offer.currency, fees.setup, fees.monthly),
        "tags": None,
        "created_at": timestamp(stocked_at),
        "updated_at": timestamp(stocked_at),
        **_flags(),
    }


def phone_number(
    owned: VoiceNumber, account_id: str, now: datetime, stocked_at: datetime, *, listed: bool
) -> dict[str, Any]:
    """One of the account's numbers: as the purchase answers it (`source` inventory, no
    routing or billing dates, as the page's example) or as the list shows it (`source`
    purchased, routing when set, billing dates; documented examples)."""
    body: dict[str, Any] = {
        "id": owned.number.id,
        "account_id": account_id,
        **_number_fields(owned.number, owned.currency, owned.setup_fee, owned.monthly_fee),
        "tags": [],
        "purchased_at": timestamp(owned.purchased_at),
        "created_at": timestamp(stocked_at),
        "updated_at": timestamp(owned.updated_at),
        **_flags(),
        "source": "purchased" if listed else "inventory",
    }
    body["status"] = owned.status(now)
    if listed:
        if owned.trunk_group_id is not None:
            body["trunk_group_id"] = owned.trunk_group_id
        if owned.application_id is not None:
            body["application_id"] = owned.application_id
        body["last_billing_date"] = timestamp(owned.purchased_at)
        body["next_billing_date"] = timestamp(_next_month(owned.purchased_at))
        if owned.released_at is not None:
            body["released_at"] = timestamp(owned.released_at)
    return body


def _next_month(moment: datetime) -> datetime:
    """The same day of the next month (its last day, when it has no such day)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def release(owned: VoiceNumber, account_id: str) -> dict[str, Any]:
    assert owned.released_at is not None
    assert owned.release_fee is not None
    body: dict[str, Any] = {
        "cancel_url": f"/api/v1/account/{account_id}/numbers/{owned.e164}/cancel-release",
        "cooldown_ends_at": timestamp(owned.cancellable_until or owned.released_at),
        "message": "number release initiated",
        "release_fee": amount(owned.release_fee),
        "status": "pending_release" if owned.cancellable_until else "quarantined",
    }
    if owned.cancellable_until is not None:
        body["note"] = RELEASE_NOTE
    return body


def cancelled(result: Cancelled) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": "release cancelled, number restored to active status",
        "status": "active",
    }
    if result.refunded:
        body |= {"currency": result.currency, "refund_amount": amount(result.refund)}
    else:  # documented body of a refund that failed
        body |= {
            "refund_status": "failed",
            "refund_error": "could not process refund, please contact support",
        }
    return body


def application_timestamp(moment: datetime) -> str:
    """As the application examples write it: `2026-04-02 12:11:19.740666+00:00`."""
    return moment.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")


def application(app: Application, account_id: str, created_at: datetime) -> dict[str, Any]:
    """The application object of the attach and detach examples; what the mock keeps no
    record of (urls, flags) is the examples'."""
    when = application_timestamp(created_at)
    return {
        "answer_method": app.answer_method,
        "answer_url": app.answer_url,
        "api_id": derived_id(account_id, "application", app.app_id),
        "app_id": app.app_id,
        "app_name": app.app_name,
        "application_type": app.application_type,
        "created_at": when,
        "default_app": False,
        "default_endpoint_app": False,
        "enabled": True,
        "fallback_answer_url": None,
        "fallback_method": "POST",
        "hangup_method": "POST",
        "hangup_url": app.answer_url,
        "log_incoming_message": True,
        "message_method": "POST",
        "message_url": None,
        "public_uri": False,
        "resource_uri": f"/v1/Account/{account_id}/Application/{app.app_id}/",
        "sip_transfer_method": "POST",
        "sip_transfer_url": None,
        "sip_uri": f"sip:{app.app_id}@app.vobiz.ai",
        "sub_account": None,
        "updated_at": when,
    }


def routed(message: str, owned: VoiceNumber, app: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "number": owned.e164}
    if app is not None:
        body["application"] = app
    return body


# What auth/me shows of an account its scenario gives no profile for (invented values in
# the shape of the docs' example).
PROFILE = {
    "email": "admin@example.com",
    "phone": "+919000000000",
    "country": "IN",
    "timezone": "Asia/Kolkata",
    "city": "Bengaluru",
    "state": "KA",
    "address": "1 Example Road, Bengaluru",
    "zip_code": "560001",
}


def account_details(account: Account, setup: AccountSetup) -> dict[str, Any]:
    """auth/me: the account behind the credentials (the docs' example's keys)."""
    profile = {**PROFILE, **setup.profile}
    name = profile.get("name", f"Account {account.auth_id}")
    limits = setup.limits
    tier = derived_id(account.auth_id, "pricing-tier")
    return {
        "type": "account",
        "id": setup.numeric_id,
        "api_id": derived_id(account.auth_id, "api"),
        "name": name,
        "email": profile["email"],
        "phone": profile["phone"],
        "description": None,
        "auth_id": account.auth_id,
        "auth_secret": "<redacted>",  # the mock never echoes a credential
        "auth_token_expire_time": None,
        "country": profile["country"],
        "timezone": profile["timezone"],
        "city": profile["city"],
        "state": profile["state"],
        "address": profile["address"],
        "zip_code": profile["zip_code"],
        "company": profile.get("company", name),
        "account_type": "standard",
        "postpaid": False,
        "auto_recharge": False,
        "auto_recharge_config": None,
        "enabled": True,
        "carrier_type": None,
        "customer_type": None,
        "credit_limit": 0,
        "cps_limit": limits.base_cps + limits.purchased_cps,
        "concurrent_calls_limit": limits.max_concurrent,
        "base_cps_limit": limits.base_cps,
        "base_concurrent_calls_limit": limits.base_concurrent_calls,
        "purchased_cps": limits.purchased_cps,
        "purchased_concurrent_calls": limits.purchased_concurrent_calls,
        "risk_rating": 0,
        "risk_status": None,
        "features": {"call_queue": False},
        "ip_auth_enabled": False,
        "ip_whitelist_rules": {},
        "allow_aws_ips": False,
        "role": "admin",
        "is_active": True,
        "is_verified": True,
        "is_trial_account": False,
        "created_at": timestamp(account.created_at),
        "updated_at": timestamp(account.created_at),
        "last_login": None,
        "pricing_tier_id": tier,
        "pricing_tier": {
            "id": tier,
            "name": "Standard",
            "description": None,
            "currency": "INR",
            "rate_per_minute": 0.45,
            "billing_increment_seconds": 60,
            "minimum_duration_seconds": 0,
            "is_active": True,
            "is_default": True,
        },
    }


def concurrency(account: Account, setup: AccountSetup, request_id: str) -> dict[str, Any]:
    limits = setup.limits
    most = limits.max_concurrent
    return {
        "account_id": account.auth_id,
        "concurrent_calls": limits.active_calls,
        "max_concurrent": most,
        "utilization_pct": round(100 * limits.active_calls / most) if most else 0,
        # 32 hex digits as the docs' example, derived from the request's X-Request-Id.
        "request_id": hashlib.blake2b(request_id.encode(), digest_size=16).hexdigest(),
    }


def transaction(row: Transaction) -> dict[str, Any]:
    entry = row.entry
    moment = timestamp(entry.at)
    body: dict[str, Any] = {
        "id": row.id,
        "account_id": row.account_id,
        "balance_id": row.balance_id,
        "type": entry.kind,
        "amount": amount(entry.amount),
        "currency": row.currency,
        "description": entry.description,
    }
    if entry.reference:  # documented: "reference is omitted when null"
        body["reference"] = entry.reference
    return body | {
        "reference_type": row.reference_type,
        "status": "completed",
        "processed_at": moment,
        "created_at": moment,
        "updated_at": moment,
    }


def transactions(result: Transactions) -> dict[str, Any]:
    pages = -(-result.total // result.per_page)
    return {
        "transactions": [transaction(row) for row in result.rows],
        "summary": {
            "total_transactions": result.total,
            "total_debit": number(result.debit),
            "total_credit": number(result.credit),
            "net_amount": number(result.credit - result.debit),
            "by_reference_type": [
                {
                    "reference_type": t.reference_type,
                    "total_debit": number(t.debit),
                    "total_credit": number(t.credit),
                    "count": t.count,
                }
                for t in result.by_type
            ],
        },
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "total_pages": pages,
    }
