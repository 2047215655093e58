"""The delivery engine: webhooks on the mock clock (DESIGN.md, decision 13).

Providers hand it events for their subscriptions (`Outbox.emit`, through the provider
contract: the engine never imports a provider) and tell it, at each attempt, where and how a
subscription's deliveries go (`Provider.webhook_target`). The engine signs every attempt
(signing.py), sends it as a real HTTP POST with httpx, and records it.

Time. A delivery is due when its event happened; a failed attempt schedules the next one
on the retry schedule (`Policy.retry_intervals`), in mock time. An attempt's time is its due
time, as the providers' side effects carry theirs (domain/schedule.py): moving the clock
eight hours makes every retry that falls due in between at once, in order, each recorded
at the time it fell due. Deliveries to one subscription keep their order: the next one
waits until the one before it is delivered or its retries are spent.

Where the work runs. Handlers run on the server's event loop; so do the engine's requests.
`wake()` runs after every request (the edge calls it: the one place every request passes,
under uvicorn, the pytest plugin's threaded server and httpx's in-process ASGITransport,
none of which need a lifespan) and on a timer while the clock runs: it settles the
providers (so what a request changed is emitted at once), then starts every attempt that is
due as a task on the running loop, at most `Policy.concurrency` requests at once, each with
a short timeout. A request never waits for a delivery.

What is kept. Deliveries and their attempts are state (in the state dump, models.py); the
finished ones are pruned beyond `Policy.history` and after `Policy.retention` of mock time,
and a subscription holds at most `Policy.queue` pending ones: memory stays flat whatever a
dead endpoint does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from mockserver.clock import wall_seconds
from mockserver.dumps import Codec, Reader, SnapshotError
from mockserver.faults import DeliveryTarget, Faults
from mockserver.webhooks import signing, urls
from mockserver.webhooks.models import (
    Attempt,
    Delivery,
    Outgoing,
    Policy,
    SendResult,
    WebhookState,
    WebhookTarget,
)

if TYPE_CHECKING:
    from mockserver.clock import Clock
    from mockserver.rng import RandomStream

log = logging.getLogger("mockserver.webhooks")
USER_AGENT = "numbers-mock-webhooks"
RESPONSE_EXCERPT = 1024  # bytes of a receiver's answer kept (the platform keeps 1024 too)
# How often a running clock is looked at for deliveries and state changes falling due.
TICK_SECONDS = 1.0
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Outbox(Protocol):
    """What a provider may ask of the engine (it gets one through Provider.bind_webhooks)."""

    def emit(self, outgoing: Outgoing) -> Delivery: ...

    def watch(self) -> None: ...

    def cancel(self, provider: str, subscription: str) -> None: ...

    def attempts(self, provider: str, subscription: str) -> list[tuple[Delivery, Attempt]]: ...

    def replay(
        self, provider: str, subscription: str, since: datetime, until: datetime, limit: int
    ) -> int: ...

    def send_once(
        self, provider: str, route: str, target: WebhookTarget, message_id: str, body: str
    ) -> Awaitable[SendResult]: ...


class Source(Protocol):
    """What the engine needs of a provider (providers/base.py Provider, which it never
    imports): its name, its settle(), and where a subscription's deliveries go."""

    @property
    def name(self) -> str: ...

    def settle(self) -> datetime: ...

    def webhook_target(self, route: str) -> WebhookTarget | None: ...


class NullOutbox:
    """The outbox of a provider no engine was bound to (a backend built on its own)."""

    def emit(self, outgoing: Outgoing) -> Delivery:
        return Delivery(
            outgoing.message_id,
            outgoing.provider,
            outgoing.tenant,
            outgoing.subscription,
            outgoing.route,
            outgoing.event_type,
            outgoing.event_id,
            outgoing.occurred_at,
            outgoing.body,
            0,
            status="cancelled",
            note="no delivery engine",
        )

    def watch(self) -> None:
        return None

    def cancel(self, provider: str, subscription: str) -> None:
        return None

    def attempts(self, provider: str, subscription: str) -> list[tuple[Delivery, Attempt]]:
        return []

    def replay(
        self, provider: str, subscription: str, since: datetime, until: datetime, limit: int
    ) -> int:
        return 0

    async def send_once(
        self, provider: str, route: str, target: WebhookTarget, message_id: str, body: str
    ) -> SendResult:
        return SendResult(None, 0, None, "no delivery engine")


NULL_OUTBOX = NullOutbox()


@dataclass(frozen=True, slots=True)
class Scope:
    """Which deliveries a control-plane pause holds (None: any)."""

    provider: str | None = None
    tenant: str | None = None
    subscription: str | None = None

    def holds(self, delivery: Delivery) -> bool:
        return (
            self.provider in (None, delivery.provider)
            and self.tenant in (None, delivery.tenant)
            and self.subscription in (None, delivery.subscription)
        )


@dataclass(frozen=True, slots=True)
class Query:
    """Which deliveries the control plane lists (None: any)."""

    provider: str | None = None
    tenant: str | None = None
    subscription: str | None = None
    event: str | None = None
    outcome: str | None = None

    def matches(self, delivery: Delivery) -> bool:
        return (
            self.provider in (None, delivery.provider)
            and self.tenant in (None, delivery.tenant)
            and self.subscription in (None, delivery.subscription)
            and self.event in (None, delivery.event_type)
            and self.outcome in (None, delivery.status)
        )


class Webhooks:
    """The engine of one mock (MockState.webhooks), and the outbox of its providers."""

    def __init__(
        self,
        clock: Clock,
        ids: RandomStream,
        policy: Policy | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.policy = policy or Policy()
        self.faults = faults
        self.state = WebhookState()
        self.paused: list[Scope] = []
        self.app: Any = None  # the mock's ASGI app: the inbox is served in-process
        self._providers: dict[str, Source] = {}
        self._generation = 0
        self._watching = False  # a subscription exists: settle after requests and on ticks
        # Derived from `state` (rebuilt on a restore): the pending deliveries of each
        # subscription in emission order, the ones outside any order, the finished ones.
        self._queues: dict[tuple[str, str], deque[str]] = {}
        self._loose: set[str] = set()
        self._finished: deque[str] = deque()
        self._dirty = True
        self._next_due: datetime | None = None
        # Per event loop: the loop the work runs on, its tasks, timer and primitives.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._changed: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._settling = False
        # Messages sent outside any delivery (the platform's test events), for the inbox.
        self._sent_once: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._ssl: ssl.SSLContext | None = None

    # --- wiring -------------------------------------------------------------------------

    def bind(self, providers: Iterable[Source], app: Any = None) -> None:
        """The providers whose targets the engine asks for, and the app the inbox is in."""
        self._providers = {provider.name: provider for provider in providers}
        if app is not None:
            self.app = app

    # --- the outbox (what providers call) ---------------------------------------------

    def emit(self, outgoing: Outgoing) -> Delivery:
        """Queue an event for a subscription: due at once (when it happened)."""
        state = self.state
        delivery = Delivery(
            id=outgoing.message_id,
            provider=outgoing.provider,
            tenant=outgoing.tenant,
            subscription=outgoing.subscription,
            route=outgoing.route,
            event_type=outgoing.event_type,
            event_id=outgoing.event_id,
            created_at=outgoing.occurred_at,
            body=outgoing.body,
            serial=state.serial,
            next_attempt_at=outgoing.occurred_at,
        )
        state.serial += 1
        state.deliveries[delivery.id] = delivery
        queue = self._queues.setdefault((delivery.provider, delivery.route), deque())
        if len(queue) >= self.policy.queue:
            note = f"queue full: {len(queue)} deliveries to this subscription were still pending"
            self._finish(delivery, "failed", outgoing.occurred_at, note)
        else:
            queue.append(delivery.id)
        self._dirty = True
        return delivery

    def watch(self) -> None:
        """A provider has a subscription: from now on, settle after every request."""
        self._watching = True

    def cancel(self, provider: str, subscription: str) -> None:
        """A subscription was deleted: its pending deliveries stop, retries included."""
        now = self.clock.now()
        for delivery in list(self.state.deliveries.values()):
            if (
                delivery.pending
                and delivery.provider == provider
                and delivery.subscription == subscription
            ):
                self._finish(delivery, "cancelled", now, "the subscription was deleted")

    def attempts(self, provider: str, subscription: str) -> list[tuple[Delivery, Attempt]]:
        """Every recorded attempt to a subscription, newest first."""
        found = [
            (delivery, attempt)
            for delivery in self.state.deliveries.values()
            if delivery.provider == provider and delivery.subscription == subscription
            for attempt in delivery.attempts
        ]
        found.sort(key=lambda pair: (pair[1].at, pair[0].serial, pair[1].number), reverse=True)
        return found

    def replay(
        self, provider: str, subscription: str, since: datetime, until: datetime, limit: int
    ) -> int:
        """Send again, once each, the deliveries with a failed attempt in [since, until] and
        none delivered in it, oldest first (the platform's replay); returns how many."""
        now = self.clock.now()
        chosen = []
        for delivery in self.state.deliveries.values():
            if (
                delivery.provider != provider
                or delivery.subscription != subscription
                or delivery.pending
            ):
                continue
            window = [a for a in delivery.attempts if since <= a.at <= until]
            failed = any(a.outcome == "failed" for a in window)
            if failed and not any(a.outcome == "delivered" for a in window):
                chosen.append(delivery)
        chosen.sort(key=lambda d: (d.created_at, d.serial))
        for delivery in chosen[:limit]:
            self._again(delivery, now)
        return min(len(chosen), limit)

    async def send_once(
        self, provider: str, route: str, target: WebhookTarget, message_id: str, body: str
    ) -> SendResult:
        """One request outside any delivery, never recorded or retried (the platform's
        test event); the inbox can still verify it."""
        self._sent_once[message_id] = (provider, route)
        while len(self._sent_once) > self.policy.history:
            self._sent_once.popitem(last=False)
        refusal = urls.egress_refusal(target.url, self.policy.egress)
        if refusal is not None:
            return SendResult(None, 0, None, refusal)
        return await self._post(target, message_id, body.encode(), self.clock.now())

    # --- the control plane ---------------------------------------------------------------

    def deliveries(self, query: Query, limit: int) -> list[Delivery]:
        """The newest deliveries matching `query`."""
        found: list[Delivery] = []
        for delivery in reversed(self.state.deliveries.values()):
            if query.matches(delivery):
                found.append(delivery)
                if len(found) >= limit:
                    break
        return found

    def get(self, delivery_id: str) -> Delivery | None:
        return self.state.deliveries.get(delivery_id)

    def redeliver(self, delivery: Delivery) -> None:
        """Send a finished delivery again now: one attempt, outside its subscription's order."""
        self._again(delivery, self.clock.now())

    def pause(self, scope: Scope) -> None:
        if scope not in self.paused:
            self.paused.append(scope)

    def resume(self, scope: Scope | None) -> None:
        """Lift the pause on exactly this scope (None: every pause)."""
        self.paused = [] if scope is None else [p for p in self.paused if p != scope]
        self._dirty = True

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "delivered", "failed", "dropped", "cancelled"), 0)
        for delivery in self.state.deliveries.values():
            counts[delivery.status] = counts.get(delivery.status, 0) + 1
        counts["inFlight"] = len(self._inflight)
        return counts

    def keys_for(self, message_id: str) -> tuple[str, ...] | None:
        """The keys the subscription a message came from signs with now (None: unknown)."""
        delivery = self.state.deliveries.get(message_id)
        known = (delivery.provider, delivery.route) if delivery else self._sent_once.get(message_id)
        if known is None:
            return None
        provider = self._providers.get(known[0])
        target = None if provider is None else provider.webhook_target(known[1])
        return None if target is None else target.keys

    async def drain(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds of wall time) until no attempt is in flight and
        none is due on the mock clock; whether that happened."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.wake()
        while True:
            self._start_due()
            if not self._inflight and not self._due_now():
                return True
            remaining = deadline - loop.time()
            changed = self._event()
            if remaining <= 0:
                return False
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # --- resets and dumps ----------------------------------------------------------------

    def reset(self) -> None:
        """No deliveries, no pauses (a full reset of the mock)."""
        self._replace(WebhookState())
        self.paused = []
        self._watching = False
        self._sent_once.clear()

    def forget(self, provider: str, tenants: Iterable[str]) -> None:
        """Drop every delivery of these tenants (a tenant reset)."""
        names = set(tenants)
        kept = WebhookState(
            {
                key: delivery
                for key, delivery in self.state.deliveries.items()
                if not (delivery.provider == provider and delivery.tenant in names)
            },
            self.state.serial,
        )
        self._replace(kept)

    def dump(self) -> dict[str, Any]:
        return Codec().write_fields(self.state)

    def prepare_restore(self, data: Mapping[str, Any] | None) -> Callable[[], None]:
        """Read the engine's part of a dump (absent in older dumps: no deliveries), checked
        whole; return what swaps it in. Raises SnapshotError."""
        if data is None:
            restored = WebhookState()
        else:
            restored = Codec().read(Reader(data, "$.webhooks"), WebhookState)
        for key, delivery in restored.deliveries.items():
            if delivery.status not in ("pending", "delivered", "failed", "dropped", "cancelled"):
                raise SnapshotError(f"$.webhooks.deliveries: {key} has status {delivery.status!r}")
            if delivery.pending and delivery.next_attempt_at is None:
                raise SnapshotError(f"$.webhooks.deliveries: pending {key} has no nextAttemptAt")

        def swap() -> None:
            self._replace(restored)
            self._watching = self._watching or bool(restored.deliveries)

        return swap

    def _replace(self, state: WebhookState) -> None:
        """Swap the state: what is in flight for the old one is abandoned."""
        self._generation += 1
        for task in self._inflight.values():
            task.cancel()
        self._inflight.clear()
        self.state = state
        self._queues.clear()
        self._loose.clear()
        self._finished.clear()
        for delivery in sorted(state.deliveries.values(), key=lambda d: d.serial):
            if not delivery.pending:
                self._finished.append(delivery.id)
            elif delivery.loose:
                self._loose.add(delivery.id)
            else:
                self._queues.setdefault((delivery.provider, delivery.route), deque()).append(
                    delivery.id
                )
        self._dirty = True
        self._next_due = None

    # --- running on the event loop -------------------------------------------------------

    def wake(self) -> None:
        """After a request, and on the timer: settle the providers, start what is due."""
        idle = self._next_due is None and self._timer is None
        if idle and not (self._watching or self._dirty):
            return  # nothing subscribed, queued or timed (every request of most runs)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop to send on: the next request wakes the engine
        if loop is not self._loop:
            self._bind(loop)
        if self._settling:
            return
        try:
            if self._watching:
                self._settling = True
                try:
                    for provider in self._providers.values():
                        provider.settle()
                finally:
                    self._settling = False
            self._start_due()
            self._arm()
        except Exception:  # a bug here must not fail the request that woke the engine
            log.exception("numbers-mock webhooks: waking the delivery engine failed")

    async def aclose(self) -> None:
        """Stop: cancel the timer and whatever is in flight (the server is stopping)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks and self._loop is asyncio.get_running_loop():
            await asyncio.gather(*tasks, return_exceptions=True)
        self._inflight.clear()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run on this loop from now on. Attempts in flight on another loop are abandoned
        (their loop is gone: a test's); they are made again, as they were never recorded."""
        self._loop = loop
        self._inflight.clear()
        self._semaphore = asyncio.Semaphore(self.policy.concurrency)
        self._changed = None
        self._timer = None
        self._generation += 1
        self._dirty = True

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _arm(self) -> None:
        """While the clock runs, look again when the next attempt falls due (and every
        second, for state changes, while anything subscribes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if getattr(self.clock, "frozen", True) or self._loop is None:
            return  # a frozen clock moves through the control plane, which wakes the engine
        delay = TICK_SECONDS if self._watching else None
        if self._next_due is not None:
            until = (self._next_due - self.clock.now()).total_seconds()
            delay = until if delay is None else min(delay, until)
        if delay is not None:
            loop = self._loop
            self._timer = loop.call_later(max(delay, 0.01), self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if loop is self._loop:
            self._dirty = True
            self.wake()

    def _due_now(self) -> bool:
        return self._next_due is not None and self._next_due <= self.clock.now()

    def _start_due(self) -> None:
        now = self.clock.now()
        while self._dirty or (self._next_due is not None and self._next_due <= now):
            self._dirty = False
            self._prune(now)
            self._next_due = self._scan(now)

    def _scan(self, now: datetime) -> datetime | None:
        """Start every attempt due by `now`; return when the next one falls due."""
        earliest: datetime | None = None
        for delivery in list(self._candidates()):
            if delivery.id in self._inflight or not delivery.pending:
                continue
            if any(scope.holds(delivery) for scope in self.paused):
                continue
            target = self._target(delivery)
            if target is None:
                self._finish(delivery, "cancelled", now, "the subscription no longer exists")
                self._dirty = True  # the next one in its queue may be due
                continue
            if not target.active:
                continue  # the provider's own pause: it waits until the subscription resumes
            due = delivery.next_attempt_at
            assert due is not None
            if due <= now:
                self._start(delivery)
            elif earliest is None or due < earliest:
                earliest = due
        return earliest

    def _candidates(self) -> Iterator[Delivery]:
        deliveries = self.state.deliveries
        for key, queue in list(self._queues.items()):
            if not queue:
                del self._queues[key]
                continue
            yield deliveries[queue[0]]
        for delivery_id in list(self._loose):
            yield deliveries[delivery_id]

    def _target(self, delivery: Delivery) -> WebhookTarget | None:
        provider = self._providers.get(delivery.provider)
        return None if provider is None else provider.webhook_target(delivery.route)

    def _url_of(self, delivery: Delivery) -> str:
        """Where the delivery goes now, as far as can be told (for the record)."""
        try:
            target = self._target(delivery)
        except Exception:  # the record is made without it
            target = None
        if target is not None:
            return target.url
        return delivery.attempts[-1].url if delivery.attempts else ""

    def _start(self, delivery: Delivery) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._attempt(delivery, self._generation))
        self._inflight[delivery.id] = task

    async def _attempt(self, delivery: Delivery, generation: int) -> None:
        try:
            assert self._semaphore is not None
            async with self._semaphore:
                if generation == self._generation and delivery.pending:
                    await self._make_attempt(delivery, generation)
        except Exception as error:  # a bug must not leave the task failing
            # Recorded as a failed attempt with its retry, like a receiver's failure: left
            # pending at the same due time, the delivery would be started again at once.
            log.exception("numbers-mock webhooks: an attempt of %s failed", delivery.id)
            if generation == self._generation and delivery.pending:
                due = delivery.next_attempt_at or self.clock.now()
                reason = f"the mock could not make this attempt: {_describe(error, 0)}"
                result = SendResult(None, 0, None, reason)
                self._record(delivery, due, self._url_of(delivery), result, None)
        finally:
            if generation == self._generation:
                self._inflight.pop(delivery.id, None)
                self._dirty = True
                if self._changed is not None:
                    self._changed.set()
                self.wake()

    async def _make_attempt(self, delivery: Delivery, generation: int) -> None:
        due = delivery.next_attempt_at
        assert due is not None
        target = self._target(delivery)
        if target is None:
            self._finish(delivery, "cancelled", due, "the subscription no longer exists")
            return
        if not target.active or any(scope.holds(delivery) for scope in self.paused):
            return  # paused meanwhile: it stays pending
        effect = None
        if not delivery.faulted and not delivery.once and self.faults:
            delivery.faulted = True
            effect = self.faults.delivery_effect(
                DeliveryTarget(
                    delivery.provider, delivery.tenant, delivery.event_type, delivery.subscription
                )
            )
        if effect is not None and effect.action == "drop":
            attempt = self._new_attempt(delivery, due, target.url, "dropped", fault=effect.fault_id)
            attempt.error = "dropped by a fault: never sent"
            delivery.attempts.append(attempt)
            self._finish(delivery, "dropped", due, "a fault dropped it")
            return
        if effect is not None and effect.action == "delay":
            self._loosen(delivery)
            delivery.next_attempt_at = due + effect.delay
            return
        refusal = urls.egress_refusal(target.url, self.policy.egress)
        if refusal is not None:
            attempt = self._new_attempt(delivery, due, target.url, "failed")
            attempt.error = refusal
            delivery.attempts.append(attempt)
            self._finish(delivery, "failed", due, refusal)
            return
        body = delivery.body.encode()
        result = await self._post(target, delivery.id, body, due)
        if generation != self._generation:
            return
        fault = effect.fault_id if effect is not None else None
        self._record(delivery, due, target.url, result, fault)
        if effect is not None and effect.action == "duplicate":
            again = await self._post(target, delivery.id, body, due)
            if generation == self._generation:
                copy = self._attempt_of(delivery, due, target.url, again, fault)
                copy.duplicate = True
                delivery.attempts.append(copy)

    def _record(
        self, delivery: Delivery, due: datetime, url: str, result: SendResult, fault: str | None
    ) -> None:
        attempt = self._attempt_of(delivery, due, url, result, fault)
        delivery.attempts.append(attempt)
        if not delivery.pending:
            return  # cancelled while in flight: recorded, nothing more
        if result.delivered:
            self._finish(delivery, "delivered", due)
            return
        made = sum(1 for a in delivery.attempts if not a.duplicate)
        intervals = self.policy.retry_intervals
        if delivery.once or made > len(intervals):
            self._finish(delivery, "failed", due, "the retry schedule is spent")
            return
        attempt.next_attempt_at = delivery.next_attempt_at = due + intervals[made - 1]

    def _attempt_of(
        self, delivery: Delivery, due: datetime, url: str, result: SendResult, fault: str | None
    ) -> Attempt:
        outcome = "delivered" if result.delivered else "failed"
        attempt = self._new_attempt(delivery, due, url, outcome, fault=fault)
        attempt.status_code = result.status_code
        attempt.duration_ms = result.duration_ms
        attempt.error = result.error
        attempt.response_body = result.response_body
        attempt.headers = {k: v for k, v in result.headers if k not in _PLAIN_HEADERS}
        return attempt

    def _new_attempt(
        self, delivery: Delivery, at: datetime, url: str, outcome: str, *, fault: str | None = None
    ) -> Attempt:
        number = sum(1 for a in delivery.attempts if not a.duplicate) + 1
        token = "".join(_BASE62[self.ids.below(62)] for _ in range(27))
        return Attempt(f"msgatt_{token}", number, at, url, outcome, 0, fault=fault)

    def _again(self, delivery: Delivery, now: datetime) -> None:
        """A finished delivery pending again, for one attempt now."""
        if delivery.pending:
            return
        delivery.status = "pending"
        delivery.once = True
        delivery.finished_at = None
        delivery.note = None
        delivery.next_attempt_at = now
        delivery.loose = True
        self._loose.add(delivery.id)
        self._dirty = True

    def _loosen(self, delivery: Delivery) -> None:
        """Out of its subscription's order: the ones behind it go on without it."""
        queue = self._queues.get((delivery.provider, delivery.route))
        if queue and delivery.id in queue:
            queue.remove(delivery.id)
            self._promote(queue, delivery.next_attempt_at)
        delivery.loose = True
        self._loose.add(delivery.id)
        self._dirty = True

    def _finish(
        self, delivery: Delivery, status: str, at: datetime, note: str | None = None
    ) -> None:
        delivery.status = status
        delivery.next_attempt_at = None
        delivery.finished_at = at
        delivery.note = note
        self._loose.discard(delivery.id)
        queue = self._queues.get((delivery.provider, delivery.route))
        if queue and delivery.id in queue:
            head = queue[0] == delivery.id
            queue.remove(delivery.id)
            if head:
                self._promote(queue, at)
        self._finished.append(delivery.id)
        self._dirty = True
        self._prune(self.clock.now())

    def _promote(self, queue: deque[str], at: datetime | None) -> None:
        """The next delivery of a subscription is due no sooner than the one before ended."""
        if queue and at is not None:
            head = self.state.deliveries[queue[0]]
            if head.next_attempt_at is not None and head.next_attempt_at < at:
                head.next_attempt_at = at

    def _prune(self, now: datetime) -> None:
        """Forget finished deliveries beyond the history size or older than the retention."""
        deliveries, finished = self.state.deliveries, self._finished
        oldest = now - self.policy.retention
        while finished:
            first = deliveries.get(finished[0])
            if first is not None and first.pending:
                finished.popleft()  # sent again since (a redelivery): no longer finished
                continue
            too_many = len(finished) > self.policy.history
            too_old = (
                first is not None and first.finished_at is not None and first.finished_at < oldest
            )
            if first is not None and not (too_many or too_old):
                break
            finished.popleft()
            if first is not None:
                del deliveries[first.id]

    async def _post(
        self, target: WebhookTarget, message_id: str, body: bytes, due: datetime
    ) -> SendResult:
        stamp = wall_seconds() if self.policy.signature_time == "wall" else int(due.timestamp())
        headers = [
            ("content-type", "application/json"),
            ("user-agent", USER_AGENT),
            *signing.sign(target.scheme, target.keys, message_id, stamp, target.url, body),
        ]
        started = time.perf_counter()
        try:
            async with self._client(target.url) as client:
                request = client.build_request("POST", target.url, content=body, headers=headers)
                response = await client.send(request, stream=True)
                try:
                    excerpt = await _excerpt(response)
                finally:
                    await response.aclose()
        except Exception as error:  # every failure of the receiver is recorded
            return SendResult(
                None, _ms(started), None, _describe(error, self.policy.timeout), tuple(headers)
            )
        return SendResult(response.status_code, _ms(started), excerpt, None, tuple(headers))

    def _client(self, url: str) -> Any:
        import httpx

        if urls.inbox_name(url) is not None and self.app is not None:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.policy.timeout),
            verify=self._ssl,
            trust_env=False,  # a proxy from the environment must not stand in the way
            follow_redirects=False,
        )


_PLAIN_HEADERS = frozenset({"content-type", "user-agent"})


async def _excerpt(response: Any) -> str | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT:
            break
    raw = b"".join(chunks)[:RESPONSE_EXCERPT]
    return raw.decode("utf-8", "replace") if raw else None


def _ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def _describe(error: Exception, timeout: float) -> str:
    name = type(error).__name__
    if "Timeout" in name:
        return f"no answer within {timeout:g} s ({name})"
    text = str(error) or name
    return f"{name}: {text}"[:500]


def policy_with(policy: Policy, **changes: Any) -> Policy:
    return replace(policy, **changes)


def scope_of(values: Mapping[str, Any]) -> Scope:
    return Scope(values.get("provider"), values.get("tenant"), values.get("subscription"))


def intervals(seconds: Sequence[float]) -> tuple[timedelta, ...]:
    return tuple(timedelta(seconds=s) for s in seconds)
