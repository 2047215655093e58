"""Injected time: every `now` in the mock comes from a Clock (DESIGN.md, decision 5).

One clock type with two starting modes: `SystemClock` runs with the wall clock (plus an
offset, so a running server can still be moved forward), `ManualClock` stands still until
told to move (tests, `--clock manual`). The control plane can freeze a running clock and
let a frozen one run again from where it stands.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, runtime_checkable

Mode = Literal["system", "manual"]

# The latest time the mock's clock may show. Every expiry the mock computes is the clock's
# now plus at most ten years (the scenario schema bounds every duration), so from here on
# all of them stay far below datetime's year 9999: nothing a client does can overflow.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class OutOfRange(ValueError):
    """A time the mock's clock may not show (after LATEST)."""


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


class MockClock:
    __slots__ = ("_frozen_at", "_offset", "_start", "mode")

    def __init__(self, mode: Mode, start: datetime | None) -> None:
        self.mode: Mode = mode
        if mode == "manual" and start is None:
            start = _wall_second()
        self._start = None if start is None else _bounded(_aware(start))
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        self.restart()

    def restart(self) -> datetime:
        """Back to where it started: a manual clock frozen at its start time, a system
        clock running from its start time (the wall clock if it had none)."""
        if self.mode == "manual":
            self._frozen_at = self._start
        else:
            self._frozen_at = None
            start = self._start
            self._offset = timedelta(0) if start is None else start - datetime.now(UTC)
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        _check_forward(delta)
        try:
            _bounded(self.now() + delta)
        except OverflowError:
            raise OutOfRange(f"the clock may not pass {LATEST.isoformat()}") from None
        if self._frozen_at is not None:
            self._frozen_at += delta
        else:
            self._offset += delta
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Jump forward to `when` (a time before now is refused, as by `advance`)."""
        return self.advance(_aware(when) - self.now())

    def freeze(self) -> datetime:
        if self._frozen_at is None:
            self._frozen_at = self.now()
        return self._frozen_at

    def unfreeze(self) -> datetime:
        """Run again from the frozen time, without a jump."""
        if self._frozen_at is not None:
            self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None
        return self.now()

    def reset_to(self, when: datetime) -> datetime:
        """Set the time, even backwards: for restoring a state dump only (its lifecycles
        are consistent with its own time); `advance` and `set` stay forward-only."""
        when = _bounded(_aware(when))
        if self._frozen_at is not None:
            self._frozen_at = when
        else:
            self._offset = when - datetime.now(UTC)
        return self.now()


class SystemClock(MockClock):
    """Wall-clock time (from `start`, if given), running."""

    __slots__ = ()

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__("system", start)


class ManualClock(MockClock):
    """A clock that stands still until told to move: tests advance it instead of sleeping."""

    __slots__ = ()

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__("manual", start or datetime(2026, 1, 1, 9, 0, tzinfo=UTC))


def manual_from_now() -> ManualClock:
    """`--clock manual` without a start time: frozen at the current second."""
    return ManualClock(_wall_second())


def wall_seconds() -> int:
    """The wall clock's Unix time in whole seconds: what a webhook signature's timestamp
    carries (a receiver checks it against its own clock, not the mock's)."""
    return int(time.time())


def _wall_second() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return when.astimezone(UTC)


def _bounded(when: datetime) -> datetime:
    if when > LATEST:
        raise OutOfRange(
            f"{when.isoformat()} is after {LATEST.isoformat()}, the latest time the mock's "
            "clock may show"
        )
    return when


def _check_forward(delta: timedelta) -> None:
    # Lifecycles are computed from timestamps; time running backwards would un-expire things.
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
