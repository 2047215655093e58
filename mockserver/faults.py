"""Injected faults: latency, a forced error status, rate limiting, optionally intermittent.

A fault matches provider requests by provider, operationId, path glob, method and tenant.
It acts before the handler runs, so a faulted request changes no state (the provider never
saw it). Rate limits count per tenant in fixed windows of the mock's clock: on a frozen
clock a window lasts until the clock is moved, which makes 429s deterministic in tests.
A delivery fault (`delivery`: drop, delay or duplicate) acts on webhook deliveries
instead, matched by provider, tenant, event type and subscription (webhooks/engine.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mockserver.errors import Injected, MockError, RateLimited
from mockserver.rng import RandomStream

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Target:
    """The request a fault may hit."""

    provider: str
    operation_id: str | None
    method: str
    path: str
    tenant: str | None


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """The webhook delivery a delivery fault may hit."""

    provider: str
    tenant: str
    event: str
    subscription: str


@dataclass(frozen=True, slots=True)
class DeliveryEffect:
    """What a delivery fault does: drop it (never sent), delay it (sent `delay` of mock time
    later, out of its subscription's order) or duplicate it (sent twice, the same id)."""

    fault_id: str
    action: str
    delay: timedelta


DELIVERY_ACTIONS = ("drop", "delay", "duplicate")


@dataclass(slots=True)
class Fault:
    id: str
    provider: str | None = None
    operation_id: str | None = None
    path: str | None = None  # a glob: `*` within a segment, `**` across segments
    method: str | None = None
    tenant: str | None = None
    latency_ms: tuple[int, int] | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    rate_limit: tuple[int, float] | None = None  # (requests, per seconds)
    probability: float | None = None
    seed: int | None = None
    hits: int = 0
    # A delivery fault: it acts on webhook deliveries, never on requests.
    delivery: str | None = None  # DELIVERY_ACTIONS
    delay_seconds: float | None = None  # for `delay`, in mock time
    event: str | None = None  # a delivery's event type
    subscription: str | None = None  # a delivery's subscription id
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _draws: RandomStream | None = field(default=None, repr=False)  # set when added
    # Requests counted per tenant in the current rate-limit window, and that window's number:
    # past windows are never read again, so a new one starts with no counts.
    _windows: dict[str | None, int] = field(default_factory=dict, repr=False)
    _window: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            self._pattern = glob_pattern(self.path)

    def matches(self, target: Target) -> bool:
        return (
            (self.provider is None or self.provider == target.provider)
            and (self.operation_id is None or self.operation_id == target.operation_id)
            and (self.method is None or self.method == target.method)
            and (self.tenant is None or self.tenant == target.tenant)
            and (self._pattern is None or self._pattern.fullmatch(target.path) is not None)
        )

    def matches_delivery(self, target: DeliveryTarget) -> bool:
        return (
            self.delivery is not None
            and (self.provider is None or self.provider == target.provider)
            and (self.tenant is None or self.tenant == target.tenant)
            and (self.event is None or self.event == target.event)
            and (self.subscription is None or self.subscription == target.subscription)
        )

    def strikes(self) -> bool:
        """Whether an intermittent fault acts on this request (drawn from its own seed)."""
        if self.probability is None:
            return True
        assert self._draws is not None, "a fault draws once added to Faults"
        return self._draws.chance(self.probability)

    def limited(self, tenant: str | None, now: datetime) -> RateLimited | None:
        """Count the request in its tenant's window; a 429 once the window is full."""
        assert self.rate_limit is not None
        limit, per = self.rate_limit
        elapsed = (now - _EPOCH).total_seconds()
        window = math.floor(elapsed / per)
        if window != self._window:
            self._window, self._windows = window, {}
        count = self._windows.get(tenant, 0) + 1
        self._windows[tenant] = count
        if count <= limit:
            return None
        retry_after = max(1, math.ceil((window + 1) * per - elapsed))
        return RateLimited(
            f"Rate limit of {limit} requests per {per:g} s exceeded",
            retry_after=retry_after,
            details={"limit": limit, "current": count, "retryAfter": retry_after},
        )


@dataclass(frozen=True, slots=True)
class Effect:
    """What the faults do to one request: wait, then answer an error instead (if any)."""

    fault_id: str
    delay_seconds: float
    error: MockError | None


class Faults:
    __slots__ = ("_draws", "_faults")

    def __init__(self, draws: RandomStream) -> None:
        self._faults: list[Fault] = []
        self._draws = draws  # latency within a range; seeds of faults given none

    def __bool__(self) -> bool:
        return bool(self._faults)

    def all(self) -> list[Fault]:
        return list(self._faults)

    def add(self, fault: Fault) -> None:
        # Its own stream: a seeded fault strikes the same requests in every run.
        seed = str(fault.seed) if fault.seed is not None else self._draws.hex(32)
        fault._draws = RandomStream(f"fault:{seed}".encode())
        self._faults.append(fault)

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> None:
        self._faults.clear()

    def effect(self, target: Target, now: datetime) -> Effect | None:
        """The first matching fault that strikes: its latency, then its error (a rate limit
        only when the window is full)."""
        for fault in self._faults:
            if fault.delivery is not None or not fault.matches(target) or not fault.strikes():
                continue
            error: MockError | None = None
            if fault.rate_limit is not None:
                error = fault.limited(target.tenant, now)
                if error is None and fault.latency_ms is None and fault.status is None:
                    continue  # under the limit: the request goes through untouched
            if error is None and fault.status is not None:
                error = Injected(fault.status, fault.message, fault.code)
            fault.hits += 1
            return Effect(fault.id, self._delay(fault), error)
        return None

    def delivery_effect(self, target: DeliveryTarget) -> DeliveryEffect | None:
        """The first delivery fault matching a webhook delivery that strikes, if any."""
        for fault in self._faults:
            if not fault.matches_delivery(target) or not fault.strikes():
                continue
            fault.hits += 1
            assert fault.delivery is not None
            delay = timedelta(seconds=fault.delay_seconds or 0)
            return DeliveryEffect(fault.id, fault.delivery, delay)
        return None

    def _delay(self, fault: Fault) -> float:
        if fault.latency_ms is None:
            return 0.0
        low, high = fault.latency_ms
        return (low if high <= low else low + self._draws.below(high - low + 1)) / 1000


def glob_pattern(glob: str) -> re.Pattern[str]:
    """`/workspaces/*/numbers-long-code` or `/api/v1/**`: `*` stays within a segment."""
    parts = re.split(r"(\*\*|\*)", glob)
    regex = "".join(
        ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part) for part in parts
    )
    return re.compile(regex)
