"""`--cors`: off by default (an OPTIONS request is the provider's 405, as before); on, a
browser's preflight is answered and every answer allows any origin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.cli import parse_settings
from tests.conftest import START
from tests.support.credentials import BIRD, STOCK

ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-auth-token",
}


async def client_for(cors: bool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(cors=cors, control_token="s3cret-token"), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


@pytest.fixture
async def with_cors() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(True):
        yield client


@pytest.fixture
async def without_cors() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(False):
        yield client


@pytest.mark.parametrize(
    "path", [STOCK, "/api/v1/messaging/numbers/whatsapp/orders", "/_mock/reset"]
)
async def test_a_preflight_is_answered_for_any_path(
    with_cors: httpx.AsyncClient, path: str
) -> None:
    answer = await with_cors.options(path, headers=PREFLIGHT)
    assert answer.status_code == 204
    assert answer.content == b""
    headers = answer.headers
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"].split(", ")
    # Authorization is never covered by `*`: the headers asked for are named.
    assert headers["access-control-allow-headers"] == PREFLIGHT["Access-Control-Request-Headers"]
    assert int(headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in headers


async def test_every_answer_allows_any_origin_and_shows_its_headers(
    with_cors: httpx.AsyncClient,
) -> None:
    found = await with_cors.get(STOCK, headers={**BIRD, "Origin": ORIGIN})
    refused = await with_cors.get(STOCK, headers={"Origin": ORIGIN})
    control = await with_cors.get("/_mock/journal", headers={"Origin": ORIGIN})
    assert (found.status_code, refused.status_code, control.status_code) == (200, 401, 401)
    for answer in (found, refused, control):
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-expose-headers"] == "*"
        assert answer.headers["x-request-id"]


async def test_an_options_request_that_is_no_preflight_reaches_the_provider(
    with_cors: httpx.AsyncClient,
) -> None:
    answer = await with_cors.options(STOCK, headers=BIRD)
    assert answer.status_code == 405
    assert answer.headers["access-control-allow-origin"] == "*"


async def test_off_by_default_nothing_changes(without_cors: httpx.AsyncClient) -> None:
    assert Settings().cors is False
    preflight = await without_cors.options(STOCK, headers=PREFLIGHT)
    assert preflight.status_code == 405
    found = await without_cors.get(STOCK, headers={**BIRD, "Origin": ORIGIN})
    assert found.status_code == 200
    assert not [name for name in found.headers if name.startswith("access-control-")]


def test_the_flag_and_its_variable() -> None:
    assert parse_settings(["--cors"], {}).cors is True
    assert parse_settings(["--cors", "false"], {"MOCKSERVER_CORS": "true"}).cors is False
    assert parse_settings([], {"MOCKSERVER_CORS": "true"}).cors is True
    assert parse_settings([], {}).cors is False
