"""Tiny: a fresh mock per test on a manual clock, through httpx against the ASGI app.

Response validation is on for the whole suite; a response that broke the spec is
recorded by the edge and fails the test that caused it, even if it asserted an error.
Coroutine tests run on anyio's pytest plugin (anyio_mode = auto, asyncio backend).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, settings
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app

settings.register_profile(
    "ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile("ci")

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(clock: ManualClock) -> Starlette:
    return create_app(Settings(seed=1, validate_responses=True), clock=clock)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        yield http
    failures = app.state.mock.failures
    assert not failures, f"responses broke the spec: {[str(f) for f in failures]}"
