"""`--journal-size 0` (MOCKSERVER_JOURNAL_SIZE=0) turns the journal off: nothing is
recorded, the journal's operations say why they are empty, and the dashboard still renders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.cli import parse_settings
from tests.conftest import START
from tests.support.credentials import BIRD, STOCK
from tests.ui.test_pages import accessible, page


@pytest.fixture
async def off() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(journal_size=0), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


def test_zero_is_accepted_by_flag_and_variable_and_negative_is_not() -> None:
    assert parse_settings(["--journal-size", "0"], {}).journal_size == 0
    assert parse_settings([], {"MOCKSERVER_JOURNAL_SIZE": "0"}).journal_size == 0


async def test_nothing_is_recorded_and_the_list_says_why(off: httpx.AsyncClient) -> None:
    served = await off.get(STOCK, headers=BIRD)
    assert served.status_code == 200
    journal = (await off.get("/_mock/journal")).json()
    assert journal["entries"] == []
    assert (journal["capacity"], journal["recorded"], journal["enabled"]) == (0, 0, False)
    assert "--journal-size 0" in journal["note"]
    assert "MOCKSERVER_JOURNAL_SIZE=0" in journal["note"]
    entry = await off.get(f"/_mock/journal/{served.headers['x-request-id']}")
    assert entry.status_code == 404
    assert "the journal is off" in entry.json()["detail"]
    assert (await off.delete("/_mock/journal")).status_code == 204


async def test_an_enabled_journal_says_so(client: httpx.AsyncClient) -> None:
    journal = (await client.get("/_mock/journal")).json()
    assert journal["enabled"] is True
    assert "note" not in journal


async def test_the_dashboard_renders_with_the_journal_off(off: httpx.AsyncClient) -> None:
    await off.get(STOCK, headers=BIRD)
    journal = await page(off, "/_mock/ui/journal")
    accessible(journal)
    assert "the journal is off" in journal.content
    overview = await page(off, "/_mock/ui/")
    assert "off (--journal-size 0)" in overview.content
