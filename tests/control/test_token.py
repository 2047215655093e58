"""The control token: with one set, the control plane answers only the harness that holds
it; health and the served specs stay open (for health checks and spec tools), and the
providers' own APIs are not affected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.client import AsyncMockControl, NumbersMockError
from tests.conftest import START
from tests.support.credentials import BIRD, STOCK

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(control_token=TOKEN), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


async def test_health_and_specs_stay_open(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/_mock/health")).status_code == 200
    assert (await guarded.get("/_mock/specs/control.json")).status_code == 200
    assert (await guarded.get(STOCK, headers=BIRD)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0000"}, {"Authorization": f"Basic {TOKEN}"}],
)
async def test_everything_else_needs_the_token(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/_mock/state"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/journal"),
        ("GET", "/_mock/otp?phone_number=%2B14155550123"),
        ("GET", "/_mock/wallets"),
        ("POST", "/_mock/clock/advance"),
    ]:
        refused = await guarded.request(method, path, headers=headers, json={"seconds": 1})
        assert refused.status_code == 401, (method, path)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["code"] == "control-token-required"
    clock = await guarded.get("/_mock/clock", headers={"Authorization": f"Bearer {TOKEN}"})
    assert clock.json()["now"] == "2026-03-01T10:00:00Z"  # nothing above moved it


async def test_the_control_client_sends_it(guarded: httpx.AsyncClient) -> None:
    with pytest.raises(NumbersMockError, match="401 control-token-required"):
        await AsyncMockControl(guarded).wallets()
    control = AsyncMockControl(guarded, token=TOKEN)
    assert (await control.advance(5))["now"] == "2026-03-01T10:00:05Z"
    await control.reset()
