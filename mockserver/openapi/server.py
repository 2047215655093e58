"""What the mock's HTTP server tells the edge about a request, beyond the ASGI scope.

uvicorn's protocol (`mockserver/serving.py: HttpProtocol`) puts a `ServerNotes` in each
request's scope under `scope["extensions"]["numbers-mock"]`. In-process transports (the
pytest plugin's, httpx's ASGITransport) put none: their requests are whole before the app
runs, and there is no server to stop, so the edge then waits for no clock and refuses
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.errors import MockError

EXTENSION = "numbers-mock"


@dataclass(slots=True)
class ServerNotes:
    # Seconds the whole body may take once the edge starts reading it (then 408).
    body_timeout: float | None = None
    # The server stopped reading this request (its headers passed the limit, its target the
    # limit, or its headers did not arrive in time): the edge answers this error in the
    # site's dialect and nothing else. The scope then holds the method and target as far as
    # they arrived, and no headers.
    refused: MockError | None = None
    # Set on requests in flight when the server begins to shut down: a cancellation is then
    # the end of the grace period (answered 503), not a bug.
    stopping: bool = False
    # The whole request, body and all, has been read: the edge reads the body without a
    # deadline (one costs a timer set and cancelled on the event loop, ~18 us a request).
    body_complete: bool = False


def server_notes(scope: Mapping[str, Any]) -> ServerNotes | None:
    notes = (scope.get("extensions") or {}).get(EXTENSION)
    return notes if isinstance(notes, ServerNotes) else None
