"""Webhook receivers for tests: a local HTTP server on a free loopback port
(`LocalReceiver`), or the mock's own inbox (`InboxReceiver`, `/_mock/inbox/<name>`), both
with one interface: the URL to subscribe, how to answer the next deliveries, and `next()`,
which waits for the next delivery (on an event, never by sleeping: the mock's clock is
moved by the test, and the delivery follows at once). What they received checks its own
signature with each provider's scheme (`Received.verify_bird`, `.verify_platform`).

The pytest plugin's fixtures `numbers_mock_receiver` and `numbers_mock_inbox` build them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from mockserver.webhooks import signing

if TYPE_CHECKING:
    from mockserver.client import MockControl

__all__ = ["InboxReceiver", "LocalReceiver", "Received"]

WAIT = 10.0  # seconds a test waits for a delivery at most (wall clock)


@dataclass(frozen=True, slots=True)
class Received:
    """One request a receiver got: headers (lower-case names), the raw body, the URL."""

    url: str
    headers: Mapping[str, str]
    body: bytes
    status: int = 200  # what the receiver answered

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def message_id(self) -> str | None:
        """What a handler deduplicates on: `messagebird-request-id` or `webhook-id`."""
        return signing.message_id(self.headers)

    def verify_bird(self, signing_key: str) -> bool:
        """api.bird.com's scheme: `messagebird-signature` over timestamp, URL and the body's
        SHA-256, keyed by the subscription's signingKey."""
        found = signing.verify(self.headers, self.body, self.url, [signing_key])
        return found.scheme == signing.MESSAGEBIRD and found.valid is True

    def verify_platform(self, secret: str) -> bool:
        """The platform API's Standard Webhooks scheme (`webhook-signature`, keyed by the
        endpoint's `whsec_` secret). `client.webhooks.unwrap` of the official SDK checks the
        same, and the timestamp's age too."""
        found = signing.verify(self.headers, self.body, self.url, [secret])
        return found.scheme == signing.STANDARD_WEBHOOKS and found.valid is True


class _Received:
    """What a receiver keeps, and the condition `next()` waits on."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.respond: deque[int] = deque()
        self._cursor = 0
        self._changed = threading.Condition()

    def add(self, message: Received) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def answer(self) -> int:
        with self._changed:
            return self.respond.popleft() if self.respond else 200

    def next(self, timeout: float) -> Received:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._cursor >= len(self.messages):
                remaining = deadline - time.monotonic()
                timed_out = remaining <= 0 or not self._changed.wait(remaining)
                if timed_out and self._cursor >= len(self.messages):
                    raise TimeoutError(f"no webhook delivery arrived within {timeout:g} s")
            message = self.messages[self._cursor]
            self._cursor += 1
            return message


class LocalReceiver:
    """An HTTP server on 127.0.0.1 and a free port, in a thread: it records every POST and
    answers 200, or the statuses given to `respond` first."""

    def __init__(self, path: str = "/webhooks") -> None:
        self._received = _Received()
        received = self._received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status = received.answer()
                host = self.headers.get("host", "")
                headers = {k.lower(): v for k, v in self.headers.items()}
                received.add(Received(f"http://{host}{self.path}", headers, body, status))
                answer = b'{"ok":true}' if status < 300 else b'{"ok":false}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet: the test reads what arrived

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="numbers-mock-receiver", daemon=True
        )
        self._thread.start()

    @property
    def messages(self) -> list[Received]:
        return list(self._received.messages)

    def respond(self, *statuses: int) -> None:
        """Answer the next deliveries with these statuses (then 200 again)."""
        self._received.respond.extend(statuses)

    def next(self, timeout: float = WAIT) -> Received:
        """The next delivery not yet returned, waiting for it if need be."""
        return self._received.next(timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass
class InboxReceiver:
    """The mock's own inbox (`/_mock/inbox/<name>`, a fresh name), read through the control
    plane: nothing listens on the test's side, so it works with a sidecar too."""

    control: MockControl
    name: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    _seen: int = 0

    @property
    def url(self) -> str:
        return f"{self.control.url}/_mock/inbox/{self.name}"

    @property
    def messages(self) -> list[Received]:
        return [_from_inbox(m) for m in self.control.inbox(self.name)]

    def respond(self, *statuses: int) -> None:
        self.control.configure_inbox(self.name, statuses)

    def next(self, timeout: float = WAIT) -> Received:
        found = self.control.inbox(self.name, after=self._seen, wait=timeout)
        if not found:
            raise TimeoutError(f"no webhook delivery reached the inbox within {timeout:g} s")
        self._seen = found[0]["seq"]
        return _from_inbox(found[0])

    def verified(self) -> Iterable[bool | None]:
        """What the inbox itself made of each signature (None: unsigned or unknown)."""
        return [m["verification"]["valid"] for m in self.control.inbox(self.name)]

    def close(self) -> None:
        self.control.clear_inbox(self.name)


def _from_inbox(message: Mapping[str, Any]) -> Received:
    return Received(
        message["url"], dict(message["headers"]), message["body"].encode(), message["status"]
    )
