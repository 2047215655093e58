"""Lifecycles as data: a status is computed from a start time, the steps and `now`.

Nothing is stored as "the current status", so moving the clock moves every lifecycle at
once and deterministically (DESIGN.md, decision 5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Step(Generic[S]):
    status: S
    after: timedelta  # how long after the start this status begins


@dataclass(frozen=True, slots=True)
class Timeline(Generic[S]):
    steps: tuple[Step[S], ...]

    def __post_init__(self) -> None:
        if not self.steps or self.steps[0].after != timedelta(0):
            raise ValueError("a timeline starts with a step at offset 0")
        offsets = [step.after for step in self.steps]
        if offsets != sorted(offsets):
            raise ValueError("timeline steps must be in time order")

    def step_at(self, start: datetime, now: datetime) -> Step[S]:
        current = self.steps[0]
        for step in self.steps[1:]:
            if now < start + step.after:
                break
            current = step
        return current

    def status_at(self, start: datetime, now: datetime) -> S:
        return self.step_at(start, now).status

    def since(self, start: datetime, now: datetime) -> datetime:
        """When the status shown at `now` began."""
        return start + self.step_at(start, now).after

    def instants(self, start: datetime) -> list[datetime]:
        """When each status begins, for a lifecycle started at `start`."""
        return [start + step.after for step in self.steps]

    def reached(self, status: S, start: datetime) -> datetime:
        for step in self.steps:
            if step.status == status:
                return start + step.after
        raise ValueError(f"{status!r} is not on this timeline")


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def next_change(
    statuses: Callable[[datetime], Mapping[str, str]],
    instants: Iterable[datetime | None],
    now: datetime,
) -> tuple[datetime, dict[str, str]] | None:
    """The first of `instants` after `now` at which `statuses` read otherwise than at
    `now`, with the statuses that change and their new values; None when none of them
    changes anything. Statuses are functions of the clock, so the candidates are the
    timestamps a lifecycle was fixed with, and the answer is read off the same functions
    that answer requests."""
    current = statuses(now)
    for at in sorted({t for t in instants if t is not None and t > now}):
        changed = {k: v for k, v in statuses(at).items() if current.get(k) != v}
        if changed:
            return at, changed
    return None
