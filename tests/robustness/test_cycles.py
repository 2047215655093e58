"""A refused request leaves nothing for the cycle collector that grows with what it sent.

The soak (bench/soak.py) found RSS climbing by hundreds of MiB under hostile traffic: a
refused request kept its MockError on the exchange, whose traceback holds the edge's frame,
which holds the exchange: a cycle that kept the request's whole parsed body (100,000 ids)
alive until a full collection, which the server's GC settings make rare
(serving.keep_gc_pauses_short). Counted with the collector off, so no timing is involved.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from mockserver import Settings, create_app
from mockserver.logs import ACCESS_LOGGER
from mockserver.transport import sync_asgi_transport
from tests.support.credentials import BIRD, LONG_CODES


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    app = create_app(Settings())
    with (
        sync_asgi_transport(app) as transport,
        httpx.Client(transport=transport, base_url="http://mock") as client,
    ):
        yield client


def garbage_of_refused_buys(http: httpx.Client, ids: int, times: int = 5) -> int:
    """Objects the cycle collector finds after `times` buys of `ids` invalid ids (422)."""
    body = json.dumps({"numberStockItemIds": ["x"] * ids})
    headers = {**BIRD, "content-type": "application/json"}
    assert http.post(LONG_CODES, content=body, headers=headers).status_code == 422  # warm
    gc.collect()
    gc.disable()
    try:
        for _ in range(times):
            assert http.post(LONG_CODES, content=body, headers=headers).status_code == 422
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG], ids=["warning", "debug"])
def test_a_refused_requests_body_is_freed_without_the_cycle_collector(
    http: httpx.Client, level: int
) -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    before = access.level
    access.setLevel(level)  # debug: the access line's problems are worked out too
    try:
        small = garbage_of_refused_buys(http, ids=10)
        large = garbage_of_refused_buys(http, ids=2000)
    finally:
        access.setLevel(before)
    assert large == small, f"{large} objects in cycles after large bodies, {small} after small"
