"""What a handler receives (a validated Call) and returns (a Reply).

Handlers never see Starlette or openapi-core: the edge validates the request against the
spec, authenticates it and hands over plain values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

P = TypeVar("P")  # the provider's principal (who is calling)
B = TypeVar("B")  # the provider's backend


@dataclass(frozen=True, slots=True)
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
