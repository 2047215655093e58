"""Bird's official SDK (`messagebird-sdk`, module `bird`) against a live mock, unchanged:
every resource of issue 16's table through `bird.Bird(api_key=..., base_url=...)` over a
real socket, each response parsed into the SDK's own (strict) pydantic models, and the
error cases raising the SDK's exception classes with the platform's code and param."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bird import APIStatusError, ValidationError
from bird._generated import (
    AvailableNumber,
    BillingWallet,
    Number,
    NumbersOrder,
    SMSSender,
    VoiceInboundConfigurationPut,
    VoiceNumber,
    WhatsAppNumber,
    WhatsAppNumberEvent,
)

from tests.providers.bird.platform_helpers import KEY, live_mock

pytestmark = pytest.mark.socket


def test_every_resource_of_the_sdk_runs_against_a_live_mock() -> None:
    with live_mock() as live, live.client() as client:
        # numbers.available: a page, the next one by iterating, and a re-check.
        page = client.numbers.available.list(country_code="GB", number_type="mobile", limit=2)
        assert len(page.data) == 2
        assert all(isinstance(a, AvailableNumber) for a in page.data)
        assert page.has_next_page()
        first_five = [a.number for _, a in zip(range(5), page, strict=False)]
        assert len(set(first_five)) == 5
        assert first_five == sorted(first_five)
        [whatsapp_item] = live.stock(
            "GB", lambda i: i.type == "mobile" and "whatsapp" in i.features
        )
        checked = client.numbers.available.get(whatsapp_item.number)
        assert checked.pricing is not None
        assert checked.pricing.recurring_price is not None

        # numbers.orders: created inline, listed, read.
        order = client.numbers.orders.create(number=checked.number, reference="  STORE-042 ")
        assert isinstance(order, NumbersOrder)
        assert order.status == "completed"
        assert order.number_id is not None
        assert [o.id for o in client.numbers.orders.list(status="completed")] == [order.id]
        assert client.numbers.orders.get(order.id).number_id == order.number_id

        # numbers: listed (the shared number too), read, named, cancelled, released.
        held = {n.id: n for n in client.numbers.list()}
        assert {n.kind.value for n in held.values()} == {"dedicated", "shared"}
        number = client.numbers.get(order.number_id)
        assert isinstance(number, Number)
        assert number.reference == "STORE-042"
        assert number.status.value == "active"
        assert number.pricing is not None
        renamed = client.numbers.update(order.number_id, name="Support line")
        assert renamed.name == "Support line"
        assert renamed.reference == "STORE-042"
        assert client.numbers.update(order.number_id, reference=None).reference is None
        cancelled = client.numbers.cancel(order.number_id)
        assert cancelled.releases_at is not None
        assert cancelled.status.value == "active"
        assert client.numbers.cancel(order.number_id).releases_at == cancelled.releases_at

        # whatsapp.numbers: the held number's WhatsApp connection, and its history.
        [wan] = list(client.whatsapp.numbers.list(include_total=True))
        assert isinstance(wan, WhatsAppNumber)
        assert wan.status == "preparing"
        live.clock.advance(timedelta(seconds=20))
        awaiting = client.whatsapp.numbers.get(wan.id)
        assert awaiting.status == "awaiting_signup"
        assert awaiting.finish_setup_url
        live.clock.advance(timedelta(minutes=5))
        assert client.whatsapp.numbers.get(wan.id).status == "connected"
        events = list(client.whatsapp.numbers.list_events(wan.id))
        assert all(isinstance(e, WhatsAppNumberEvent) for e in events)
        assert [e.metadata.get("to") for e in events[:-1]] == [
            "connected",
            "pending",
            "awaiting_signup",
            "preparing",
        ]

        # voice.numbers: listed, read, routed and named.
        [voice] = list(client.voice.numbers.list())
        assert isinstance(voice, VoiceNumber)
        assert voice.provider.root.type == "allocation"
        assert client.voice.numbers.get(voice.id).phone_number == whatsapp_item.number
        route = {"type": "forward", "forward_to": "+447700900123", "forward_as": "dialed_number"}
        inbound = VoiceInboundConfigurationPut.model_validate({"route": route})
        routed = client.voice.numbers.update(voice.id, name="Desk", inbound_configuration=inbound)
        assert routed.name == "Desk"
        assert routed.inbound_configuration.route is not None

        # sms.senders: the number's own sender, a claimed alphanumeric one.
        [own] = list(client.sms_senders.list(number_id=order.number_id))
        assert isinstance(own, SMSSender)
        assert own.status == "active"
        alpha = client.sms_senders.create(type="alpha", sender="ACME")
        assert alpha.status == "pending_registrations"
        assert client.sms_senders.get(alpha.id).sender == "ACME"
        counted = client.sms_senders.list(include_total=True).response
        assert counted is not None
        assert counted["total"] == 3

        # numbers.release: the number is gone now, and back on sale.
        client.numbers.release(order.number_id)
        assert client.numbers.get(order.number_id).status.value == "released"
        assert client.numbers.available.get(whatsapp_item.number).number == whatsapp_item.number

    # billing.wallets, with the organization's OAuth token: one setup fee, one month paid.
    with live_mock() as live, live.client() as client, live.client(f"boa_{KEY}") as billing:
        [wallet] = billing.billing_wallets.list().data
        assert isinstance(wallet, BillingWallet)
        assert wallet.balance == "100.00"
        [item] = live.stock("NL", lambda i: i.type == "mobile")
        client.numbers.orders.create(number=item.number)
        assert billing.billing_wallets.list().data[0].balance == "95.50"  # 1.00 + 3.50


def test_errors_raise_the_sdks_exceptions_with_the_platforms_code_and_param() -> None:
    with live_mock() as live, live.client() as client:
        # Insufficient funds: 402 billing_error, nothing charged, no order kept.
        live.set_wallet("2.00")
        [item] = live.stock("GB", lambda i: i.type == "mobile")
        with pytest.raises(APIStatusError) as funds:
            client.numbers.orders.create(number=item.number)
        assert (funds.value.status_code, funds.value.type, funds.value.code) == (
            402,
            "billing_error",
            "E14005",
        )
        assert funds.value.next
        assert funds.value.next[0].kind == "external"
        assert live.wallet() == "2.00"
        assert list(client.numbers.orders.list()) == []

        # An unknown id: 404 not_found_error naming the path parameter.
        with pytest.raises(APIStatusError) as unknown:
            client.numbers.get("nda_" + "0" * 26)
        assert (unknown.value.status_code, unknown.value.code, unknown.value.param) == (
            404,
            "E01008",
            "number_id",
        )

        # Invalid parameters: a missing required one, and one the operation does not declare.
        with pytest.raises(ValidationError) as missing:
            client.numbers.available.list(country_code=None)
        assert missing.value.code == "E01001"
        assert [d.param for d in missing.value.details] == ["country_code"]
        with pytest.raises(ValidationError) as undeclared:
            client.numbers.list(options={"extra_query": {"include_total": "true"}})
        assert [d.param for d in undeclared.value.details] == ["include_total"]
        assert undeclared.value.param == "include_total"
        with pytest.raises(ValidationError) as cursor:
            client.numbers.orders.list(starting_after="not-a-cursor-of-ours")
        assert cursor.value.code == "E01012"
        assert [d.param for d in cursor.value.details] == ["starting_after"]

        # The same Idempotency-Key for a different request: 409 E01005.
        live.set_wallet("50.00")
        first, second = live.stock("GB", lambda i: i.type == "mobile", count=2)
        client.numbers.orders.create(number=first.number, options={"idempotency_key": "k-1"})
        with pytest.raises(APIStatusError) as reuse:
            client.numbers.orders.create(number=second.number, options={"idempotency_key": "k-1"})
        assert (reuse.value.status_code, reuse.value.type, reuse.value.code) == (
            409,
            "conflict_error",
            "E01005",
        )

        # Bird's own refusals: a shared number (E14002), a number sold (E14001), wallets
        # with an API key (403), a sender claimed twice (E17002).
        [shared] = [n for n in client.numbers.list() if n.kind.value == "shared"]
        with pytest.raises(APIStatusError) as release:
            client.numbers.release(shared.id)
        assert (release.value.status_code, release.value.code) == (409, "E14002")
        with pytest.raises(APIStatusError) as sold:
            client.numbers.orders.create(number=first.number)
        assert (sold.value.code, sold.value.param) == ("E14001", "number")
        with pytest.raises(APIStatusError) as forbidden:
            client.billing_wallets.list()
        assert (forbidden.value.status_code, forbidden.value.type) == (403, "permission_error")
        client.sms_senders.create(type="alpha", sender="Acme")
        with pytest.raises(APIStatusError) as twice:
            client.sms_senders.create(type="alpha", sender="ACME")
        assert (twice.value.status_code, twice.value.code) == (409, "E17002")
