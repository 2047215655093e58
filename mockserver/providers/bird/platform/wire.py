"""The platform's resources as specs/bird-platform.yaml shapes them: snake_case, money as
decimal strings in major units with a currency, RFC 3339 UTC timestamps, nullable fields
always present (bird/_generated.py: required-but-nullable is sent as null)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from mockserver.domain.money import Money
from mockserver.domain.wallet import Wallet
from mockserver.providers.bird.models import StockItem
from mockserver.providers.bird.platform import lifecycles
from mockserver.providers.bird.platform.available import capabilities, number_type
from mockserver.providers.bird.platform.models import (
    HeldNumber,
    Ownership,
    PlatformOrder,
    PlatformTenant,
    SharedNumber,
    WebhookEndpoint,
)
from mockserver.providers.bird.platform.pages import CursorPage
from mockserver.providers.bird.platform.seed import PlatformConfig
from mockserver.providers.bird.platform.senders import Sender
from mockserver.providers.bird.platform.whatsapp import Event, WhatsAppNumber
from mockserver.webhooks.models import Attempt, Delivery, SendResult

MONTH = {"unit": "month", "count": 1}
FORWARD_AS = ["dialed_number", "calling_number"]


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC: whole seconds as the SDK's examples, milliseconds when there are."""
    moment = moment.astimezone(UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def maybe_time(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def decimal(amount: Money) -> str:
    """`1.50`, `0.00995`, `118.00`: at least two decimals, no trailing zeros beyond."""
    value = amount.as_decimal().normalize()
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


# Rendered once per distinct value (a handful of prices) and shared by every response
# that shows them: available-number pages are the hot path. Never mutate the result.
@lru_cache(maxsize=1024)
def money(amount: Money) -> dict[str, str]:
    return {"amount": decimal(amount), "currency_code": amount.currency}


@lru_cache(maxsize=1024)
def _offer(setup: Money, recurring: Money) -> dict[str, Any]:
    return {
        "setup_price": money(setup),
        "recurring_price": money(recurring),
        "recurring_period": MONTH,
        "intervals_per_charge": 1,
    }


def page(items: list[dict[str, Any]], found: CursorPage[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": items,
        "next_cursor": found.next_cursor,
        "prev_cursor": found.prev_cursor,
        "refresh_cursor": found.refresh_cursor,
    }
    if found.total is not None:
        body["total"] = found.total
    return body


# --- numbers ------------------------------------------------------------------------------


def available_number(item: StockItem, config: PlatformConfig) -> dict[str, Any]:
    return {
        "number": item.number,
        "country_code": item.country,
        "number_type": number_type(item),
        "capabilities": capabilities(item),
        "ownership_registration_required": item.country in config.ownership_countries,
        "pricing": _offer(config.setup_fee, item.monthly_price),
    }


def order(found: PlatformOrder) -> dict[str, Any]:
    item = found.item
    return {
        "id": found.id,
        "number": item.number,
        "country_code": item.country,
        "number_type": number_type(item),
        "status": found.status,
        "number_id": found.number_id,
        "failure_reason": found.failure_reason,
        "completed_at": maybe_time(found.completed_at),
        "created_at": timestamp(found.created_at),
        "updated_at": timestamp(found.updated_at),
    }


def number(found: HeldNumber | SharedNumber, now: datetime) -> dict[str, Any]:
    if isinstance(found, SharedNumber):
        return {
            "id": found.id,
            "name": found.name,
            "reference": found.reference,
            "kind": "shared",
            "number": found.number,
            "country_code": found.country,
            "number_type": found.number_type,
            "capabilities": list(found.capabilities),
            "status": "active",
            "allocated_at": timestamp(found.allocated_at),
            "releases_at": None,
            "released_at": None,
            "ownership": None,
            "pricing": None,
        }
    item = found.item
    released = found.released(now)
    return {
        "id": found.id,
        "name": found.name,
        "reference": found.reference,
        "kind": "dedicated",
        "number": item.number,
        "country_code": item.country,
        "number_type": number_type(item),
        "capabilities": capabilities(item),
        "status": lifecycles.number_status(found, now),
        "allocated_at": timestamp(found.allocated_at),
        "releases_at": maybe_time(found.releases_at),
        "released_at": maybe_time(found.released_at) if released else None,
        "ownership": None if found.ownership is None else ownership(found.ownership, now),
        # "null ... for a number with no live subscription": a released one.
        "pricing": None
        if released
        else {
            "recurring_price": money(found.recurring_price),
            "recurring_period": MONTH,
            "intervals_per_charge": 1,
            "error": None,
        },
    }


def ownership(plan: Ownership, now: datetime) -> dict[str, Any]:
    state = lifecycles.ownership(plan, now)
    body: dict[str, Any] = {
        "satisfied": state.satisfied,
        "status": state.status,
        "blocked_at": maybe_time(state.blocked_at),
        "next": state.next,
    }
    if plan.submission_id is not None:
        body["submission_id"] = plan.submission_id
    return body


# --- WhatsApp, voice, SMS -------------------------------------------------------------------


def whatsapp_number(found: WhatsAppNumber, now: datetime) -> dict[str, Any]:
    plan, status = found.plan, found.status
    body: dict[str, Any] = {
        "id": plan.id,
        "phone_number": found.number.item.number,
        "number_id": found.number.id,
        "name": found.name,
        "scope": "workspace",
        "status": status,
    }
    if found.signed_up:
        body["waba"] = plan.waba
    if status == "awaiting_signup":
        url = f"https://app.bird.com/whatsapp/signup/{plan.id}"
        body["finish_setup_url"] = url
        body["verified_until"] = timestamp(plan.verified_until)
        body["next"] = [
            {"kind": "external", "description": "Finish connecting the number", "url": url}
        ]
    elif status in ("preparing", "pending"):
        body["next"] = [{"kind": "wait", "description": _WAITING[status]}]
    elif status == "failed":
        body["error"] = {"code": found.transitions[-1].reason or "internal_error"}
        body["next"] = [{"kind": "terminal", "description": "Connect another number"}]
    else:
        body["next"] = []
    if status == "connected":
        synced = found.updated_at
        body |= {
            "quality_rating": "green",
            "messaging_limit": "tier_250",
            "throughput_level": "standard",
            "is_official_business_account": False,
            "is_on_business_app": False,
            "meta_synced_at": timestamp(synced),
        }
    body["created_at"] = timestamp(plan.created_at)
    body["updated_at"] = timestamp(found.updated_at)
    return body


_WAITING = {
    "preparing": "Bird is preparing the number for WhatsApp.",
    "pending": "WhatsApp is connecting the number.",
}


def whatsapp_event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "summary": event.summary,
        "metadata": event.metadata,
        "created_at": timestamp(event.created_at),
    }


def voice_number(found: HeldNumber) -> dict[str, Any]:
    item = found.item
    return {
        "id": found.voice_id,
        "phone_number": item.number,
        "country_code": item.country,
        "name": found.voice_name,
        "provider": {"type": "allocation", "number_id": found.id},
        "directions": {"inbound": item.supports("voice", "inbound"), "outbound": False},
        "inbound_configuration": {"route": found.route, "forward_as_options": FORWARD_AS},
        "created_at": timestamp(found.allocated_at),
    }


def sender(found: Sender) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": found.id,
        "sender": found.sender,
        "source_kind": found.source_kind,
        "sender_type": found.sender_type,
        "country_code": found.country_code,
        "status": found.status,
        "destinations": {
            "active": list(found.active),
            "pending": [],
            "needs_attention": list(found.needs_attention),
        },
        "created_at": timestamp(found.created_at),
        "updated_at": timestamp(found.updated_at),
    }
    if found.number_id is not None:
        body["number_id"] = found.number_id
    if found.source_kind == "alpha":
        body["next"] = [
            {
                "kind": "operation",
                "description": "See what each country requires before sending from it",
                "operation": "listSmsSenderRequirements",
                "params": {"sender_id": found.id},
            }
        ]
    elif found.status == "pending_number_ownership":
        body["next"] = [{"kind": "wait", "description": "The number's ownership is pending."}]
    else:
        body["next"] = []
    return body


# --- billing --------------------------------------------------------------------------------


def wallet(tenant: PlatformTenant) -> dict[str, Any]:
    held: Wallet = tenant.wallet
    changed = held.entries[-1].at if held.entries else tenant.created_at
    zero = "0.00"
    return {
        "id": tenant.wallet_id,
        "currency_code": held.currency,
        "balance": decimal(held.balance),
        "settled_balance": decimal(held.balance),
        "renewal_reserved": zero,
        "renewal_required": zero,
        "collection_status": "none",
        "collection_renewal": zero,
        "collection_required": zero,
        "collection_usage_buffer": zero,
        "collection_deficit": zero,
        "credit_limit": zero,
        "provisional": False,
        "created_at": timestamp(tenant.created_at),
        "updated_at": timestamp(changed),
    }


def webhook_endpoint(endpoint: WebhookEndpoint, status: str) -> dict[str, Any]:
    """A WebhookEndpoint: never its secret."""
    body: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "filter": None,
        "events": list(endpoint.events),
        "status": status,
        "destination": {"type": "webhook"},
        "created_at": timestamp(endpoint.created_at),
        "updated_at": timestamp(endpoint.updated_at),
    }
    if endpoint.description:
        body["description"] = endpoint.description
    return body


def webhook_created(endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    """A WebhookEndpointCreated: the secret, "present in this response only"."""
    return {**webhook_endpoint(endpoint, "active"), "secret": secret, "next": []}


def webhook_attempt(delivery: Delivery, attempt: Attempt) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": attempt.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": "delivered" if attempt.outcome == "delivered" else "failed",
        "url": attempt.url,
        "response_status_code": attempt.status_code,
        "response_duration_ms": attempt.duration_ms,
        "attempted_at": timestamp(attempt.at),
    }
    if attempt.outcome == "dropped":
        body["failure_reason"] = "The delivery was dropped by an injected fault (never sent)."
    elif attempt.status_code is None and attempt.error and attempt.error.startswith("egress"):
        body["failure_reason"] = attempt.error  # refused before any request was sent
    if attempt.response_body:
        body["response_body"] = attempt.response_body
    return body


def webhook_test(result: SendResult) -> dict[str, Any]:
    """A WebhookTestResponse. The stub is not echoed: `event_payload` is optional, and a
    stub with empty `data` would not parse as the SDK's typed event."""
    body: dict[str, Any] = {
        "status": "delivered" if result.delivered else "failed",
        "response_status_code": result.status_code,
        "response_duration_ms": result.duration_ms,
    }
    if result.response_body:
        body["response_body"] = result.response_body
    if result.status_code is None:
        body["error"] = result.error or "no response"
    return body
