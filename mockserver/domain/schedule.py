"""Side effects that fall due at a time: a refund when an order is rejected, a number
returning to stock when it is deprovisioned.

Statuses are computed from timestamps (lifecycle.py); effects that change other state are
queued here and applied, in due order and at their due time, before the next request is
served (`due(now)`). So a jump of the clock applies everything that fell due in between,
in order, exactly as if time had passed, and ledgers show the due time, not the read time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from heapq import heappop, heappush
from itertools import count
from typing import Generic, TypeVar

E = TypeVar("E")


@dataclass(frozen=True, slots=True, order=True)
class _Entry(Generic[E]):
    at: datetime
    seq: int
    event: E = field(compare=False)


class Schedule(Generic[E]):
    __slots__ = ("_entries", "_seq")

    def __init__(self) -> None:
        self._entries: list[_Entry[E]] = []
        self._seq = count()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, at: datetime, event: E) -> None:
        heappush(self._entries, _Entry(at, next(self._seq), event))

    def due(self, now: datetime) -> Iterator[tuple[datetime, E]]:
        """Pop every event due at or before `now`, earliest first (ties in the order added)."""
        while self._entries and self._entries[0].at <= now:
            entry = heappop(self._entries)
            yield entry.at, entry.event
