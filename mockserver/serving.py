"""How uvicorn serves the app: one place for its configuration and HTTP protocol.

The CLI (the Docker image), the pytest plugin's socket mode and the suite's live servers
all take their `uvicorn.Config` from here, so a request meets the same HTTP layer in each,
with the limits of the app's settings (README, "Limits").

uvicorn's httptools protocol is extended in two ways.

Long targets. It splits a request target with `httptools.parse_url`, whose offsets are
16-bit: a target over 64 KiB gets a bare-text 400 before any app sees it. Bird documents
`pageToken` up to 8000 characters, and 8000 non-ASCII characters percent-encoded take
96 KB; such a request is well formed and must get the provider's own answer (for a token
the mock never issued: its 422). So a long target is split here instead, up to MAX_TARGET.

Limits. A sidecar every test of a CI run shares must not be held or flooded by one client:
- the header fields of a request (everything after the request line up to the blank line)
  may take `max_header_bytes`, the request target MAX_TARGET. Input is fed to the parser
  only up to those limits, so a 200 MB header is never buffered (httptools would gather it
  whole before calling back); past them the request is refused: 431, or 414 for the target;
- a connection has `header_timeout` seconds from its opening (or from the first byte of a
  next request) to the end of its headers: then 408 if part of a request line came, else
  it is just closed;
- the body is the edge's to read, within `body_timeout` (it gets the timeout through
  `ServerNotes`); a body the app left unread (an early answer) must end within that time
  too, or the connection closes; an idle keep-alive connection closes after
  `keep_alive_timeout` (uvicorn's own timer);
- on shutdown, requests still running after `shutdown_grace` are cancelled by uvicorn; their
  notes say the server is stopping, so the edge answers 503 instead of a traceback.

A refused request reaches the app like any other, with `ServerNotes.refused` set and the
headers received so far dropped: the edge answers it in the dialect of the site its path
names, and the connection then closes.
"""

from __future__ import annotations

import asyncio
import gc
from asyncio.events import TimerHandle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from mockserver.errors import HeadersTooLarge, MockError, RequestTimeout, TargetTooLong
from mockserver.openapi.server import EXTENSION, ServerNotes, server_notes
from mockserver.settings import Settings

# What httptools.parse_url can take, and what the mock takes at all: 1 MiB is far above
# anything the specs allow (8000 characters, 12 bytes each when percent-encoded).
PARSE_LIMIT = 0xFFFF
MAX_TARGET = 1 << 20
# What the request line adds to its target: the method, two spaces, the version and CRLF.
REQUEST_LINE_OVERHEAD = 32
# How long a refused connection is drained before it closes (see HttpProtocol._linger).
LINGER_SECONDS = 2.0
# What the parser is fed at a time (see HttpProtocol.data_received): 128 calls a MiB.
FEED_SLICE = 8 * 1024


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """The settings the HTTP protocol enforces itself (the rest are uvicorn's own)."""

    max_header_bytes: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> ServerLimits:
        return cls(settings.max_header_bytes, settings.header_timeout, settings.body_timeout)


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration, carrying the limits HttpProtocol reads from it."""

    def __init__(self, app: Any, limits: ServerLimits, **options: Any) -> None:
        super().__init__(app, **options)
        self.limits = limits


def uvicorn_config(app: Any, settings: Settings | None = None, **options: Any) -> ServerConfig:
    """`uvicorn.Config` for the app with the mock's HTTP protocol and limits; options as
    uvicorn's. Without `settings`, the app's own (`create_app` keeps them in its state)."""
    settings = settings or settings_of(app)
    options.setdefault("timeout_keep_alive", settings.keep_alive_timeout)
    options.setdefault("timeout_graceful_shutdown", settings.shutdown_grace)
    return ServerConfig(app, ServerLimits.of(settings), http=HttpProtocol, **options)


def settings_of(app: Any) -> Settings:
    """The settings `create_app` built the app with (defaults for any other app)."""
    mock = getattr(getattr(app, "state", None), "mock", None)
    settings = getattr(mock, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with long targets split here and the mock's limits."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = getattr(config, "limits", None)
        self.limits = limits if isinstance(limits, ServerLimits) else ServerLimits.of(Settings())
        self.url = b""  # uvicorn sets it per request; the limits read it before the first
        self._in_head = True  # reading a request line and header fields
        self._head_begun = False  # part of the request line being read has come
        self._head_bytes = 0  # bytes of that head fed to the parser so far
        self._timer: TimerHandle | None = None  # the one deadline the connection is under
        self._refused = False  # from then on, what the client sends is dropped
        self._pending: MockError | None = None  # a refusal waiting for the request in flight
        self._stopping = False
        self._notes: ServerNotes | None = None  # of the request being read

    # --- reading, within the limits ----------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a whole head is closed: the same deadline as a head.
        self._arm(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        # A refusal's cycle refers back here (through _Lingering): left to the cyclic
        # collector, which keep_gc_pauses_short may have frozen it from, it would stay.
        self.cycle = None  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # drained and dropped: nothing of a refused request is kept
        size = len(data)
        if size <= FEED_SLICE and (not self._in_head or size < self._head_room()):
            self._feed_whole(data)
            return
        if self._in_head and self._timer is None:
            self._arm(self.limits.header_timeout, self._head_timed_out)
        rest = memoryview(data)
        while rest and self._reading():
            # Never more than the head may still take: the parser gathers a header field
            # whole before calling back, so what it is fed is what it holds. And in slices:
            # a request that ends inside one leaves the rest of it to the next request's
            # head uncounted, so a pipelined head passes the limit by at most FEED_SLICE.
            size = min(self._head_room(), FEED_SLICE) if self._in_head else FEED_SLICE
            piece, rest = rest[:size], rest[size:]
            if self._in_head:
                self._head_bytes += len(piece)
            super().data_received(piece)  # type: ignore[arg-type]  # httptools takes any buffer
            if self._in_head and self._reading():
                if len(self.url) > MAX_TARGET:
                    self._refuse(TargetTooLong(MAX_TARGET))
                elif self._head_room() == 0:
                    self._refuse(HeadersTooLarge(self.limits.max_header_bytes))

    def _feed_whole(self, data: bytes) -> None:
        """Data the head may take whole: the usual case, a request or a piece of a body.
        The head's room only grows as its line is read, so it is not used up after; the
        target may have passed its limit (it grows a piece at a time)."""
        was_in_head, cycle = self._in_head, self.cycle
        if was_in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if not self._in_head:
            return
        waiting = self._head_begun or (was_in_head and self.cycle is cycle)
        if len(self.url) > MAX_TARGET:
            if self._reading():
                self._refuse(TargetTooLong(MAX_TARGET))
        elif self._timer is None and waiting and self._reading():
            # A head begun and not ended, or bytes that began none (blank lines): the head's
            # deadline runs from now. One that came whole needs none (the timer is not
            # armed only to be cancelled: a few microseconds a request).
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def _head_room(self) -> int:
        """Bytes the head being read may still take: the header fields' limit, plus its
        request line (the target has its own limit, MAX_TARGET)."""
        line = min(len(self.url), MAX_TARGET) + REQUEST_LINE_OVERHEAD if self._head_begun else 0
        return max(self.limits.max_header_bytes + line - self._head_bytes, 0)

    def _reading(self) -> bool:
        return (
            not self._refused
            and self.parser is not None
            and not self.transport.is_closing()
            and self.transport.get_protocol() is self  # not handed over (an upgrade)
        )

    # --- parser callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_begun = True

    def on_headers_complete(self) -> None:
        if self._timer is not None:
            self._disarm()
        if len(self.url) > MAX_TARGET:  # the target ended in the very piece that passed it
            self._refuse(TargetTooLong(MAX_TARGET))
            return
        self._in_head = self._head_begun = False
        query: bytes | None = None
        if len(self.url) > PARSE_LIMIT:
            # The path goes through uvicorn's own parsing; the query string is put back in
            # the scope before the app's task first runs (it is only scheduled here).
            target = self.url.partition(b"#")[0]
            path, _, query = target.partition(b"?")
            self.url = path
        super().on_headers_complete()
        scope: dict[str, Any] = self.scope  # type: ignore[assignment]  # cast() costs a call
        if query is not None:
            scope["query_string"] = query
        if scope["method"] != "HEAD":  # a HEAD's head is its whole answer: nothing to join
            self.cycle.transport = _OneWrite(self.transport, self.cycle)
        notes = ServerNotes(body_timeout=self.limits.body_timeout, stopping=self._stopping)
        scope.setdefault("extensions", {})[EXTENSION] = self._notes = notes

    def on_body(self, body: bytes) -> None:
        if not self._refused:  # a refused request's body is nobody's
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        if self._notes is not None:  # the request whose head came last (HTTP/1.1 is in order)
            self._notes.body_complete = True
            self._notes = None
        if self._timer is not None:  # the drain deadline of a body the app left unread
            self._disarm()
        self._in_head = True
        # Bytes of a next (pipelined) request in the rest of this slice are not counted:
        # its head may pass the limit by FEED_SLICE at most.
        self._head_bytes = 0
        answered_early = self.cycle is not None and self.cycle.response_complete
        if answered_early and not self.pipeline and not self.parser.should_upgrade():
            # The app answered before this body ended (uvicorn armed the keep-alive timer
            # then, and the body's bytes disarmed it): the connection is idle from now.
            self._unset_keepalive_if_required()
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts a pipelined request, or the keep-alive timer
        if self._pending is None and (self._in_head or self._refused):
            return  # the usual case: the request was read whole, nothing refused waits
        if self.transport.is_closing() or self._in_flight():
            return
        if self._pending is not None:  # refused while the request before it ran
            error, self._pending = self._pending, None
            self._unset_keepalive_if_required()
            self._answer(error)
        elif not self._in_head and not self._refused:
            # Answered before its body was all there (a 401, a 413): the rest must come
            # within the body timeout, or the connection is closed, not held.
            self._arm(self.limits.body_timeout, self._close)

    # --- refusals -----------------------------------------------------------------------

    def _head_timed_out(self) -> None:
        self._timer = None
        if self._refused or self.transport.is_closing():
            return
        if self._in_flight():
            # A request is running and this head is pipelined behind it: its time starts
            # when the connection is free.
            self._arm(self.limits.header_timeout, self._head_timed_out)
            return
        self._refuse(RequestTimeout("headers", self.limits.header_timeout))

    def _refuse(self, error: MockError) -> None:
        """Stop reading: the head being read is answered `error` by the edge, once no
        request is in flight, and then the connection closes."""
        self._refused = True
        self._disarm()
        if not (self._head_begun and self.url):
            self._close()  # nothing of a request target came: nobody to answer
        elif self._in_flight():
            self._pending = error
        else:
            self._answer(error)

    def _answer(self, error: MockError) -> None:
        """Hand the app the refused head: method and target as far as they came, no
        headers, and the error in its notes (the edge answers it, then closes)."""
        target = self.url.partition(b"#")[0]
        raw_path, _, query = target.partition(b"?")
        path = raw_path.decode("latin-1")
        scope = cast(dict[str, Any], self.scope)
        scope.update(
            method=self.parser.get_method().decode("ascii"),
            path=self.root_path + (unquote(path) if "%" in path else path),
            raw_path=self.root_path.encode("ascii") + raw_path,
            # A target cut short is not a query string; a whole one is kept.
            query_string=b"" if isinstance(error, TargetTooLong) else query,
            headers=[],
        )
        scope.setdefault("extensions", {})[EXTENSION] = ServerNotes(refused=error)
        cycle = RequestResponseCycle(
            scope=self.scope,
            transport=_Lingering(self),
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=False,
            on_response=self.on_response_complete,
        )
        cycle.more_body = False  # the app reads no body: an empty one, at once
        cycle.message_event.set()
        self.cycle = cycle
        self._start_asgi_task(cycle, self.app)

    def _linger(self) -> None:
        """Close after a refusal without losing its answer. Closing a socket with unread
        input makes the kernel reset the connection, which can destroy the answer before
        the client reads it (a client sending a 200 MB header is still sending). So: send
        the end of the stream after the answer, keep draining (and dropping) input, and
        close when the client does, or after LINGER_SECONDS."""
        if self.transport.is_closing():
            return
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.flow.resume_reading()
        self._arm(LINGER_SECONDS, self._close)

    # --- shutdown -----------------------------------------------------------------------

    def shutdown(self) -> None:
        """The server begins to stop: what is in flight here may be cancelled after the
        grace period, and its notes say so."""
        self._stopping = True
        cycles = [cycle for cycle, _ in self.pipeline]
        if self.cycle is not None:
            cycles.append(self.cycle)
        for cycle in cycles:
            notes = server_notes(cast(dict[str, Any], cycle.scope))
            if notes is not None:
                notes.stopping = True
        super().shutdown()

    # --- helpers ------------------------------------------------------------------------

    def _in_flight(self) -> bool:
        # self.cycle is the newest request parsed; those before it completed first.
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()


class _OneWrite(asyncio.Transport):
    """A response's transport that sends its head with the body's first bytes: one write.

    uvicorn writes the status line and header fields when the app starts its answer, then
    the body: two sends, so two segments (and two wake-ups) for the client and a syscall
    more for the server, for every response (the edge always sends start and body at once,
    edge._send). The head is uvicorn's first write once the response has started (a
    100 Continue interim line comes before); HEAD requests, whose body is never written,
    are not given one (HttpProtocol.on_headers_complete)."""

    __slots__ = ("_cycle", "_head", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        # (No BaseTransport.__init__: its only state, the extra info, is the socket's.)
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None  # None: not written yet; b"": sent

    def write(self, data: Any) -> None:
        head = self._head
        if head:
            self._head = b""
            self._transport.write(head + data)
        elif head is None and self._cycle.response_started:
            self._head = data  # uvicorn's head: a bytes object of its own
        else:
            self._transport.write(data)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        # A response broken off after its head (uvicorn closes the connection): the head
        # still goes first, as it would have.
        if self._head:
            self._transport.write(self._head)
            self._head = b""
        self._transport.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)


class _Lingering(asyncio.Transport):
    """The transport a refusal is answered on: its close() lingers (HttpProtocol._linger)."""

    def __init__(self, protocol: HttpProtocol) -> None:
        super().__init__()
        self._protocol = protocol

    def write(self, data: Any) -> None:
        self._protocol.transport.write(data)

    def is_closing(self) -> bool:
        return self._protocol.transport.is_closing()

    def close(self) -> None:
        self._protocol._linger()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._protocol.transport.get_extra_info(name, default)


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
