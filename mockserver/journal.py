"""The request journal: the most recent provider requests, in a bounded ring buffer.

What WireMock's request journal does, bounded so a soak or a long CI run cannot grow the
mock's memory (DESIGN.md, performance principles): so many entries, and of each request an
excerpt of its path and query string (a 1 MiB query string would otherwise be kept whole,
a thousand times over). Control-plane requests are not recorded: reading the journal must
not change it.

Each entry also keeps the request's headers and an excerpt of both bodies (as many
characters as the path), for the dashboard's details. They are kept as sent: secrets are
redacted when an entry is read (`redact_headers`, `redact_body`), so recording costs the
hot path no more than a reference.

Every provider request is recorded and few are ever read, so the edge records a plain
tuple of the entry's fields (`Row`, a tenth of what building the frozen `Entry` costs) and
the journal builds the `Entry` when it is first read.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

# Whether an entry (its recorded tenant and the principal it was made by) is a tenant's.
TenantFilter = Callable[[str | None, object], bool]
# An entry's fields in their order (`Entry.__init__`'s), as the edge records them.
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    request_id: str  # also sent as X-Request-Id
    at: datetime  # the mock's clock when the request arrived
    method: str
    path: str
    query: str
    provider: str
    operation_id: str | None  # None when no operation matched (404, 405)
    tenant: str | None  # Bird workspace (or organization) id, Vobiz auth id
    status: int
    duration_ms: float  # wall-clock time spent serving it
    fault: str | None = None  # the fault that changed the answer
    truncated: bool = False  # the path or query is an excerpt (see `excerpt`)
    # Who made it, as authenticated (never rendered): which tenant a filter names exactly
    # is for the provider to say (Provider.journal_filter), whatever the recorded tenant.
    principal: object = field(default=None, compare=False, repr=False)
    # The request's headers and the first bytes of both bodies (see `excerpt`), as sent:
    # read them through `redact_headers` and `redact_body`.
    request_headers: Sequence[tuple[str, str]] = field(default=(), compare=False, repr=False)
    request_body: bytes = field(default=b"", compare=False, repr=False)
    response_headers: Sequence[tuple[str, str]] = field(default=(), compare=False, repr=False)
    response_body: bytes = field(default=b"", compare=False, repr=False)
    bodies_truncated: bool = False  # either body is an excerpt
    # What it sent that the operation does not declare, ignored and warned of (X-Mock-Warning).
    warnings: tuple[str, ...] = ()


ROW_FIELDS = tuple(f.name for f in fields(Entry))


def excerpt(text: str, limit: int) -> tuple[str, bool]:
    """The first `limit` characters of `text`, and whether that cut anything."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True


@dataclass(frozen=True, slots=True)
class Query:
    path: str | None = None  # a path prefix
    method: str | None = None
    provider: str | None = None
    tenant: str | None = None
    status: int | None = None
    request_id: str | None = None
    operation_id: str | None = None
    # How each provider tells its entries of `tenant` (by provider name); the others are
    # matched on the recorded tenant.
    tenant_filters: Mapping[str, TenantFilter] = field(default_factory=dict)

    def matches(self, entry: Entry) -> bool:
        return (
            (self.path is None or entry.path.startswith(self.path))
            and (self.method is None or entry.method == self.method)
            and (self.provider is None or entry.provider == self.provider)
            and (self.tenant is None or self._tenant_of(entry))
            and (self.status is None or entry.status == self.status)
            and (self.request_id is None or entry.request_id == self.request_id)
            and (self.operation_id is None or entry.operation_id == self.operation_id)
        )

    def _tenant_of(self, entry: Entry) -> bool:
        exact = self.tenant_filters.get(entry.provider)
        if exact is None:
            return entry.tenant == self.tenant
        return exact(entry.tenant, entry.principal)


class Journal:
    __slots__ = ("_entries", "recorded")

    def __init__(self, capacity: int) -> None:
        self._entries: deque[Entry | Row] = deque(maxlen=capacity)
        self.recorded = 0  # since start or the last clear, including entries since dropped

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    @property
    def enabled(self) -> bool:
        """False when started with `--journal-size 0`: nothing is recorded."""
        return self.capacity > 0

    def record(self, entry: Entry | Row) -> None:
        """Record a request: an `Entry`, or its fields as a `Row` (built when read)."""
        if not self._entries.maxlen:
            return  # the journal is off: not even counted
        self._entries.append(entry)
        self.recorded += 1

    def newest_first(self, query: Query, limit: int) -> list[Entry]:
        found: list[Entry] = []
        for entry in self._reversed():
            if query.matches(entry):
                found.append(entry)
                if len(found) == limit:
                    break
        return found

    def clear(self) -> None:
        self._entries.clear()
        self.recorded = 0

    def _reversed(self) -> Iterator[Entry]:
        entries = self._entries
        for index in range(len(entries) - 1, -1, -1):
            entry = entries[index]
            if not isinstance(entry, Entry):
                entry = entries[index] = Entry(*entry)  # built once, when first read
            yield entry


# --- secrets, redacted when an entry is read ------------------------------------------------

REDACTED = "[redacted]"
# Credentials and signatures in headers: Bird's `Authorization: AccessKey ...`, the
# platform's `Bearer`, Vobiz's X-Auth-Token, cookies, signing headers. X-Auth-ID names a
# Vobiz account, not a secret: it stays.
_SECRET_HEADER = re.compile(
    r"authorization|cookie|token|secret|password|signature|api[-_]?key|access[-_]?key", re.I
)
# A JSON member whose name says it holds a secret (Vobiz's access_token, a webhook's
# signingKey or secret, a password), with its string value, even where an excerpt cuts it.
_SECRET_MEMBER = re.compile(
    rb'("[A-Za-z_]*(?:token|secret|password|signing_?key|api_?key|access_?key)[A-Za-z_]*"'
    rb'\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)',
    re.I,
)


def redact_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers with every secret's value replaced; an Authorization keeps its scheme."""
    return [(name, _redact_header(name, value)) for name, value in headers]


def _redact_header(name: str, value: str) -> str:
    if not _SECRET_HEADER.search(name):
        return value
    scheme, _, credential = value.strip().partition(" ")
    if name.lower().endswith("authorization") and credential:
        return f"{scheme} {REDACTED}"
    return REDACTED


def redact_body(body: bytes) -> str:
    """A body excerpt as text, with the values of JSON members that hold secrets replaced."""
    return _SECRET_MEMBER.sub(rb'\1"' + REDACTED.encode() + rb'"', body).decode("utf-8", "replace")
