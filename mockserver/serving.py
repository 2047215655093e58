"""How uvicorn serves the app: one place for its configuration and HTTP protocol.

The CLI (the Docker image), the pytest plugin's socket mode and the suite's live servers
all take their `uvicorn.Config` from here, so a request meets the same HTTP layer in each.

One limit of uvicorn's httptools protocol is lifted. It splits a request target with
`httptools.parse_url`, whose offsets are 16-bit: a target over 64 KiB gets a bare-text 400
before any app sees it. Bird documents `pageToken` up to 8000 characters, and 8000
non-ASCII characters percent-encoded take 96 KB; such a request is well formed and must get
the provider's own answer (for a token the mock never issued: its 422). So a long target is
split here instead, and only a target over MAX_TARGET keeps uvicorn's 400.
"""

from __future__ import annotations

import gc
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What httptools.parse_url can take, and what the mock takes at all: 1 MiB is far above
# anything the specs allow (8000 characters, 12 bytes each when percent-encoded).
PARSE_LIMIT = 0xFFFF
MAX_TARGET = 1 << 20


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, splitting targets over PARSE_LIMIT itself."""

    def on_headers_complete(self) -> None:
        query: bytes | None = None
        if PARSE_LIMIT < len(self.url) <= MAX_TARGET:
            # The path goes through uvicorn's own parsing; the query string is put back in
            # the scope before the app's task first runs (it is only scheduled here).
            target = self.url.partition(b"#")[0]
            path, _, query = target.partition(b"?")
            self.url = path
        super().on_headers_complete()
        if query is not None:
            self.scope["query_string"] = query


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """`uvicorn.Config` for the app with the mock's HTTP protocol; options as uvicorn's."""
    return uvicorn.Config(app, http=HttpProtocol, **options)


def keep_gc_pauses_short() -> None:
    """Long-lived objects out of the garbage collector's full scans (the CLI's server, and
    bench/inprocess.py, which measures what the server runs).

    Everything built at start-up (specs, validators, the stock) lives as long as the process,
    and so does most of what requests add (numbers, orders, ledger entries). A full
    collection scans all of it and stalls every request for tens of milliseconds once the
    heap is large (bench/RESULTS.md). So: freeze the start-up heap, and after each full
    collection freeze its survivors too; right after a full collection nothing unreachable
    is left, so freezing never keeps garbage alive.
    """
    gc.freeze()
    # Fewer, larger young collections (still cheap) and rarer full ones: measured in-process
    # with bench/inprocess.py-style buys, this halves the p99.9 of a buy.
    gc.set_threshold(2000, 20, 10)

    def freeze_survivors(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(freeze_survivors)
