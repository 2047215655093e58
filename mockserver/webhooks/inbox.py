"""The in-memory inbox: `/_mock/inbox/<name>`, a webhook receiver inside the mock itself,
for tests without a server of their own. It keeps what it receives (bounded), verifies
each signature with the keys of the subscription the message came from, answers as told
(`PUT /_mock/inbox/<name>`: statuses for the next messages, then 200), and lets a test
wait for the next message without sleeping.

Harness state, like the journal: not in the state dump, emptied by a full reset.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mockserver.webhooks import signing
from mockserver.webhooks.signing import Verification

MESSAGES = 1000  # kept per inbox, the oldest go first
INBOXES = 100  # inboxes kept, the least recently used go first
BODY_BYTES = 256 * 1024  # of each message's body kept


@dataclass(frozen=True, slots=True)
class Received:
    seq: int  # 1 for an inbox's first message
    received_at: datetime  # the mock's clock
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool
    verification: Verification
    status: int  # what the inbox answered


@dataclass(slots=True)
class Inbox:
    name: str
    messages: deque[Received] = field(default_factory=lambda: deque(maxlen=MESSAGES))
    received: int = 0
    respond: deque[int] = field(default_factory=deque)  # statuses for the next messages


class Inboxes:
    """Every inbox of one mock; `keys_for` finds the keys a message id was signed with."""

    def __init__(self, keys_for: Callable[[str], tuple[str, ...] | None]) -> None:
        self.keys_for = keys_for
        self._inboxes: OrderedDict[str, Inbox] = OrderedDict()
        self._events: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}

    def _inbox(self, name: str) -> Inbox:
        inbox = self._inboxes.get(name)
        if inbox is None:
            inbox = self._inboxes[name] = Inbox(name)
            while len(self._inboxes) > INBOXES:
                old, _ = self._inboxes.popitem(last=False)
                self._events.pop(old, None)
        self._inboxes.move_to_end(name)
        return inbox

    def names(self) -> list[str]:
        return list(self._inboxes)

    def configure(self, name: str, respond: Sequence[int]) -> Inbox:
        inbox = self._inbox(name)
        inbox.respond = deque(respond)
        return inbox

    def receive(
        self, name: str, url: str, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> Received:
        """Keep a message (headers with lower-case names, the raw body, the full URL it was
        sent to) and say what to answer."""
        inbox = self._inbox(name)
        message_id = signing.message_id(headers)
        keys = None if message_id is None else self.keys_for(message_id)
        verification = signing.verify(headers, body, url, keys)
        status = inbox.respond.popleft() if inbox.respond else 200
        inbox.received += 1
        received = Received(
            seq=inbox.received,
            received_at=now,
            url=url,
            headers=tuple(sorted(headers.items())),
            body=body[:BODY_BYTES],
            truncated=len(body) > BODY_BYTES,
            verification=verification,
            status=status,
        )
        inbox.messages.append(received)
        found = self._events.get(name)
        if found is not None:
            found[1].set()
        return received

    def get(self, name: str) -> Inbox | None:
        return self._inboxes.get(name)

    def after(self, name: str, seq: int) -> list[Received]:
        inbox = self._inboxes.get(name)
        return [] if inbox is None else [m for m in inbox.messages if m.seq > seq]

    async def wait(self, name: str, seq: int, timeout: float) -> list[Received]:
        """The messages after `seq`, waiting up to `timeout` seconds for one to arrive."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.after(name, seq)
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return found
            event = self._event(name, loop)
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _event(self, name: str, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        found = self._events.get(name)
        if found is None or found[0] is not loop:
            found = self._events[name] = (loop, asyncio.Event())
        return found[1]

    def clear(self, name: str | None = None) -> None:
        if name is None:
            self._inboxes.clear()
            self._events.clear()
        else:
            self._inboxes.pop(name, None)
