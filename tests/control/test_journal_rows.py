"""The edge records each request as a row of the entry's fields; the journal builds the
`Entry` when it is first read (issue 19: a cheaper journal write)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver.journal import ROW_FIELDS, Entry, Journal, Query
from tests.support.credentials import BIRD, STOCK

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_row_is_read_back_as_the_entry_it_lists() -> None:
    journal = Journal(2)
    values = {name: f"v-{name}" for name in ROW_FIELDS}
    journal.record(tuple(values.values()))
    journal.record(Entry("r2", AT, "GET", "/p", "", "bird", None, None, 404, 1.0))
    journal.record(tuple({**values, "request_id": "r3"}.values()))  # the first one drops out
    newest, older = journal.newest_first(Query(), 10)
    assert isinstance(newest, Entry)
    assert {name: getattr(newest, name) for name in ROW_FIELDS} == {
        **values,
        "request_id": "r3",
    }
    assert older.request_id == "r2"
    assert journal.newest_first(Query(), 10)[0] is newest  # built once
    assert journal.recorded == 3


@pytest.fixture
async def http(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")


async def test_the_edge_records_every_field(
    http: httpx.AsyncClient, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[Any] = []
    journal = app.state.mock.journal
    record = Journal.record

    def recording(self: Journal, row: Any) -> None:
        rows.append(row)
        record(self, row)

    monkeypatch.setattr(Journal, "record", recording)
    async with http:
        response = await http.get(STOCK, params={"limit": 1, "sort": "x"}, headers=BIRD)
    assert response.status_code == 200
    assert [len(row) for row in rows] == [len(ROW_FIELDS)]
    entry = journal.newest_first(Query(), 1)[0]
    assert (entry.method, entry.status, entry.operation_id, entry.provider) == (
        "GET",
        200,
        "listOrganizationNumbersStockItems",
        "bird",
    )
    assert entry.tenant == STOCK.split("/")[2]
    assert entry.request_id == response.headers["x-request-id"]
    assert entry.query == "limit=1&sort=x"
    assert entry.warnings == ('unknown query parameter "sort"',)
    assert entry.response_body == response.content
    assert ("authorization", BIRD["Authorization"]) in entry.request_headers
