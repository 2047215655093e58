"""Injected time: every `now` in the mock comes from a Clock (DESIGN.md, decision 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def advance(self, delta: timedelta) -> datetime:
        """Move this clock forward; every lifecycle computed from it moves too."""
        ...


class SystemClock:
    """Wall-clock time, plus an offset so a running server can still be moved forward."""

    __slots__ = ("_offset",)

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        _check_forward(delta)
        self._offset += delta
        return self.now()


class ManualClock:
    """A clock that stands still until told to move: tests advance it instead of sleeping."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        _check_forward(delta)
        self._now += delta
        return self._now


def _check_forward(delta: timedelta) -> None:
    # Lifecycles are computed from timestamps; time running backwards would un-expire things.
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
