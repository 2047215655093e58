"""Bird's resources rendered as the spec's JSON shapes (camelCase, Money, RFC 3339)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mockserver.domain.money import Money
from mockserver.exchange import Encoded, Lru, encoded
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.lifecycles import WhatsAppState
from mockserver.providers.bird.models import (
    AlphaSender,
    Destination,
    LongCodeNumber,
    Reservation,
    StockItem,
    Subscription,
    WebhookSubscription,
)


@lru_cache(maxsize=1024)
def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Bird's examples: 2025-05-29T01:36:00.877Z.
    Cached: the numbers one request shows share most of their moments (25 bought at once
    are created, and updated, at the same instant)."""
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


# Stock items as stock pages show them, encoded once (exchange.Encoded): a stock item never
# changes (reserving or buying one changes what holds it, not the item), so the pages a
# test suite asks again and again cost their envelope. Bounded: the stock may hold
# millions, and an item may be computed afresh as an equal object.
STOCK_ITEMS_ENCODED = 8192
_stock_items: Lru[str, tuple[StockItem, Encoded]] = Lru(STOCK_ITEMS_ENCODED)


def stock_item_encoded(item: StockItem) -> Encoded:
    """`stock_item(item)` encoded, from the cache when this id was encoded from an equal
    item (every field compared, not only those rendered: cheap, and never stale)."""
    cached = _stock_items.get(item.id)
    if cached is not None and (cached[0] is item or cached[0] == item):
        return cached[1]
    part = encoded(stock_item(item))
    _stock_items.put(item.id, (item, part))
    return part


def page(results: list[Any], next_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results}
    # "If missing, no more results to display": the key is absent on the last page.
    if next_token is not None:
        body["nextPageToken"] = next_token
    return body


def long_code_number(number: LongCodeNumber, now: datetime) -> dict[str, Any]:
    """A WorkspaceLongCodeNumber as of `now`: order, provisioning, subscription-driven
    capability statuses and, for WhatsApp-capable numbers, the pre-verification."""
    item = number.item
    created = timestamp(number.created_at)
    updated = timestamp(lifecycles.updated_at(number, now))
    whatsapp = lifecycles.whatsapp_of(number, now)
    # Each asked once: the number's issues and every capability's directions follow them.
    provisioning = lifecycles.provisioning_status(number, now)
    active = provisioning == "provisioned"  # lifecycles.is_active
    verified = whatsapp is not None and whatsapp.verified
    names, directions = _endpoint_capabilities(item.capabilities, active, verified)
    issues = _issues(active, whatsapp)
    body: dict[str, Any] = {
        "id": number.id,
        "endpointId": number.id,
        "numberString": item.number,
        "countryCode": item.country,
        "type": item.type,
        "capabilities": capabilities(item),
        "createdAt": created,
        "updatedAt": updated,
        "order": {
            "countryCode": item.country,
            "type": item.type,
            "capabilities": names,
            "prefix": item.number[: len(item.number) - 7],
            "status": lifecycles.order_status(number, now),
            "createdAt": created,
            "updatedAt": timestamp(lifecycles.order_changed(number, now)),
        },
        "endpoint": {
            "id": number.id,
            "type": "long-code-number",
            "instanceId": number.instance_id,
            "name": item.number,
            "capabilities": directions,
            "dependencies": [
                {
                    "type": "connector",
                    "connectorId": number.connector_id,
                    "connectorTemplateRef": "numbers-mock-long-code",
                    "capabilities": list(names),
                }
            ],
            "issues": issues,
            "provisioningStatus": provisioning,
            "createdAt": created,
            "updatedAt": updated,
        },
    }
    if whatsapp is not None and number.whatsapp is not None:
        body["endpoint"]["whatsApp"] = _whatsapp(number.whatsapp.whatsapp_id, whatsapp, number, now)
    if number.deprovision_at is not None:
        body["deprovisionAt"] = timestamp(number.deprovision_at)
    return body


def _issues(active: bool, whatsapp: WhatsAppState | None) -> list[str]:
    """The number's issues; `active` is lifecycles.is_active as of the rendering."""
    issues = [] if active else ["subscription-is-not-active"]
    if whatsapp is not None and not whatsapp.verified:
        issues.append("whatsapp-not-pre-verified")
    return issues


# Rendered once per distinct (capabilities, active, pre-verified) and shared by every number
# that shows them, like _capabilities: a handful of values. Never mutate the result.
@lru_cache(maxsize=256)
def _endpoint_capabilities(
    flags: tuple[tuple[str, bool, bool], ...], active: bool, verified: bool
) -> tuple[list[str], list[dict[str, Any]]]:
    """The capability names (StockItem.capability_names) and each one's directions."""
    names = [name for name, inbound, outbound in flags if inbound or outbound]
    directions = [
        _capability(name, inbound, outbound, active, verified)
        for name, inbound, outbound in flags
        if inbound or outbound
    ]
    return names, directions


def _capability(
    name: str, inbound: bool, outbound: bool, active: bool, verified: bool
) -> dict[str, Any]:
    """One capability's directions: active while the number is (for WhatsApp, once it is
    also pre-verified); otherwise inactive, with the issues that say why."""
    issues = [] if active else ["subscription-is-not-active"]
    if name == "whatsapp" and not verified:
        issues = [*issues, "whatsapp-not-pre-verified"]
    status = "inactive" if issues else "active"
    return {
        "name": name,
        "inbound": {"status": status, "issues": issues} if inbound else None,
        "outbound": (
            {"status": status, "supportsDestinations": False, "issues": issues}
            if outbound
            else None
        ),
    }


def _whatsapp(
    whatsapp_id: str, state: WhatsAppState, number: LongCodeNumber, now: datetime
) -> dict[str, Any]:
    fulfilled = lifecycles.fulfilled_at(number)
    body: dict[str, Any] = {
        "whatsAppId": whatsapp_id,
        "status": state.status,
        "stage": state.stage,
        "attempt": state.attempt,
        "verificationExpiresAt": (
            timestamp(state.verification_expires_at) if state.verification_expires_at else None
        ),
        "createdAt": timestamp(fulfilled or number.created_at),
        "updatedAt": timestamp(state.changed_at),
    }
    if state.next_attempt_at is not None:
        body["nextAttemptAt"] = timestamp(state.next_attempt_at)
    if state.requested_code_at is not None:
        body["requestedCodeAt"] = timestamp(state.requested_code_at)
    return body


def reservation(held: Reservation, now: datetime) -> dict[str, Any]:
    return {
        "id": held.id,
        "numberStockItemId": held.item.id,
        "workspaceId": held.holder.workspace,
        "numberString": held.item.number,
        "status": held.status(now),
        "createdAt": timestamp(held.created_at),
        "expiresAt": timestamp(held.expires_at),
    }


def subscription(
    sub: Subscription, correlation_id: str, start: datetime | None, now: datetime
) -> dict[str, Any]:
    """An EndpointSubscription; `start` is when it starts billing (a number's fulfilment)."""
    status, accounting = lifecycles.subscription_status(sub, start, now)
    changes = [
        t
        for t in (sub.subscribed_at, start, sub.canceled_at, sub.end_at)
        if t is not None and t <= now
    ]
    details: dict[str, Any] = {
        "id": sub.id,
        "correlationId": correlation_id,
        "status": accounting,
        "subscribedAt": timestamp(sub.subscribed_at),
        "updatedAt": timestamp(max(changes)),
    }
    if start is not None:
        details["startAt"] = timestamp(start)
    if sub.canceled_at is not None:
        details["canceledAt"] = timestamp(sub.canceled_at)
    if sub.end_at is not None:
        details["endAt"] = timestamp(sub.end_at)
    return {"name": sub.name, "status": status, "price": money(sub.price), "subscription": details}


def alpha_number(alpha: AlphaSender, now: datetime) -> dict[str, Any]:
    created = timestamp(alpha.created_at)
    active = [d for d in alpha.destinations.values() if d.is_active(now)]
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


def destination(dest: Destination, now: datetime) -> dict[str, Any]:
    return {
        "name": dest.country,
        "countryCode": dest.country,
        "immutable": False,
        "capabilities": [
            {"name": dest.capability, "status": "active" if dest.is_active(now) else "inactive"}
        ],
    }


def webhook_subscription(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "organizationId": sub.organization_id,
        "workspaceId": sub.workspace_id,
        "service": sub.service,
        "event": sub.event,
        "eventFilters": [{"key": f.key, "value": f.value} for f in sub.event_filters],
        "template": sub.template,
        "url": sub.url,
        "signingKey": sub.signing_key,
        "status": sub.status,
        "createdAt": timestamp(sub.created_at),
        "updatedAt": timestamp(sub.updated_at),
    }


def number_event(number: LongCodeNumber, workspace_id: str, at: datetime) -> dict[str, Any]:
    """The numbers event's payload: the number as of `at`. Documented: the number's `type`
    (toll-free, long code, short code, alphanumeric), its root `issues` and each
    capability's `{name, status, issues}`; the rest is the mock's (the number as
    getWorkspaceLongCodeNumber shows it then, under `number`)."""
    number_body = long_code_number(number, at)
    endpoint = number_body["endpoint"]
    return {
        "id": number.id,
        "type": "long-code",
        "workspaceId": workspace_id,
        "numberString": number.item.number,
        "provisioningStatus": endpoint["provisioningStatus"],
        "issues": endpoint["issues"],
        "capabilities": [_capability_event(c) for c in endpoint["capabilities"]],
        "number": number_body,
    }


def _capability_event(capability: dict[str, Any]) -> dict[str, Any]:
    directions = [d for d in (capability["inbound"], capability["outbound"]) if d is not None]
    issues = list(dict.fromkeys(i for d in directions for i in d["issues"]))
    active = bool(directions) and all(d["status"] == "active" for d in directions)
    return {
        "name": capability["name"],
        "status": "active" if active else "inactive",
        "issues": issues,
        "inbound": capability["inbound"],
        "outbound": capability["outbound"],
    }
