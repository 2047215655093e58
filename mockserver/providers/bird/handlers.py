"""One handler per Bird operationId: read the validated call, run a use case, render.

The edge has already checked the request against specs/bird-numbers.yaml, so parameters
arrive cast (limit is an int, countryCodes a list) and bodies match their schemas.
"""

from __future__ import annotations

from typing import Any

from mockserver.exchange import Call, Handlers, Reply
from mockserver.providers.bird import wire
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.bird.numbers import NumberQuery
from mockserver.providers.bird.stock import StockQuery
from mockserver.providers.bird.subscriptions import Billed

HANDLERS: Handlers[BirdBackend, BirdPrincipal] = Handlers()
BirdCall = Call[BirdPrincipal]


@HANDLERS.operation("listOrganizationNumbersStockItems")
def list_organization_numbers_stock_items(bird: BirdBackend, call: BirdCall) -> Reply:
    q = call.query
    query = StockQuery(
        countries=tuple(q.get("countryCodes", ())),
        types=tuple(q.get("types", ())),
        features=tuple(q.get("features", ())),
        prefix=q.get("prefix"),
        testing=bool(q.get("testing", False)),
        limit=int(q.get("limit", 10)),
        page_token=q.get("pageToken"),
    )
    page = bird.stock.search(call.principal, call.path["organizationId"], query)
    # Encoded once per item (wire.stock_item_encoded): pages repeat, items never change.
    results = [wire.stock_item_encoded(i) for i in page.items]
    return Reply(200, wire.page(results, page.next_token))


@HANDLERS.operation("createNumberStockItemReservation")
def create_number_stock_item_reservation(bird: BirdBackend, call: BirdCall) -> Reply:
    held = bird.stock.reserve(
        call.principal, call.path["workspaceId"], call.path["numberStockItemId"]
    )
    return Reply(201, wire.reservation(held, bird.clock.now()))


@HANDLERS.operation("deleteNumberStockItemReservation")
def delete_number_stock_item_reservation(bird: BirdBackend, call: BirdCall) -> Reply:
    bird.stock.release(call.principal, call.path["workspaceId"], call.path["numberStockItemId"])
    return Reply(204)


@HANDLERS.operation("createWorkspaceLongCodeNumbers")
def create_workspace_long_code_numbers(bird: BirdBackend, call: BirdCall) -> Reply:
    numbers = bird.stock.buy(
        call.principal, call.path["workspaceId"], call.body["numberStockItemIds"]
    )
    now = bird.clock.now()
    return Reply(201, {"results": [wire.long_code_number(n, now) for n in numbers]})


@HANDLERS.operation("listWorkspaceLongCodeNumbers")
def list_workspace_long_code_numbers(bird: BirdBackend, call: BirdCall) -> Reply:
    q = call.query
    query = NumberQuery(
        number_prefix=q.get("numberString"),
        countries=tuple(q.get("countryCodes", ())),
        provider_ids=tuple(q.get("providerIds", ())),
        reverse=bool(q.get("reverse", False)),
        limit=int(q.get("limit", 10)),
        page_token=q.get("pageToken"),
    )
    page = bird.numbers.page(call.principal, call.path["workspaceId"], query)
    now = bird.clock.now()
    return Reply(
        200, wire.page([wire.long_code_number(n, now) for n in page.items], page.next_token)
    )


@HANDLERS.operation("getWorkspaceLongCodeNumber")
def get_workspace_long_code_number(bird: BirdBackend, call: BirdCall) -> Reply:
    number = bird.numbers.get(
        call.principal, call.path["workspaceId"], call.path["longCodeNumberId"]
    )
    return Reply(200, wire.long_code_number(number, bird.clock.now()))


@HANDLERS.operation("listWorkspaceAlphaNumbers")
def list_workspace_alpha_numbers(bird: BirdBackend, call: BirdCall) -> Reply:
    q = call.query
    page = bird.numbers.alpha_page(
        call.principal,
        call.path["workspaceId"],
        int(q.get("limit", 10)),
        q.get("pageToken"),
        bool(q.get("reverse", False)),
    )
    now = bird.clock.now()
    return Reply(200, wire.page([wire.alpha_number(a, now) for a in page.items], page.next_token))


@HANDLERS.operation("getWorkspaceAlphaNumber")
def get_workspace_alpha_number(bird: BirdBackend, call: BirdCall) -> Reply:
    alpha = bird.numbers.alpha(call.principal, call.path["workspaceId"], call.path["alphaNumberId"])
    return Reply(200, wire.alpha_number(alpha, bird.clock.now()))


@HANDLERS.operation("listWorkspaceEndpointSubscriptions")
def list_workspace_endpoint_subscriptions(bird: BirdBackend, call: BirdCall) -> Reply:
    endpoint_id = call.path["endpointId"]
    subs = bird.subscriptions.of_endpoint(call.principal, call.path["workspaceId"], endpoint_id)
    return Reply(200, {"results": [_subscription(bird, b, endpoint_id) for b in subs]})


@HANDLERS.operation("getWorkspaceEndpointSubscription")
def get_workspace_endpoint_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    p = call.path
    billed = bird.subscriptions.get(
        call.principal, p["workspaceId"], p["endpointId"], p["subscriptionName"]
    )
    return Reply(200, _subscription(bird, billed, p["endpointId"]))


@HANDLERS.operation("cancelWorkspaceEndpointSubscription")
def cancel_workspace_endpoint_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    p = call.path
    billed = bird.subscriptions.cancel(
        call.principal, p["workspaceId"], p["endpointId"], p["subscriptionName"]
    )
    return Reply(200, _subscription(bird, billed, p["endpointId"]))


@HANDLERS.operation("activateWorkspaceEndpointDestinations")
def activate_workspace_endpoint_destinations(bird: BirdBackend, call: BirdCall) -> Reply:
    args = _destination_args(call)
    if call.query.get("validate"):
        # Documented: "When set, only validates the request payload without mutating any data."
        prices = bird.subscriptions.destination_prices(call.principal, *args)
        return Reply(200, {"subscriptionPrices": {c: wire.money(m) for c, m in prices.items()}})
    destinations = bird.subscriptions.activate(call.principal, *args)
    now = bird.clock.now()
    return Reply(201, {"results": [wire.destination(d, now) for d in destinations]})


@HANDLERS.operation("deactivateWorkspaceEndpointDestinations")
def deactivate_workspace_endpoint_destinations(bird: BirdBackend, call: BirdCall) -> Reply:
    destinations = bird.subscriptions.deactivate(call.principal, *_destination_args(call))
    now = bird.clock.now()
    return Reply(200, {"results": [wire.destination(d, now) for d in destinations]})


def _subscription(bird: BirdBackend, billed: Billed, endpoint_id: str) -> dict[str, Any]:
    return wire.subscription(billed.subscription, endpoint_id, billed.starts_at, bird.clock.now())


def _destination_args(call: BirdCall) -> tuple[str, str, str, list[str]]:
    body: dict[str, Any] = call.body
    return (
        call.path["workspaceId"],
        call.path["endpointId"],
        body["capability"],
        list(body["countryCodes"]),
    )


# --- webhook subscriptions (Notifications API) ---------------------------------------------


def _webhook_path(call: BirdCall) -> tuple[str, str]:
    return call.path["organizationId"], call.path["workspaceId"]


@HANDLERS.operation("createWebhookSubscription")
def create_webhook_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    found = bird.webhooks.create(call.principal, *_webhook_path(call), call.body)
    return Reply(201, wire.webhook_subscription(found))


@HANDLERS.operation("listWebhookSubscriptions")
def list_webhook_subscriptions(bird: BirdBackend, call: BirdCall) -> Reply:
    q = call.query
    page = bird.webhooks.page(
        call.principal,
        *_webhook_path(call),
        int(q.get("limit", 10)),
        q.get("pageToken"),
        bool(q.get("reverse", False)),
    )
    results = [wire.webhook_subscription(s) for s in page.items]
    return Reply(200, wire.page(results, page.next_token))


@HANDLERS.operation("getWebhookSubscription")
def get_webhook_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    sub_id = call.path["webhookSubscriptionId"]
    found = bird.webhooks.get(call.principal, *_webhook_path(call), sub_id)
    return Reply(200, wire.webhook_subscription(found))


@HANDLERS.operation("updateWebhookSubscription")
def update_webhook_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    sub_id = call.path["webhookSubscriptionId"]
    found = bird.webhooks.update(call.principal, *_webhook_path(call), sub_id, call.body or {})
    return Reply(200, wire.webhook_subscription(found))


@HANDLERS.operation("deleteWebhookSubscription")
def delete_webhook_subscription(bird: BirdBackend, call: BirdCall) -> Reply:
    bird.webhooks.delete(call.principal, *_webhook_path(call), call.path["webhookSubscriptionId"])
    return Reply(204)
