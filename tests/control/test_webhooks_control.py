"""The control plane's webhook operations without any provider's events (issue 17): the
inbox (keeps what it receives, says whether a signature checks out, answers as told, lets a
test wait), the engine's summary, pauses, the delivery faults' checks, and what is unknown."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

SUMMARY_KEYS = {"policy", "paused", "counts", "inboxes"}


async def test_the_inbox_keeps_what_it_receives_and_says_it_is_unsigned(
    client: httpx.AsyncClient,
) -> None:
    sent = await client.post("/_mock/inbox/plain", json={"hello": "world"})
    assert sent.status_code == 200
    assert sent.json() == {"received": 1, "verified": None}
    inbox = (await client.get("/_mock/inbox/plain")).json()
    [message] = inbox["messages"]
    assert (inbox["name"], inbox["received"]) == ("plain", 1)
    assert message["json"] == {"hello": "world"}
    assert message["url"] == "http://mock/_mock/inbox/plain"
    assert message["verification"]["scheme"] is None
    assert message["verification"]["valid"] is None
    assert message["status"] == 200


async def test_a_signature_from_no_subscription_of_this_mock_is_not_judged(
    client: httpx.AsyncClient,
) -> None:
    headers = {"webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}
    sent = await client.post("/_mock/inbox/stranger", json={}, headers=headers)
    assert sent.json()["verified"] is None
    [message] = (await client.get("/_mock/inbox/stranger")).json()["messages"]
    assert message["verification"]["scheme"] == "standard-webhooks"
    assert "no subscription" in message["verification"]["detail"]


async def test_the_inbox_answers_as_configured_then_200(client: httpx.AsyncClient) -> None:
    configured = await client.put("/_mock/inbox/flaky", json={"respond": [500, 503]})
    assert configured.json()["respond"] == [500, 503]
    statuses = [
        (await client.post("/_mock/inbox/flaky", json={"n": n})).status_code for n in range(3)
    ]
    assert statuses == [500, 503, 200]
    messages = (await client.get("/_mock/inbox/flaky", params={"after": 1})).json()["messages"]
    assert [(m["seq"], m["status"]) for m in messages] == [(2, 503), (3, 200)]
    assert (await client.delete("/_mock/inbox/flaky")).status_code == 204
    emptied = (await client.get("/_mock/inbox/flaky")).json()
    assert (emptied["received"], emptied["messages"]) == (0, [])


async def test_waiting_on_the_inbox_answers_when_a_message_arrives(
    client: httpx.AsyncClient,
) -> None:
    waiting = asyncio.ensure_future(client.get("/_mock/inbox/later", params={"wait": 10}))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await client.post("/_mock/inbox/later", json={"late": True})
    answered = await asyncio.wait_for(waiting, 5)
    assert [m["json"] for m in answered.json()["messages"]] == [{"late": True}]
    # Nothing new: the wait runs out and the answer is empty.
    empty = await client.get("/_mock/inbox/later", params={"after": 1, "wait": 0.05})
    assert empty.json()["messages"] == []


async def test_the_engine_summary_pause_and_resume(client: httpx.AsyncClient) -> None:
    summary = (await client.get("/_mock/webhooks")).json()
    assert set(summary) == SUMMARY_KEYS
    assert summary["policy"]["retryIntervalsSeconds"] == [30, 120, 600, 1800, 3600, 7200, 14400]
    assert summary["policy"]["egress"] == "private"
    assert summary["counts"]["pending"] == 0
    paused = await client.post("/_mock/webhooks/pause", json={"provider": "bird", "tenant": "t"})
    assert paused.json()["paused"] == [{"provider": "bird", "tenant": "t"}]
    await client.post("/_mock/webhooks/pause", json={})
    other = await client.post("/_mock/webhooks/resume", json={"provider": "bird", "tenant": "t"})
    assert other.json()["paused"] == [{}]
    assert (await client.post("/_mock/webhooks/resume", json={})).json()["paused"] == []
    drained = (await client.post("/_mock/webhooks/drain", json={"timeout": 1})).json()
    assert drained["idle"] is True


async def test_an_unknown_delivery_is_404(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/_mock/webhooks/deliveries/nope"),
        ("POST", "/_mock/webhooks/deliveries/nope/redeliver"),
    ):
        answer = await client.request(method, path)
        assert answer.status_code == 404, answer.text
        assert "nope" in answer.json()["detail"]
    assert (await client.get("/_mock/webhooks/deliveries")).json() == {"deliveries": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery": "drop", "status": 500}, "/status"),
        ({"delivery": "drop", "operationId": "x"}, "/operationId"),
        ({"delivery": "duplicate", "delaySeconds": 5}, "/delaySeconds"),
        ({"event": "endpoint.updated", "status": 500}, "/event"),
    ],
)
async def test_a_delivery_fault_acts_on_deliveries_only(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    refused = await client.post("/_mock/faults", json=body)
    assert refused.status_code == 422, refused.text
    assert field in {e["path"] for e in refused.json()["errors"]}


async def test_a_delivery_fault_is_listed_with_its_matchers(client: httpx.AsyncClient) -> None:
    body = {"delivery": "delay", "provider": "bird", "event": "endpoint.updated"}
    created = await client.post("/_mock/faults", json=body)
    assert created.status_code == 201, created.text
    [fault] = (await client.get("/_mock/faults")).json()["faults"]
    assert (fault["delivery"], fault["delaySeconds"], fault["event"]) == (
        "delay",
        60,
        "endpoint.updated",
    )


async def test_a_tenant_no_provider_sends_events_to_is_404(
    client: httpx.AsyncClient,
) -> None:
    body = {"provider": "vobiz", "tenant": "MA_NOBODY", "type": "sms.received"}
    answer = await client.post("/_mock/webhooks/events", json=body)
    assert answer.status_code == 404, answer.text
