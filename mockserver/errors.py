"""Transport-free errors raised by the domain and the provider backends.

Each provider maps these to its own status, code and body in one table
(`providers/<name>/errors.py`); nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mockserver.domain.money import Money

V = TypeVar("V")


class MockError(Exception):
    """Base of every error a request can end in on purpose."""


def by_kind(table: Mapping[type[MockError], V], error: MockError) -> V | None:
    """The entry of a dialect's table for this error: its own class's, else the nearest
    base class's (a provider's named error falls back to its kind)."""
    for kind in type(error).__mro__:
        if kind in table:
            return table[kind]
    return None


@dataclass
class NotFound(MockError):
    """A resource the caller named does not exist (for this caller)."""

    kind: str
    id: str
    message: str = ""
    code: str | None = None  # the provider's own code, when the table's default is not it
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message or f"{self.kind} {self.id} not found"


def field_path(*parts: str | int) -> str:
    """`.numberStockItemIds[0]`: where in a request a problem lies, as `Invalid.fields` and
    `Violation.path` name it; each provider's dialect renders it its own way."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


@dataclass
class Invalid(MockError):
    """A request that passed the spec but breaks a rule of the provider.

    `fields` maps a field path into the request (`field_path`: ".numberStockItemIds[0]")
    to its problems.
    """

    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    code: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Rejected(MockError):
    """The request is well-formed but the resource cannot do what it asks (400)."""

    message: str
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass
class Conflict(MockError):
    """The resource exists but is held by someone else or is in the wrong state."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)
    code: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class InsufficientFunds(MockError):
    """The wallet cannot pay; nothing was charged."""

    required: Money
    available: Money
    declined: bool = False  # forced by an outcome rule, whatever the balance

    def __str__(self) -> str:
        if self.declined:
            return f"payment of {self.required} declined (an outcome rule of the mock)"
        return f"insufficient funds: {self.required} required, {self.available} available"


@dataclass
class RateLimited(MockError):
    """Too many requests: retry after `retry_after` seconds (when known)."""

    message: str
    retry_after: int | None = None
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass
class Unauthenticated(MockError):
    """Credentials missing, malformed or not accepted."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Forbidden(MockError):
    """Valid credentials that may not touch this resource."""

    message: str
    code: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class Injected(MockError):
    """An error status forced by a fault (control plane), in the provider's dialect."""

    status: int
    message: str | None = None
    code: str | None = None  # None: the provider's code for the status

    def __str__(self) -> str:
        return self.message or f"Injected fault: HTTP {self.status} {self.phrase}"

    @property
    def phrase(self) -> str:
        """The status's reason phrase ("Service Unavailable"), "Error" for unassigned codes."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Error"


# --- raised by the validating edge, before or after a handler runs -------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request breaks the spec.

    `location` is path, query, header or body; `path` walks into it (a parameter name, then
    array indexes and property names), so dialects can render ".numberStockItemIds[0]" or
    "numberStockItemIds[0]". `keyword` is the JSON Schema keyword that failed.
    """

    location: str
    path: tuple[str | int, ...]
    message: str
    keyword: str
    value: Any = None


@dataclass
class RequestInvalid(MockError):
    violations: list[Violation]

    def __str__(self) -> str:
        return "; ".join(v.message for v in self.violations)


@dataclass
class RouteNotFound(MockError):
    method: str
    path: str

    def __str__(self) -> str:
        return f"No route for {self.method} {self.path}"


@dataclass
class MethodNotAllowed(MockError):
    method: str
    path: str
    allowed: tuple[str, ...]

    def __str__(self) -> str:
        allowed = ", ".join(self.allowed)
        return f"Method {self.method} is not allowed on {self.path}; allowed: {allowed}"


@dataclass
class PayloadTooLarge(MockError):
    limit: int

    def __str__(self) -> str:
        return f"The request body exceeds the limit of {self.limit} bytes"


@dataclass
class UnsupportedMediaType(MockError):
    content_type: str

    def __str__(self) -> str:
        shown = self.content_type or "no Content-Type"
        return f"The request body must be sent as application/json, not {shown}"


@dataclass
class MalformedBody(MockError):
    reason: str

    def __str__(self) -> str:
        return f"The request body is not valid JSON: {self.reason}"


@dataclass
class RequestTimeout(MockError):
    """The client stopped sending before its request was complete (the server's timeout)."""

    part: str  # "headers" or "body"
    seconds: float

    def __str__(self) -> str:
        return f"The request {self.part} did not arrive within {self.seconds:g} seconds"


@dataclass
class TargetTooLong(MockError):
    """A request target past the server's limit; it was not read to its end."""

    limit: int

    def __str__(self) -> str:
        return f"The request target exceeds the limit of {self.limit} bytes"


@dataclass
class HeadersTooLarge(MockError):
    """Request header fields past the server's limit; they were not read to their end."""

    limit: int

    def __str__(self) -> str:
        return f"The request header fields exceed the limit of {self.limit} bytes"


@dataclass
class ShuttingDown(MockError):
    """The server stopped while the request was in flight (its grace period ended)."""

    def __str__(self) -> str:
        return "The mock is shutting down; the request was not completed"


@dataclass
class ContractBroken(MockError):
    """The mock's own response broke its spec: a bug in the mock, reported loudly."""

    operation_id: str
    status: int
    problems: list[str]

    def __str__(self) -> str:
        return (
            f"numbers-mock bug: the {self.status} response of {self.operation_id} does not "
            f"match the spec: {'; '.join(self.problems)}"
        )
