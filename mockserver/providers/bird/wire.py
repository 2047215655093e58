"""Bird's resources rendered as the spec's JSON shapes (camelCase, Money, RFC 3339)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mockserver.domain.money import Money
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.models import (
    AlphaSender,
    Destination,
    LongCodeNumber,
    Reservation,
    StockItem,
    Subscription,
)


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Bird's examples: 2025-05-29T01:36:00.877Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(amount: Money) -> dict[str, Any]:
    return {"currencyCode": amount.currency, "amount": amount.amount, "exponent": amount.exponent}


def capabilities(item: StockItem) -> dict[str, Any]:
    """PhoneNumberCapabilities: voice, sms and mms always present, whatsapp when supported."""
    return _capabilities(item.capabilities)


# Rendered once per distinct value (a handful of capability sets and prices) and shared by
# every response that shows them: stock pages are the hot path. Never mutate the result.
@lru_cache(maxsize=256)
def _capabilities(flags: tuple[tuple[str, bool, bool], ...]) -> dict[str, Any]:
    return {name: {"inbound": inbound, "outbound": outbound} for name, inbound, outbound in flags}


@lru_cache(maxsize=256)
def _price(amount: Money) -> dict[str, Any]:
    return money(amount)


def stock_item(item: StockItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "countryCode": item.country,
        "type": item.type,
        "numberString": item.number,
        "capabilities": capabilities(item),
        "monthlyPrice": _price(item.monthly_price),
        "backOrderRequired": item.back_order_required,
        "backOrderStockId": item.back_order_stock_id,
    }


def page(results: list[dict[str, Any]], next_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results}
    # "If missing, no more results to display": the key is absent on the last page.
    if next_token is not None:
        body["nextPageToken"] = next_token
    return body


def long_code_number(number: LongCodeNumber, now: datetime) -> dict[str, Any]:
    item = number.item
    body: dict[str, Any] = {
        "id": number.id,
        "endpointId": number.id,
        "numberString": item.number,
        "countryCode": item.country,
        "type": item.type,
        "capabilities": capabilities(item),
        "createdAt": timestamp(number.created_at),
        "updatedAt": timestamp(lifecycles.updated_at(number, now)),
        "order": _order(number, now),
        "endpoint": _endpoint(number, now),
    }
    if number.deprovision_at is not None:
        body["deprovisionAt"] = timestamp(number.deprovision_at)
    return body


def _order(number: LongCodeNumber, now: datetime) -> dict[str, Any]:
    item = number.item
    return {
        "countryCode": item.country,
        "type": item.type,
        "capabilities": item.capability_names(),
        "prefix": item.number[: len(item.number) - 7],
        "status": lifecycles.order_status(number, now),
        "createdAt": timestamp(number.created_at),
        "updatedAt": timestamp(number.order.since(number.created_at, now)),
    }


def _endpoint(number: LongCodeNumber, now: datetime) -> dict[str, Any]:
    active = lifecycles.order_status(number, now) == "fulfilled"
    issues = [] if active else ["subscription-is-not-active"]
    capabilities = [
        _capability(number.item, name, active, issues) for name in number.item.capability_names()
    ]
    return {
        "id": number.id,
        "type": "long-code-number",
        "instanceId": number.instance_id,
        "name": number.item.number,
        "capabilities": capabilities,
        "dependencies": [
            {
                "type": "connector",
                "connectorId": number.connector_id,
                "connectorTemplateRef": "numbers-mock-long-code",
                "capabilities": number.item.capability_names(),
            }
        ],
        "issues": issues,
        "provisioningStatus": lifecycles.provisioning_status(number, now),
        "createdAt": timestamp(number.created_at),
        "updatedAt": timestamp(lifecycles.updated_at(number, now)),
    }


def _capability(item: StockItem, name: str, active: bool, issues: list[str]) -> dict[str, Any]:
    status = "active" if active else "inactive"
    inbound = {"status": status, "issues": issues} if item.supports(name, "inbound") else None
    outbound: dict[str, Any] | None = None
    if item.supports(name, "outbound"):
        outbound = {"status": status, "supportsDestinations": False, "issues": issues}
    return {"name": name, "inbound": inbound, "outbound": outbound}


def reservation(held: Reservation, now: datetime) -> dict[str, Any]:
    return {
        "id": held.id,
        "numberStockItemId": held.item.id,
        "workspaceId": held.holder.id,
        "numberString": held.item.number,
        "status": held.status(now),
        "createdAt": timestamp(held.created_at),
        "expiresAt": timestamp(held.expires_at),
    }


def subscription(sub: Subscription, correlation_id: str, now: datetime) -> dict[str, Any]:
    ended = sub.end_at is not None and sub.end_at <= now
    canceling = sub.canceled_at is not None and not ended
    details: dict[str, Any] = {
        "id": sub.id,
        "correlationId": correlation_id,
        "status": "canceled" if ended else "canceling" if canceling else "active",
        "subscribedAt": timestamp(sub.subscribed_at),
        "updatedAt": timestamp(sub.canceled_at or sub.subscribed_at),
        "startAt": timestamp(sub.subscribed_at),
    }
    if sub.canceled_at is not None:
        details["canceledAt"] = timestamp(sub.canceled_at)
    if sub.end_at is not None:
        details["endAt"] = timestamp(sub.end_at)
    return {
        "name": sub.name,
        "status": "inactive" if ended else "active",
        "price": money(sub.price),
        "subscription": details,
    }


def alpha_number(alpha: AlphaSender) -> dict[str, Any]:
    created = timestamp(alpha.created_at)
    active = [d for d in alpha.destinations.values() if d.active]
    return {
        "id": alpha.id,
        "alphaString": alpha.alpha_string,
        "endpointId": alpha.id,
        "createdAt": created,
        "updatedAt": created,
        "order": {
            "countryCodes": list(alpha.order_countries),
            "status": "fulfilled",
            "createdAt": created,
            "updatedAt": created,
        },
        "endpoint": {
            "id": alpha.id,
            "type": "alpha-number",
            "instanceId": alpha.instance_id,
            "name": alpha.alpha_string,
            "capabilities": [
                {
                    "name": "sms",
                    "inbound": None,
                    "outbound": {
                        "status": "active" if active else "inactive",
                        "supportsDestinations": True,
                        "destinationStatuses": {"active": len(active)},
                    },
                }
            ],
            "provisioningStatus": "provisioned",
            "createdAt": created,
            "updatedAt": created,
        },
    }


def destination(dest: Destination) -> dict[str, Any]:
    return {
        "name": dest.country,
        "countryCode": dest.country,
        "immutable": False,
        "capabilities": [
            {"name": dest.capability, "status": "active" if dest.active else "inactive"}
        ],
    }
