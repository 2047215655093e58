"""Injected time: every `now` in the mock comes from a Clock (DESIGN.md, decision 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def advance(self, delta: timedelta) -> datetime:
        """Move this clock forward; every lifecycle computed from it moves too."""
        ...


@runtime_checkable
class Resettable(Protocol):
    """A clock that a state restore can set to the dump's time, forward or back."""

    def reset_to(self, when: datetime) -> datetime: ...


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

    def reset_to(self, when: datetime) -> datetime:
        """Shift the offset so that now is `when`, even in the past: for restoring a state
        dump only (its lifecycles are consistent with its own time); `advance` stays
        forward-only."""
        self._offset = _aware(when) - datetime.now(UTC)
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

    def reset_to(self, when: datetime) -> datetime:
        """Set the time, even backwards: for restoring a state dump only (see SystemClock)."""
        self._now = _aware(when)
        return self._now


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return when.astimezone(UTC)


def _check_forward(delta: timedelta) -> None:
    # Lifecycles are computed from timestamps; time running backwards would un-expire things.
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
