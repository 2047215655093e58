"""A synchronous httpx transport to an ASGI app, in-process (httpx's own is async-only)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from starlette.types import ASGIApp

__all__ = ["sync_asgi_transport"]


@contextmanager
def sync_asgi_transport(app: ASGIApp) -> Iterator[httpx.BaseTransport]:
    """A synchronous httpx transport to an ASGI app, in-process, for the block's duration.

    httpx's ASGITransport is async-only (and Starlette's TestClient now warns that it is
    moving to another package): this one runs the app on an asyncio loop in a daemon thread
    of its own, so it works from plain tests and from inside a running event loop alike.
    Closing a client that uses it leaves it working; the thread stops when the block ends.
    """
    import httpx

    class SyncASGITransport(httpx.BaseTransport):
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            self._inner = httpx.ASGITransport(app=app)
            self._loop = loop

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.read()  # the body as bytes, which the async transport can stream too
            return asyncio.run_coroutine_threadsafe(self._send(request), self._loop).result()

        async def _send(self, request: httpx.Request) -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="numbers-mock-asgi", daemon=True)
    thread.start()
    try:
        yield SyncASGITransport(loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
