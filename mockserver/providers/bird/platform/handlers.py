"""One handler per operationId of specs/bird-platform.yaml: read the validated call, run a
use case on the platform backend, render (wire.py). Writes go through the Idempotency-Key
(idempotency.py): a replay answers the first response again.

The edge has checked the request against the spec (and refused query parameters the
operation does not declare: the surface is `strict_query`), so values arrive cast.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from mockserver.errors import Invalid
from mockserver.exchange import Call, Handlers, Reply
from mockserver.providers.bird.platform import wire
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.available import AvailableQuery
from mockserver.providers.bird.platform.backend import PlatformBackend
from mockserver.providers.bird.platform.numbers import NumberQuery
from mockserver.providers.bird.platform.orders import OrderInput
from mockserver.providers.bird.platform.pages import Window
from mockserver.providers.bird.platform.senders import SenderQuery
from mockserver.providers.bird.platform.voice import VoiceQuery
from mockserver.providers.bird.platform.webhooks import EndpointQuery
from mockserver.providers.bird.platform.whatsapp import WhatsAppQuery

HANDLERS: Handlers[PlatformBackend, PlatformPrincipal] = Handlers()
PlatformCall = Call[PlatformPrincipal]
Handler = Callable[[PlatformBackend, PlatformCall], Reply]


def write(operation_id: str) -> Callable[[Handler], Handler]:
    """A write: registered like any handler, run under the request's Idempotency-Key."""

    def register(func: Handler) -> Handler:
        def idempotent(platform: PlatformBackend, call: PlatformCall) -> Reply:
            return platform.idempotency.run(call, lambda: func(platform, call))

        idempotent.__name__ = func.__name__
        HANDLERS.operation(operation_id)(idempotent)
        return func

    return register


def _window(query: Mapping[str, Any]) -> Window:
    return Window(
        limit=int(query.get("limit", 25)),
        starting_after=query.get("starting_after"),
        ending_before=query.get("ending_before"),
    )


# --- numbers.available ----------------------------------------------------------------------


@HANDLERS.operation("listAvailableNumbers")
def list_available_numbers(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = AvailableQuery(
        country_code=q["country_code"],
        number_type=q.get("number_type"),
        prefix=q.get("prefix"),
        capabilities=tuple(q.get("capabilities", ())),
        window=_window(q),
    )
    found = platform.available.search(call.principal, query)
    items = [wire.available_number(i, platform.config) for i in found.data]
    return Reply(200, wire.page(items, found))


@HANDLERS.operation("getAvailableNumber")
def get_available_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    item = platform.available.get(call.principal, call.path["number"])
    return Reply(200, wire.available_number(item, platform.config))


# --- numbers.orders -------------------------------------------------------------------------


@write("createNumberOrder")
def create_number_order(platform: PlatformBackend, call: PlatformCall) -> Reply:
    body: dict[str, Any] = call.body
    given = OrderInput(body["number"], body.get("reference"), body.get("compliance"))
    return Reply(201, wire.order(platform.orders.create(call.principal, given)))


@HANDLERS.operation("listNumberOrders")
def list_number_orders(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.orders.page(call.principal, call.query.get("status"), _window(call.query))
    return Reply(200, wire.page([wire.order(o) for o in found.data], found))


@HANDLERS.operation("getNumberOrder")
def get_number_order(platform: PlatformBackend, call: PlatformCall) -> Reply:
    return Reply(200, wire.order(platform.orders.get(call.principal, call.path["order_id"])))


# --- numbers --------------------------------------------------------------------------------


@HANDLERS.operation("listNumbers")
def list_numbers(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = NumberQuery(
        search=q.get("search"),
        reference=q.get("reference"),
        number=q.get("number"),
        country_code=q.get("country_code"),
        number_type=q.get("number_type"),
        prefix=q.get("prefix"),
        capabilities=tuple(q.get("capabilities", ())),
        window=_window(q),
    )
    found = platform.numbers.page(call.principal, query)
    now = platform.bird.clock.now()
    return Reply(200, wire.page([wire.number(n, now) for n in found.data], found))


@HANDLERS.operation("getNumber")
def get_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.numbers.get(call.principal, call.path["number_id"])
    return Reply(200, wire.number(found, platform.bird.clock.now()))


@write("updateNumber")
def update_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.numbers.update(call.principal, call.path["number_id"], call.body or {})
    return Reply(200, wire.number(found, platform.bird.clock.now()))


@write("deleteNumber")
def delete_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.numbers.cancel(call.principal, call.path["number_id"])
    return Reply(200, wire.number(found, platform.bird.clock.now()))


@write("releaseAllocatedNumber")
def release_allocated_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    platform.numbers.release(call.principal, call.path["number_id"])
    return Reply(204)


# --- whatsapp.numbers -----------------------------------------------------------------------


@HANDLERS.operation("listWhatsAppNumbers")
def list_whatsapp_numbers(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = WhatsAppQuery(
        waba=q.get("waba"),
        phone_number=q.get("phone_number"),
        statuses=tuple(q.get("status", ())),
        scope=q.get("scope"),
        sort=q.get("sort", "created_at"),
        order=q.get("order"),
        include_total=bool(q.get("include_total", False)),
        window=_window(q),
    )
    found = platform.whatsapp.page(call.principal, query)
    now = platform.bird.clock.now()
    return Reply(200, wire.page([wire.whatsapp_number(w, now) for w in found.data], found))


@HANDLERS.operation("getWhatsAppNumber")
def get_whatsapp_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.whatsapp.get(call.principal, call.path["number_id"])
    return Reply(200, wire.whatsapp_number(found, platform.bird.clock.now()))


@HANDLERS.operation("listWhatsAppNumberEvents")
def list_whatsapp_number_events(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    found = platform.whatsapp.events(
        call.principal, call.path["number_id"], q.get("order"), _window(q)
    )
    return Reply(200, wire.page([wire.whatsapp_event(e) for e in found.data], found))


# --- voice.numbers --------------------------------------------------------------------------


@HANDLERS.operation("listVoiceNumbers")
def list_voice_numbers(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = VoiceQuery(
        search=q.get("search"),
        provider=q.get("provider"),
        route=q.get("route"),
        sort=q.get("sort", "phone_number"),
        order=q.get("order"),
        window=_window(q),
    )
    found = platform.voice.page(call.principal, query)
    return Reply(200, wire.page([wire.voice_number(n) for n in found.data], found))


@HANDLERS.operation("getVoiceNumber")
def get_voice_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    return Reply(200, wire.voice_number(platform.voice.get(call.principal, call.path["number_id"])))


@write("updateVoiceNumber")
def update_voice_number(platform: PlatformBackend, call: PlatformCall) -> Reply:
    found = platform.voice.update(call.principal, call.path["number_id"], call.body or {})
    return Reply(200, wire.voice_number(found))


# --- sms.senders ----------------------------------------------------------------------------


@HANDLERS.operation("listSmsSenders")
def list_sms_senders(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = SenderQuery(
        type=q.get("type"),
        number_id=q.get("number_id"),
        sort=q.get("sort", "created_at"),
        order=q.get("order"),
        include_total=bool(q.get("include_total", False)),
        window=_window(q),
    )
    found = platform.senders.page(call.principal, query)
    return Reply(200, wire.page([wire.sender(s) for s in found.data], found))


@write("createSmsSender")
def create_sms_sender(platform: PlatformBackend, call: PlatformCall) -> Reply:
    return Reply(201, wire.sender(platform.senders.create(call.principal, call.body["sender"])))


@HANDLERS.operation("getSmsSender")
def get_sms_sender(platform: PlatformBackend, call: PlatformCall) -> Reply:
    return Reply(200, wire.sender(platform.senders.get(call.principal, call.path["sender_id"])))


# --- billing.wallets ------------------------------------------------------------------------


@HANDLERS.operation("listBillingWallets")
def list_billing_wallets(platform: PlatformBackend, call: PlatformCall) -> Reply:
    tenant = platform.wallets.of(call.principal)
    return Reply(200, {"data": [wire.wallet(tenant)]})


# --- webhooks -------------------------------------------------------------------------------


def _instant(text: str | None, param: str) -> datetime | None:
    """A timestamp query or body value (RFC 3339); 422 naming the parameter otherwise."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid(
            f"{param} is not an RFC 3339 timestamp", {param: ["expected e.g. 2026-05-07T00:00:00Z"]}
        )
    return moment.astimezone(UTC)


@write("createWebhook")
def create_webhook(platform: PlatformBackend, call: PlatformCall) -> Reply:
    created = platform.webhooks.create(call.principal, call.body)
    return Reply(201, wire.webhook_created(created.endpoint, created.secret))


@HANDLERS.operation("listWebhooks")
def list_webhooks(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    query = EndpointQuery(
        sort=q.get("sort", "created_at"),
        order=q.get("order"),
        url=q.get("url"),
        include_total=bool(q.get("include_total", False)),
        window=_window(q),
    )
    found = platform.webhooks.page(call.principal, query)
    tenant = platform.api_key_tenant(call.principal)
    items = [wire.webhook_endpoint(e, platform.webhooks.status(tenant, e)) for e in found.data]
    return Reply(200, wire.page(items, found))


@HANDLERS.operation("getWebhook")
def get_webhook(platform: PlatformBackend, call: PlatformCall) -> Reply:
    endpoint = platform.webhooks.get(call.principal, call.path["webhook_id"])
    tenant = platform.api_key_tenant(call.principal)
    return Reply(200, wire.webhook_endpoint(endpoint, platform.webhooks.status(tenant, endpoint)))


@write("updateWebhook")
def update_webhook(platform: PlatformBackend, call: PlatformCall) -> Reply:
    endpoint = platform.webhooks.update(call.principal, call.path["webhook_id"], call.body or {})
    tenant = platform.api_key_tenant(call.principal)
    return Reply(200, wire.webhook_endpoint(endpoint, platform.webhooks.status(tenant, endpoint)))


@write("deleteWebhook")
def delete_webhook(platform: PlatformBackend, call: PlatformCall) -> Reply:
    platform.webhooks.delete(call.principal, call.path["webhook_id"])
    return Reply(204)


@HANDLERS.operation("testWebhook")
def test_webhook(platform: PlatformBackend, call: PlatformCall) -> Awaitable[Reply]:
    """Sent and answered synchronously: the one platform handler that waits (on the
    receiver, for the engine's timeout at most). Its Idempotency-Key is checked, not kept:
    a retried test sends another test event."""
    platform.idempotency.check(call)
    event_type = (call.body or {}).get("event_type")
    prepared = platform.webhooks.test(call.principal, call.path["webhook_id"], event_type)

    async def answer() -> Reply:
        return Reply(200, wire.webhook_test(await prepared.send()))

    return answer()


@HANDLERS.operation("listWebhookAttempts")
def list_webhook_attempts(platform: PlatformBackend, call: PlatformCall) -> Reply:
    q = call.query
    found = platform.webhooks.attempts(
        call.principal,
        call.path["webhook_id"],
        int(q.get("limit", 25)),
        _instant(q.get("before"), "before"),
        _instant(q.get("after"), "after"),
    )
    return Reply(200, {"data": [wire.webhook_attempt(d, a) for d, a in found]})


@write("replayWebhook")
def replay_webhook(platform: PlatformBackend, call: PlatformCall) -> Reply:
    body = call.body or {}
    platform.webhooks.replay(
        call.principal,
        call.path["webhook_id"],
        _instant(body.get("since"), "since"),
        _instant(body.get("until"), "until"),
    )
    return Reply(202)


@write("rotateWebhookSecret")
def rotate_webhook_secret(platform: PlatformBackend, call: PlatformCall) -> Reply:
    return Reply(200, {"secret": platform.webhooks.rotate(call.principal, call.path["webhook_id"])})
