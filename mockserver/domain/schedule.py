"""Side effects that fall due at a time: a refund when an order is rejected, a number
returning to stock when it is deprovisioned.

Statuses are computed from timestamps (lifecycle.py); effects that change other state are
queued here and applied, in due order and at their due time, before the next request is
served (`due(now)`). So a jump of the clock applies everything that fell due in between,
in order, exactly as if time had passed, and ledgers show the due time, not the read time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from heapq import heapify, heappop, heappush
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
        # A plain int, not itertools.count: a state dump must be able to read and restore it.
        self._seq = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def next_seq(self) -> int:
        return self._seq

    def add(self, at: datetime, event: E) -> None:
        heappush(self._entries, _Entry(at, self._seq, event))
        self._seq += 1

    def discard(self, drop: Callable[[E], bool]) -> None:
        """Forget the queued events `drop` picks (a tenant that was reset); the others keep
        their due order."""
        self._entries = [entry for entry in self._entries if not drop(entry.event)]
        heapify(self._entries)

    def pending(self) -> list[tuple[datetime, int, E]]:
        """Every queued event with its sequence number, in due order (for dumps and resets)."""
        return [(e.at, e.seq, e.event) for e in sorted(self._entries)]

    @classmethod
    def rebuilt(cls, pending: Iterable[tuple[datetime, int, E]], next_seq: int) -> Schedule[E]:
        """A schedule holding `pending` (as listed by `pending()`), numbering on from
        `next_seq`: ties between old and new events keep falling due in the order added."""
        schedule: Schedule[E] = cls()
        schedule._entries = [_Entry(at, seq, event) for at, seq, event in pending]
        seqs = [entry.seq for entry in schedule._entries]
        if len(set(seqs)) != len(seqs) or any(seq >= next_seq or seq < 0 for seq in seqs):
            raise ValueError("scheduled events need distinct sequence numbers below next_seq")
        heapify(schedule._entries)
        schedule._seq = next_seq
        return schedule

    def due(self, now: datetime) -> Iterable[tuple[datetime, E]]:
        """Pop every event due at or before `now`, earliest first (ties in the order added)."""
        if not self._entries or self._entries[0].at > now:
            return ()  # nothing due (every request settles first): no generator made
        return self._pop_due(now)

    def _pop_due(self, now: datetime) -> Iterator[tuple[datetime, E]]:
        while self._entries and self._entries[0].at <= now:
            entry = heappop(self._entries)
            yield entry.at, entry.event
