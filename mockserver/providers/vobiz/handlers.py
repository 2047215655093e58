"""One handler per Vobiz operationId: read the validated call, run a use case, render.

`HANDLERS` serves the WhatsApp numbers API (specs/vobiz-numbers.yaml), `ACCOUNT_HANDLERS`
the account and phone-number API (specs/vobiz-account.yaml): two surfaces of one world.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mockserver.exchange import Call, Handlers, Reply
from mockserver.providers.vobiz import wire
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.channels import ChannelRequest
from mockserver.providers.vobiz.ledger import TransactionQuery
from mockserver.providers.vobiz.numbers import InventoryQuery
from mockserver.providers.vobiz.orders import OrderRequest

HANDLERS: Handlers[VobizBackend, VobizPrincipal] = Handlers()
ACCOUNT_HANDLERS: Handlers[VobizBackend, VobizPrincipal] = Handlers()
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


# --- the account and phone-number API -------------------------------------------------------


def path_number(raw: str) -> str:
    """A number in a path as `+` then its digits, however it was sent: `%2B...` decoded by
    the server, a raw `+` (the SDK), no plus, or a literal `%2B` (encoded twice)."""
    for prefix in ("+", "%2B", "%2b"):
        if raw.startswith(prefix):
            return "+" + raw[len(prefix) :]
    return "+" + raw


def exclusions(values: Iterable[str]) -> tuple[str, ...]:
    """`exclude` prefixes, repeated and/or comma-separated, with a `+` whether or not one
    was sent, each once; a prefix another one covers adds nothing."""
    prefixes = {
        "+" + part.strip().removeprefix("+") for value in values for part in value.split(",")
    }
    return tuple(
        sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    )


@ACCOUNT_HANDLERS.operation("listInventoryNumbers")
def list_inventory_numbers(vobiz: VobizBackend, call: VobizCall) -> Reply:
    q = call.query
    query = InventoryQuery(
        country=q.get("country"),
        search=q.get("search"),
        exclude=exclusions(q.get("exclude", ())),
        page=q.get("page", 1),
        per_page=q.get("per_page", 25),
    )
    page = vobiz.numbers.inventory(call.principal, call.path["authId"], query)
    items = [
        wire.inventory_number(item, vobiz.config.offers[item.country], _stocked_at(vobiz))
        for item in page.items
    ]
    body = {"items": items, "page": query.page, "per_page": query.per_page, "total": page.total}
    return Reply(200, body)


@ACCOUNT_HANDLERS.operation("purchaseNumberFromInventory")
def purchase_number_from_inventory(vobiz: VobizBackend, call: VobizCall) -> Reply:
    auth_id = call.path["authId"]
    bought = vobiz.numbers.purchase(
        call.principal, auth_id, call.body["e164"], call.body.get("currency")
    )
    number = wire.phone_number(bought, auth_id, vobiz.clock.now(), _stocked_at(vobiz), listed=False)
    return Reply(200, {"message": "Number purchased successfully", "number": number})


@ACCOUNT_HANDLERS.operation("listAccountNumbers")
def list_account_numbers(vobiz: VobizBackend, call: VobizCall) -> Reply:
    q, auth_id = call.query, call.path["authId"]
    # include_subaccounts is read and ignored: the mock has no sub-accounts.
    number, size = q.get("page", 1), q.get("per_page", 25)
    page = vobiz.numbers.owned(call.principal, auth_id, q.get("search"), number, size)
    now, stocked_at = vobiz.clock.now(), _stocked_at(vobiz)
    items = [
        wire.phone_number(number, auth_id, now, stocked_at, listed=True) for number in page.items
    ]
    body = {"items": items, "page": number, "per_page": size, "total": page.total}
    return Reply(200, body)


@ACCOUNT_HANDLERS.operation("releaseNumber")
def release_number(vobiz: VobizBackend, call: VobizCall) -> Reply:
    auth_id = call.path["authId"]
    released = vobiz.numbers.release(
        call.principal, auth_id, path_number(call.path["e164"]), call.query.get("immediate", False)
    )
    return Reply(200, wire.release(released, auth_id))


@ACCOUNT_HANDLERS.operation("cancelNumberRelease")
def cancel_number_release(vobiz: VobizBackend, call: VobizCall) -> Reply:
    result = vobiz.numbers.cancel_release(
        call.principal, call.path["authId"], path_number(call.path["e164"])
    )
    return Reply(200, wire.cancelled(result))


@ACCOUNT_HANDLERS.operation("assignNumberToTrunk")
def assign_number_to_trunk(vobiz: VobizBackend, call: VobizCall) -> Reply:
    vobiz.numbers.assign_trunk(
        call.principal,
        call.path["authId"],
        path_number(call.path["e164"]),
        call.body["trunk_group_id"],
    )
    return Reply(204)


@ACCOUNT_HANDLERS.operation("unassignNumberFromTrunk")
def unassign_number_from_trunk(vobiz: VobizBackend, call: VobizCall) -> Reply:
    vobiz.numbers.unassign_trunk(
        call.principal, call.path["authId"], path_number(call.path["e164"])
    )
    return Reply(204)


@ACCOUNT_HANDLERS.operation("attachNumberToApplication")
def attach_number_to_application(vobiz: VobizBackend, call: VobizCall) -> Reply:
    auth_id = call.path["authId"]
    number, app = vobiz.numbers.attach_application(
        call.principal, auth_id, path_number(call.path["e164"]), call.body["application_id"]
    )
    account = vobiz.account(call.principal)
    shown = wire.application(app, auth_id, account.created_at)
    return Reply(200, wire.routed("Number attached to application", number, shown))


@ACCOUNT_HANDLERS.operation("detachNumberFromApplication")
def detach_number_from_application(vobiz: VobizBackend, call: VobizCall) -> Reply:
    auth_id = call.path["authId"]
    number, app = vobiz.numbers.detach_application(
        call.principal, auth_id, path_number(call.path["e164"])
    )
    account = vobiz.account(call.principal)
    shown = None if app is None else wire.application(app, auth_id, account.created_at)
    return Reply(200, wire.routed("Number detached from application", number, shown))


@ACCOUNT_HANDLERS.operation("retrieveAccount")
def retrieve_account(vobiz: VobizBackend, call: VobizCall) -> Reply:
    vobiz.settle()
    account = vobiz.account(call.principal)
    return Reply(200, wire.account_details(account, vobiz.setup_of(account.auth_id)))


@ACCOUNT_HANDLERS.operation("listAccountTransactions")
def list_account_transactions(vobiz: VobizBackend, call: VobizCall) -> Reply:
    q = call.query
    # limit and offset (older docs, the SDK) are read and dropped, as the current server does.
    query = TransactionQuery(
        page=q.get("page", 1),
        per_page=q.get("per_page", 50),
        from_date=q.get("from_date"),
        to_date=q.get("to_date"),
        type=q.get("type"),
        status=q.get("status"),
        currency=q.get("currency"),
        reference_type=q.get("reference_type"),
        description=q.get("description"),
        reference=q.get("reference"),
        transaction_id=q.get("transaction_id"),
    )
    result = vobiz.ledger.transactions(call.principal, call.path["authId"], query)
    return Reply(200, wire.transactions(result))


@ACCOUNT_HANDLERS.operation("getAccountConcurrency")
def get_account_concurrency(vobiz: VobizBackend, call: VobizCall) -> Reply:
    vobiz.settle()
    account = vobiz.account_at(call.principal, call.path["authId"])
    setup = vobiz.setup_of(account.auth_id)
    return Reply(200, wire.concurrency(account, setup, call.request_id))


@ACCOUNT_HANDLERS.operation("getAccountBalance")
def get_account_balance(vobiz: VobizBackend, call: VobizCall) -> Reply:
    currency = call.path["currency"]
    account, wallet = vobiz.balance(call.principal, call.path["authId"], currency)
    return Reply(200, wire.balance(account, currency, wallet))


def _stocked_at(vobiz: VobizBackend) -> datetime:
    return vobiz.config.stocked_at or vobiz.clock.now()
