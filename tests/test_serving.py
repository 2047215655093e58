"""mockserver/serving.py's HTTP protocol, driven byte by byte on a recording transport."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.server import ServerState

from mockserver import Settings, create_app
from mockserver.openapi.server import server_notes
from mockserver.serving import HttpProtocol, uvicorn_config


class Recording(asyncio.Transport):
    """What a protocol writes, one entry a write (a socket send)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.protocol: Any = None

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_protocol(self) -> Any:
        return self.protocol

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 4000), "sockname": ("127.0.0.1", 80)}.get(name, default)


class Connection:
    """An HttpProtocol on a recording transport, as uvicorn runs one per connection."""

    def __init__(self, app: Any = None) -> None:
        config = uvicorn_config(app or create_app(Settings(seed=3)), Settings())
        config.load()
        self.protocol = HttpProtocol(config, ServerState(), {})
        self.transport = Recording()
        self.transport.set_protocol(self.protocol)
        self.protocol.connection_made(self.transport)

    async def send(self, data: bytes, writes: int) -> list[bytes]:
        """The writes so far, once there are `writes` of them (the app runs meanwhile)."""
        self.protocol.data_received(data)
        for _ in range(1000):
            if len(self.transport.writes) >= writes:
                break
            await asyncio.sleep(0)
        return self.transport.writes


async def exchange(request: bytes, writes: int = 1) -> list[bytes]:
    """What a connection writes for `request`: at least `writes` writes."""
    connection = Connection()
    written = await connection.send(request, writes)
    connection.protocol.connection_lost(None)
    return written


async def test_a_response_goes_out_in_one_write_head_and_body_together() -> None:
    writes = await exchange(b"GET /_mock/health HTTP/1.1\r\nHost: mock\r\n\r\n")
    assert len(writes) == 1
    head, _, body = writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"status":"ok"' in body


async def test_pipelined_requests_get_a_write_each() -> None:
    request = b"GET /_mock/health HTTP/1.1\r\nHost: mock\r\n\r\n"
    writes = await exchange(request * 2, writes=2)
    assert len(writes) == 2
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") and w.endswith(b"}") for w in writes)


async def test_a_head_request_is_answered_its_head_alone() -> None:
    writes = await exchange(b"HEAD /_mock/health HTTP/1.1\r\nHost: mock\r\n\r\n")
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"\r\n\r\n")


async def test_an_interim_100_continue_is_written_before_the_answer() -> None:
    connection = Connection()
    request = (
        b"POST /_mock/reset HTTP/1.1\r\nHost: mock\r\nExpect: 100-continue\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"
    )
    assert await connection.send(request, 1) == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    writes = await connection.send(b"{}", 2)
    connection.protocol.connection_lost(None)
    assert len(writes) == 2
    assert writes[1].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[1].endswith(b"}")


async def test_the_notes_say_whether_the_body_had_all_come_when_the_app_began() -> None:
    """The edge reads a body already whole without a deadline (a timer less a request)."""
    seen: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        notes = server_notes(scope)
        assert notes is not None
        seen.append(notes.body_complete)
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    head = b"POST /x HTTP/1.1\r\nHost: mock\r\nContent-Length: 2\r\n\r\n"
    whole = Connection(app)
    await whole.send(head + b"{}", 1)
    parted = Connection(app)
    await parted.send(head + b"{", 0)
    for _ in range(100):  # the app runs, and waits for the rest of the body
        if seen[1:]:
            break
        await asyncio.sleep(0)
    await parted.send(b"}", 1)
    for connection in (whole, parted):
        connection.protocol.connection_lost(None)
    assert seen == [True, False]
