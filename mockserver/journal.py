"""The request journal: the most recent provider requests, in a bounded ring buffer.

What WireMock's request journal does, bounded so a soak or a long CI run cannot grow the
mock's memory (DESIGN.md, performance principles): so many entries, and of each request an
excerpt of its path and query string (a 1 MiB query string would otherwise be kept whole,
a thousand times over). Control-plane requests are not recorded: reading the journal must
not change it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Whether an entry (its recorded tenant and the principal it was made by) is a tenant's.
TenantFilter = Callable[[str | None, object], bool]


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
        )

    def _tenant_of(self, entry: Entry) -> bool:
        exact = self.tenant_filters.get(entry.provider)
        if exact is None:
            return entry.tenant == self.tenant
        return exact(entry.tenant, entry.principal)


class Journal:
    __slots__ = ("_entries", "recorded")

    def __init__(self, capacity: int) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self.recorded = 0  # since start or the last clear, including entries since dropped

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: Entry) -> None:
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
        return reversed(self._entries)
