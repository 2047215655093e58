"""Soak (issue 17): ten minutes of mock time of events to an endpoint that refuses every
connection keep the engine's memory flat. The first delivery is retried on its schedule,
the ones behind it wait in its subscription's queue up to `Policy.queue`, beyond which a new
one fails at once; finished deliveries are pruned beyond `--webhook-history`. So the
deliveries kept, and the memory they take, stop growing once both bounds are reached.

A run of real minutes, with the traffic of a CI run beside it, is bench/soak.py's."""

from __future__ import annotations

import gc
import socket
import tracemalloc
from datetime import UTC, datetime

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.transport import sync_asgi_transport
from mockserver.webhooks.models import Policy

KEY = "bk_eu1_soak_test_key_000000000000001"
EVENTS_PER_SECOND = 4
HISTORY = 300


def dead_url() -> str:
    """A loopback port nothing listens on: every connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.mark.slow
def test_a_dead_endpoint_for_ten_minutes_keeps_memory_flat() -> None:
    queue = Policy().queue
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    app = create_app(Settings(seed=3, webhook_history=HISTORY), clock=clock)
    engine = app.state.mock.webhooks
    kept: list[int] = []
    memory: list[int] = []
    with (
        sync_asgi_transport(app) as transport,
        httpx.Client(transport=transport, base_url="http://mock") as http,
    ):
        headers = {"Authorization": f"Bearer {KEY}"}
        body = {"events": ["sms.received"], "url": dead_url()}
        assert http.post("/v1/webhooks", json=body, headers=headers).status_code == 201
        event = {"provider": "bird", "tenant": KEY, "type": "sms.received", "data": {"n": 1}}
        tracemalloc.start()
        try:
            for second in range(600):
                for _ in range(EVENTS_PER_SECOND):
                    assert http.post("/_mock/webhooks/events", json=event).status_code == 201
                assert http.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200
                if second % 60 == 59:
                    assert http.post("/_mock/webhooks/drain", json={"timeout": 10}).json()["idle"]
                    gc.collect()
                    kept.append(len(engine.state.deliveries))
                    memory.append(tracemalloc.get_traced_memory()[0])
        finally:
            tracemalloc.stop()
        counts = http.get("/_mock/webhooks").json()["counts"]
    # 2400 events: the queue filled after 250 s, the history after 325 s more.
    assert kept[-1] == queue + HISTORY
    assert kept[-3:] == [queue + HISTORY] * 3
    assert counts["pending"] == queue
    head = min(engine.state.deliveries.values(), key=lambda d: d.serial)
    # Retried at 0, 30 s, 2 min 30 s: still pending, its next attempt at 12 min 30 s.
    assert [a.outcome for a in head.attempts] == ["failed"] * 3
    assert all(len(d.attempts) <= 1 for d in engine.state.deliveries.values() if d is not head)
    # Flat: the last three minutes add no more than 5 % to what minute 7 held.
    assert memory[-1] <= memory[-4] * 1.05, memory
    assert app.state.mock.failures == []
