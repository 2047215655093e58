"""Deliveries under stress (issue 17): delivery faults (drop, delay, duplicate) so a team can
test that its handler is idempotent on `messagebird-request-id`; pending deliveries across a
state dump, a reset and a restore; a delivery the mock itself fails to make; and a receiver
that never answers, which must not hold up request handling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.webhooks import engine
from tests.conftest import START
from tests.providers.bird.test_webhooks import (
    EVENT,
    HOOKS,
    KEY,
    _plain,
    advance,
    buy_plain,
    inbox,
    stages,
    subscribe,
)
from tests.support.credentials import BIRD, LONG_CODES
from tests.support.live import serve
from tests.webhooks.independent import bird_valid


async def deliveries(client: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get("/_mock/webhooks/deliveries", params=filters)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["deliveries"]
    return found


async def fault(client: httpx.AsyncClient, **body: Any) -> str:
    created = await client.post("/_mock/faults", json={"provider": "bird", **body})
    assert created.status_code == 201, created.text
    fault_id: str = created.json()["faults"][0]["id"]
    return fault_id


async def test_a_dropped_delivery_is_recorded_and_never_sent(client: httpx.AsyncClient) -> None:
    await subscribe(client, "http://mock/_mock/inbox/drop")
    fault_id = await fault(client, delivery="drop", event=EVENT)
    await buy_plain(client)
    await advance(client, 1)
    assert await inbox(client, "drop") == []
    [dropped] = await deliveries(client)
    assert dropped["status"] == "dropped"
    [attempt] = dropped["attempts"]
    assert (attempt["outcome"], attempt["fault"], attempt["statusCode"]) == (
        "dropped",
        fault_id,
        None,
    )
    # The fault gone, the next change is delivered.
    assert (await client.delete(f"/_mock/faults/{fault_id}")).status_code == 204
    await advance(client, 5)
    assert stages(await inbox(client, "drop")) == [
        ("processing", "provisioning"),
        ("fulfilled", "provisioned"),
    ]


async def test_a_duplicated_delivery_arrives_twice_with_one_request_id(
    client: httpx.AsyncClient,
) -> None:
    await subscribe(client, "http://mock/_mock/inbox/dup")
    fault_id = await fault(client, delivery="duplicate")
    await buy_plain(client)
    first, second = await inbox(client, "dup")
    assert first["body"] == second["body"]
    request_id = first["headers"]["messagebird-request-id"]
    assert second["headers"]["messagebird-request-id"] == request_id
    for message in (first, second):
        assert bird_valid(message["headers"], message["body"].encode(), message["url"], KEY)
    [delivery] = await deliveries(client)
    assert delivery["id"] == request_id
    assert delivery["status"] == "delivered"
    assert [(a["duplicate"], a["fault"]) for a in delivery["attempts"]] == [
        (False, fault_id),
        (True, fault_id),
    ]


async def test_a_delayed_delivery_arrives_later_out_of_order(client: httpx.AsyncClient) -> None:
    await subscribe(client, "http://mock/_mock/inbox/late")
    fault_id = await fault(client, delivery="delay", delaySeconds=60)
    await buy_plain(client)  # its event is held for a minute of mock time
    await client.post("/_mock/webhooks/drain", json={})  # the fault is drawn at the attempt
    await client.delete(f"/_mock/faults/{fault_id}")
    assert await inbox(client, "late") == []
    await advance(client, 10)  # the order's changes are not held up behind it
    assert stages(await inbox(client, "late")) == [
        ("processing", "provisioning"),
        ("fulfilled", "provisioned"),
    ]
    await advance(client, 60)
    assert stages(await inbox(client, "late"))[-1] == ("submitted", "provisioning")
    delayed = (await deliveries(client))[-1]
    assert delayed["status"] == "delivered"
    assert [a["at"] for a in delayed["attempts"]] == ["2026-03-01T10:01:00Z"]


async def test_pending_deliveries_survive_a_dump_reset_and_restore(
    client: httpx.AsyncClient,
) -> None:
    created = await subscribe(client, "http://mock/_mock/inbox/kept")
    await client.post("/_mock/webhooks/pause", json={})
    await buy_plain(client)
    dump = (await client.get("/_mock/state", params={"secrets": "true"})).json()
    [pending] = dump["webhooks"]["deliveries"]
    assert pending["status"] == "pending"
    assert (await client.post("/_mock/reset")).status_code == 200
    assert await deliveries(client) == []
    assert (await client.get(HOOKS, headers=BIRD)).json()["results"] == []
    assert (await client.put("/_mock/state", json=dump)).status_code == 200
    # The subscription and its pending delivery are back; the pause was the harness's (a
    # reset lifts it, a restore does not bring it back), so it goes out at once.
    listed = (await client.get(HOOKS, headers=BIRD)).json()["results"]
    assert [s["id"] for s in listed] == [created["id"]]
    [message] = await inbox(client, "kept")
    assert message["headers"]["messagebird-request-id"] == pending["id"]
    assert message["verification"]["valid"] is True


async def test_an_attempt_the_mock_fails_to_make_is_a_failed_attempt_and_retried(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = engine.signing.sign
    calls: list[int] = []

    def broken_once(*args: Any) -> list[tuple[str, str]]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("signing broke")
        return real(*args)

    monkeypatch.setattr(engine.signing, "sign", broken_once)
    await subscribe(client, "http://mock/_mock/inbox/broken")
    await buy_plain(client)  # answered 201: the request never sees the failure
    await advance(client, 1)
    [delivery] = await deliveries(client)
    [attempt] = delivery["attempts"]
    assert attempt["outcome"] == "failed"
    assert "signing broke" in attempt["error"]
    assert attempt["nextAttemptAt"] == "2026-03-01T10:00:30Z"
    await advance(client, 30)
    assert (await deliveries(client))[-1]["status"] == "delivered"


class _Silent:
    """A receiver that holds every request until the test releases it."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        arrived, release = self.arrived, self.release

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                arrived.set()
                release.wait(10)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def silent() -> Iterator[_Silent]:
    receiver = _Silent()
    yield receiver
    receiver.close()


@pytest.mark.socket
def test_a_receiver_that_never_answers_holds_up_no_request(silent: _Silent) -> None:
    """The delivery waits for its receiver on the server's event loop, beside requests: they
    are answered while the receiver still holds the delivery, and the attempt ends after
    --webhook-timeout as a failed attempt with its retry."""
    clock = ManualClock(START)
    settings = Settings(seed=1, validate_responses=True, webhook_timeout=1)
    app: Starlette = create_app(settings, clock=clock)
    with serve(app) as url, httpx.Client(base_url=url) as http:
        body = {"service": "numbers", "event": EVENT, "url": silent.url, "signingKey": KEY}
        assert http.post(HOOKS, json=body, headers=BIRD).status_code == 201
        item = _plain(http)
        bought = http.post(LONG_CODES, json={"numberStockItemIds": [item["id"]]}, headers=BIRD)
        assert bought.status_code == 201
        assert silent.arrived.wait(5), "the delivery never reached the receiver"
        for _ in range(5):
            assert http.get("/_mock/health").status_code == 200
            assert http.get(HOOKS, headers=BIRD).status_code == 200
        assert not silent.release.is_set()  # all answered while the receiver held on
        assert http.post("/_mock/webhooks/drain", json={"timeout": 5}).json()["idle"]
        [delivery] = http.get("/_mock/webhooks/deliveries").json()["deliveries"]
        silent.release.set()
    [attempt] = delivery["attempts"]
    assert attempt["outcome"] == "failed"
    assert attempt["error"].startswith("no answer within 1 s")
    assert attempt["nextAttemptAt"] == "2026-03-01T10:00:30Z"
    assert delivery["status"] == "pending"
    assert app.state.mock.failures == []
