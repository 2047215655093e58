"""What a handler receives (a validated Call) and returns (a Reply).

Handlers never see Starlette or openapi-core: the edge validates the request against the
spec, authenticates it and hands over plain values.

A reply's body is JSON-ready values, where a part may already be encoded (`Encoded`): a
resource that does not change between requests (a Bird stock item) is encoded once, kept
in a bounded cache (`Lru`) by its value, and written into each payload as it stands. The
compiled response validator checks such a part once per distinct encoding
(openapi/compiled.py), so a stock page costs what its envelope costs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

P = TypeVar("P")  # the provider's principal (who is calling)
B = TypeVar("B")  # the provider's backend
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


# Not frozen, though no handler changes one: a frozen dataclass sets each of its fields
# through object.__setattr__, and a Call is made for every request (2 us of ~100).
@dataclass(slots=True)
class Call(Generic[P]):
    operation_id: str
    principal: P
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any
    request_id: str
    base_url: str = ""  # scheme://host[:port] as the client addressed the mock
    # The request as sent: header names in lower case, the body's bytes (what a webhook
    # receiver, the control plane's inbox, verifies a signature over).
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_body: bytes = b""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-ready (text for a non-JSON media type); None means no body (204)
    headers: tuple[tuple[str, str], ...] = field(default=())
    media_type: str = "application/json"


class Encoded:
    """A part of a reply's body already encoded as JSON (UTF-8 bytes, as orjson writes
    them): the payload takes its bytes as they stand, a validator checks the value they
    encode. Made once per value and shared by every reply that shows it: never mutated."""

    __slots__ = ("fragment", "json")

    def __init__(self, json: bytes) -> None:
        self.json = json
        self.fragment = orjson.Fragment(json)  # what orjson writes in its place

    def __repr__(self) -> str:
        return f"Encoded({self.json[:60]!r})"


def encoded(value: Any) -> Encoded:
    """`value` (JSON-ready, possibly with Encoded parts) encoded now."""
    return Encoded(to_json(value))


def to_json(body: Any) -> bytes:
    """A body as the payload sends it: orjson's encoding, each Encoded part as it stands."""
    return orjson.dumps(body, default=_fragment)


def _fragment(value: Any) -> Any:
    if isinstance(value, Encoded):
        return value.fragment
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def decoded(body: Any) -> Any:
    """A body with every Encoded part decoded (containers copied only where one is)."""
    if isinstance(body, Encoded):
        return orjson.loads(body.json)
    if isinstance(body, dict):
        if any(isinstance(v, Encoded | dict | list | tuple) for v in body.values()):
            return {k: decoded(v) for k, v in body.items()}
        return body
    if isinstance(body, list | tuple):
        if any(isinstance(v, Encoded | dict | list | tuple) for v in body):
            return [decoded(v) for v in body]
        return body
    return body


class Lru(Generic[K, V]):
    """A bounded map that forgets the least recently used key first: caches of encoded
    parts and of what validation has passed, whatever the size of the stock behind them.

    Each step is one OrderedDict operation, atomic under the GIL; a module's cache may be
    shared by mocks served on several threads (the pytest plugin's), so a key another
    thread evicted between two steps is simply not there (KeyError suppressed)."""

    __slots__ = ("_items", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            # try costs nothing when nothing is raised; contextlib.suppress costs two calls.
            try:  # noqa: SIM105
                self._items.move_to_end(key)
            except KeyError:
                pass
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        try:
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        except KeyError:
            pass

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()


# A handler answers at once; the few that must wait for something outside the mock (a
# webhook's receiver, the platform's test event) return an awaitable the edge awaits.
Answer = Reply | Awaitable[Reply]
Handler = Callable[[Call[Any]], Answer]


class Handlers(Generic[B, P]):
    """A provider's operationId -> handler table, filled by the @operation decorator."""

    def __init__(self) -> None:
        self._table: dict[str, Callable[[B, Call[P]], Answer]] = {}

    def operation(
        self, operation_id: str
    ) -> Callable[[Callable[[B, Call[P]], Answer]], Callable[[B, Call[P]], Answer]]:
        def register(func: Callable[[B, Call[P]], Answer]) -> Callable[[B, Call[P]], Answer]:
            if operation_id in self._table:
                raise ValueError(f"two handlers for {operation_id}")
            self._table[operation_id] = func
            return func

        return register

    def operation_ids(self) -> frozenset[str]:
        return frozenset(self._table)

    def bind(self, backend: B) -> dict[str, Handler]:
        return {op: _bound(func, backend) for op, func in self._table.items()}


def _bound(func: Callable[[B, Call[P]], Answer], backend: B) -> Handler:
    def handler(call: Call[Any]) -> Answer:
        return func(backend, call)

    handler.__name__ = func.__name__
    return handler
