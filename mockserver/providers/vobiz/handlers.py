"""One handler per Vobiz operationId: read the validated call, run a use case, render."""

from __future__ import annotations

from mockserver.exchange import Call, Handlers, Reply
from mockserver.providers.vobiz import wire
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.channels import ChannelRequest
from mockserver.providers.vobiz.orders import OrderRequest

HANDLERS: Handlers[VobizBackend, VobizPrincipal] = Handlers()
VobizCall = Call[VobizPrincipal]


@HANDLERS.operation("listWhatsAppNumberAvailability")
def list_whatsapp_number_availability(vobiz: VobizBackend, call: VobizCall) -> Reply:
    q = call.query
    country = q["country"]
    numbers = vobiz.orders.availability(
        call.principal, country, q.get("region"), int(q.get("limit", 20))
    )
    offer = vobiz.config.offers.get(country)
    items = [wire.available_number(n, offer) for n in numbers] if offer else []
    return Reply(200, {"items": items})


@HANDLERS.operation("createWhatsAppNumberOrder")
def create_whatsapp_number_order(vobiz: VobizBackend, call: VobizCall) -> Reply:
    b = call.body
    request = OrderRequest(
        country=b["country_code"],
        region=b["region"],
        number_type=b["number_type"],
        currency=b["currency"],
        preferred_number=b.get("preferred_number"),
    )
    order = vobiz.orders.create(call.principal, request)
    return Reply(201, wire.order(order, vobiz.clock.now(), vobiz.config.provider_name))


@HANDLERS.operation("listWhatsAppNumberOrders")
def list_whatsapp_number_orders(vobiz: VobizBackend, call: VobizCall) -> Reply:
    orders = vobiz.orders.all(call.principal, call.query.get("status"))
    now = vobiz.clock.now()
    return Reply(200, {"items": [wire.order(o, now, vobiz.config.provider_name) for o in orders]})


@HANDLERS.operation("getWhatsAppNumberOrder")
def get_whatsapp_number_order(vobiz: VobizBackend, call: VobizCall) -> Reply:
    order = vobiz.orders.get(call.principal, call.path["orderId"])
    return Reply(200, wire.order(order, vobiz.clock.now(), vobiz.config.provider_name))


@HANDLERS.operation("cancelWhatsAppNumberOrder")
def cancel_whatsapp_number_order(vobiz: VobizBackend, call: VobizCall) -> Reply:
    order = vobiz.orders.cancel(call.principal, call.path["orderId"])
    return Reply(200, wire.order(order, vobiz.clock.now(), vobiz.config.provider_name))


@HANDLERS.operation("verifyByonNumber")
def verify_byon_number(vobiz: VobizBackend, call: VobizCall) -> Reply:
    b = call.body
    verification = vobiz.byon.verify(call.principal, b["phone_number"], b["verification_method"])
    return Reply(200, wire.verification(verification, vobiz.clock.now()))


@HANDLERS.operation("confirmByonNumber")
def confirm_byon_number(vobiz: VobizBackend, call: VobizCall) -> Reply:
    verification = vobiz.byon.confirm(
        call.principal, call.body["phone_number"], call.body["otp_code"]
    )
    return Reply(200, wire.confirmation(verification, vobiz.clock.now()))


@HANDLERS.operation("createWhatsAppChannel")
def create_whatsapp_channel(vobiz: VobizBackend, call: VobizCall) -> Reply:
    b = call.body
    request = ChannelRequest(
        waba_id=b["waba_id"],
        phone_number_id=b.get("phone_number_id"),
        phone_number=b["phone_number"],
        onboarding_mode=b["number_onboarding_mode"],
        number_provider=b["number_provider"],
        number_order_id=b.get("number_order_id"),
        access_token=b["access_token"],
        display_name=b["display_name"],
    )
    return Reply(201, wire.channel(vobiz.channels.create(call.principal, request)))


@HANDLERS.operation("listWhatsAppChannels")
def list_whatsapp_channels(vobiz: VobizBackend, call: VobizCall) -> Reply:
    return Reply(200, {"items": [wire.channel(c) for c in vobiz.channels.all(call.principal)]})


@HANDLERS.operation("getWhatsAppChannel")
def get_whatsapp_channel(vobiz: VobizBackend, call: VobizCall) -> Reply:
    return Reply(200, wire.channel(vobiz.channels.get(call.principal, call.path["channelId"])))


@HANDLERS.operation("updateWhatsAppChannel")
def update_whatsapp_channel(vobiz: VobizBackend, call: VobizCall) -> Reply:
    b = call.body
    channel = vobiz.channels.update(
        call.principal, call.path["channelId"], b.get("display_name"), b.get("access_token")
    )
    return Reply(200, wire.channel(channel))


@HANDLERS.operation("deleteWhatsAppChannel")
def delete_whatsapp_channel(vobiz: VobizBackend, call: VobizCall) -> Reply:
    vobiz.channels.delete(call.principal, call.path["channelId"])
    return Reply(204)


@HANDLERS.operation("getAccountBalance")
def get_account_balance(vobiz: VobizBackend, call: VobizCall) -> Reply:
    currency = call.path["currency"]
    account, wallet = vobiz.balance(call.principal, call.path["authId"], currency)
    return Reply(200, wire.balance(account, currency, wallet))
