"""State dumps: the whole mock as JSON, and back (the control plane's `/_mock/state`).

A dump is plain JSON, readable by a person and never executed: times are ISO-8601 UTC
strings, durations seconds, money "3.500000 EUR". It holds everything a request can change
(tenants, wallets and their ledgers, orders, reservations, verifications, rules with their
remaining uses, the pending side effects in due order, every random stream's position and
the clock), so the same requests at the same times after a restore answer byte for byte
as they would have without it. The stock is not listed item by item (100,000 items): a
restore seeds it again from the scenario and the seed, then takes out the items the dump
lists as unavailable; that is why a dump only restores into a mock of the same scenario
and seed.

This module holds the header, the checks and the swap, and the readers and writers the
providers' codecs (`providers/*/snapshot.py`) share.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from mockserver.clock import Resettable
from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import LedgerEntry, Wallet
from mockserver.rng import Rng

if TYPE_CHECKING:
    from mockserver.app import MockState
    from mockserver.scenario import Scenario

FORMAT = "numbers-mock/state"
VERSION = 1
E = TypeVar("E")


class SnapshotError(ValueError):
    """A dump that cannot be restored here; the message says which field or check failed."""


class UnknownTenant(SnapshotError):
    """A partial dump asked for a provider, or a tenant, this mock does not have."""


# --- the dump as a whole ----------------------------------------------------------------


def take(
    state: MockState, provider: str | None = None, tenant: str | None = None
) -> dict[str, Any]:
    """A JSON-ready dump of the whole mock, or a partial one for reading (not restorable:
    it leaves out the random streams): with `provider`, that provider's part only; with
    `tenant` (a Bird credential without its scheme or a tenant's name, a Vobiz auth id),
    only that tenant's part (no shared stock). Raises UnknownTenant."""
    codecs = _codecs()
    chosen = [p for p in state.providers if provider in (None, p.name)]
    if not chosen:
        have = ", ".join(p.name for p in state.providers)
        raise UnknownTenant(f"no provider {provider!r} (this mock has {have})")
    dump: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "scenario": state.scenario.name,
        "scenarioDigest": scenario_digest(state.scenario),
        "seed": state.rng.seed,
        "clock": when(state.clock.now()),
    }
    if provider is not None:
        dump["provider"] = provider
    if tenant is not None:
        dump["tenant"] = tenant
    found = False
    for part in chosen:
        codec, backend_state = codecs[part.name], part.backend.state
        # A provider that does not know the tenant shows null: the key is some other
        # provider's (a Bird access key is no Vobiz auth id).
        known = tenant is None or codec.knows(backend_state, tenant)
        dump[part.name] = codec.dump(backend_state, tenant) if known else None
        found = found or known
    if not found:
        raise UnknownTenant(f"no tenant {tenant!r} in {provider or 'any provider'}")
    if provider is None and tenant is None:
        # Last: a long block of stream states, after what a person reads the dump for.
        dump["rng"] = state.rng.dump()
    return dump


def restore(state: MockState, data: object) -> None:
    """Make the mock what `data` (a full dump of a mock with the same scenario and seed)
    describes: provider states, random streams and, if the clock can be set, the time.

    Everything is rebuilt and checked before anything is swapped in, so a dump that is
    refused (SnapshotError) leaves the mock exactly as it was.
    """
    try:
        swap = _prepare(state, data)
    except SnapshotError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # The readers name most problems; this catches what only a constructor notices
        # (a timeline out of order, a negative count), still as a refusal, not a 500.
        raise SnapshotError(f"the dump is malformed: {type(exc).__name__}: {exc}") from exc
    swap()


def _prepare(state: MockState, data: object) -> Callable[[], None]:
    if not isinstance(data, Mapping):
        raise SnapshotError("a state dump is a JSON object")
    dump = Reader(data, "$")
    if data.get("format") != FORMAT:
        raise SnapshotError(f"not a numbers-mock state dump: format must be {FORMAT!r}")
    if data.get("version") != VERSION:
        raise SnapshotError(
            f"dump format version {data.get('version')!r} is not supported "
            f"(this mock reads version {VERSION})"
        )
    for partial in ("provider", "tenant"):
        if data.get(partial) is not None:
            raise SnapshotError(
                f"this is a dump of one {partial} ({data.get(partial)!r}), for reading: "
                "restore takes a full dump"
            )
    scenario, seed = state.scenario, state.rng.seed
    if dump.text("scenario") != scenario.name:
        raise SnapshotError(
            f"this dump is of scenario {dump.text('scenario')!r}; "
            f"this mock runs scenario {scenario.name!r}"
        )
    if dump.integer("seed") != seed:
        raise SnapshotError(
            f"this dump was taken with seed {dump.integer('seed')}; this mock runs seed {seed}, "
            "so its stock is different"
        )
    if dump.text("scenarioDigest") != scenario_digest(scenario):
        raise SnapshotError(
            f"this dump was taken with another version of scenario {scenario.name!r} "
            "(the scenario file changed since)"
        )
    now = dump.time("clock")
    rng_data = dump.mapping("rng")
    try:
        Rng(seed).restore(rng_data)  # only checks it: the mock's own streams move in swap()
    except ValueError as exc:
        raise SnapshotError(f"$.rng: {exc}") from exc

    # A throwaway Rng seeds the fresh states: the mock's own streams have moved on since
    # its start, and the stock must come out exactly as it did then.
    seeding = Rng(seed)
    codecs = _codecs()
    rebuilt: list[tuple[Any, Any]] = []
    for provider in state.providers:
        codec = codecs[provider.name]
        config, fresh = codec.seed(scenario, seeding, now)
        part = dump.mapping(provider.name)
        rebuilt.append((provider.backend, codec.restore(part, config, fresh)))

    def swap() -> None:
        # Backends keep no other reference into their state (their use cases read
        # `backend.state` each time), and the streams are restored in place.
        for backend, provider_state in rebuilt:
            backend.state = provider_state
        state.rng.restore(rng_data)
        if isinstance(state.clock, Resettable):
            state.clock.reset_to(now)

    return swap


@dataclass(frozen=True, slots=True)
class _Codec:
    seed: Callable[[Scenario, Rng, datetime], tuple[Any, Any]]
    dump: Callable[[Any, str | None], dict[str, Any]]
    knows: Callable[[Any, str], bool]
    restore: Callable[[Mapping[str, Any], Any, Any], Any]


def _codecs() -> dict[str, _Codec]:
    # Imported here, not at the top: the providers' codecs import this module's readers.
    from mockserver.providers.bird import seed as bird_seed, snapshot as bird
    from mockserver.providers.vobiz import seed as vobiz_seed, snapshot as vobiz

    return {
        "bird": _Codec(bird_seed.seed_state, bird.dump, bird.knows, bird.restore),
        "vobiz": _Codec(vobiz_seed.seed_state, vobiz.dump, vobiz.knows, vobiz.restore),
    }


def scenario_digest(scenario: Scenario) -> str:
    """A fingerprint of the scenario's content: two files can share a name."""
    text = json.dumps(scenario.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- writers ----------------------------------------------------------------------------


def when(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, microseconds only when there are any."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def maybe_when(moment: datetime | None) -> str | None:
    return None if moment is None else when(moment)


def seconds(delta: timedelta) -> int | float:
    total = delta.total_seconds()
    return int(total) if total.is_integer() else total


def money(amount: Money) -> str:
    """ "3.500000 EUR": the digits carry the exponent, so the amount reads back exactly."""
    value = Decimal((0 if amount.amount >= 0 else 1, _digits(abs(amount.amount)), amount.exponent))
    text = f"{value:f}" if amount.exponent <= 0 else str(value)
    return f"{text} {amount.currency}"


def _digits(value: int) -> tuple[int, ...]:
    return tuple(int(d) for d in str(value))


def wallet(purse: Wallet) -> dict[str, Any]:
    return {
        "openingBalance": money(purse.opening_balance),
        "balance": money(purse.balance),
        "entries": [
            {
                "at": when(e.at),
                "kind": e.kind,
                "amount": money(e.amount),
                "balanceAfter": money(e.balance_after),
                "reference": e.reference,
                "description": e.description,
            }
            for e in purse.entries
        ],
    }


def timeline(line: Timeline[str]) -> list[dict[str, Any]]:
    return [{"status": step.status, "after": seconds(step.after)} for step in line.steps]


def rules(listed: Rules, keep: Callable[[Rule], bool] = lambda rule: True) -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "on": rule.on,
            "outcome": rule.outcome,
            "remaining": rule.remaining,
            "scope": rule.scope,
            # A copy: the dump must not share mutable parts with the live state.
            "params": copy.deepcopy(dict(rule.params)),
        }
        for rule in listed
        if keep(rule)
    ]


def schedule(
    queue: Schedule[E], event: Callable[[E], dict[str, Any]], keep: Callable[[E], bool]
) -> dict[str, Any]:
    """The pending side effects in due order, with the sequence numbers that order ties."""
    return {
        "nextSeq": queue.next_seq,
        "pending": [
            {"at": when(at), "seq": seq, **event(e)} for at, seq, e in queue.pending() if keep(e)
        ],
    }


# --- readers ----------------------------------------------------------------------------


class Reader:
    """A dumped JSON value and where it was found. Its accessors check types, so a
    malformed dump is refused with a SnapshotError naming the field, never a KeyError."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    def error(self, message: str) -> SnapshotError:
        return SnapshotError(f"{self.path}: {message}")

    def has(self, key: str) -> bool:
        return isinstance(self.value, Mapping) and self.value.get(key) is not None

    def _get(self, key: str) -> object:
        if not isinstance(self.value, Mapping):
            raise self.error("must be an object")
        if key not in self.value:
            raise SnapshotError(f"{self.path}.{key}: missing")
        return self.value[key]

    def at(self, key: str) -> Reader:
        return Reader(self._get(key), f"{self.path}.{key}")

    def mapping(self, key: str) -> Mapping[str, Any]:
        value = self._get(key)
        if not isinstance(value, Mapping):
            raise SnapshotError(f"{self.path}.{key}: must be an object")
        return value

    def each(self, key: str) -> list[Reader]:
        return self.at(key).each_item()

    def each_item(self) -> list[Reader]:
        """This value's items, when it is itself a list."""
        if not isinstance(self.value, list):
            raise self.error("must be a list")
        return [Reader(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def pairs(self, key: str) -> list[tuple[str, Reader]]:
        """An object's members in order (JSON objects keep their order through json)."""
        return [(k, Reader(v, f"{self.path}.{key}.{k}")) for k, v in self.mapping(key).items()]

    def text(self, key: str) -> str:
        return self.at(key).as_text()

    def maybe_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def texts(self, key: str) -> list[str]:
        return [item.as_text() for item in self.each(key)]

    def integer(self, key: str) -> int:
        return self.at(key).as_integer()

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise SnapshotError(f"{self.path}.{key}: must be true or false")
        return value

    def time(self, key: str) -> datetime:
        return self.at(key).as_time()

    def maybe_time(self, key: str) -> datetime | None:
        return self.time(key) if self.has(key) else None

    def duration(self, key: str) -> timedelta:
        return self.at(key).as_duration()

    def money(self, key: str) -> Money:
        return self.at(key).as_money()

    def params(self, key: str) -> dict[str, Any]:
        return copy.deepcopy(dict(self.mapping(key)))

    def as_text(self) -> str:
        if not isinstance(self.value, str):
            raise self.error("must be a string")
        return self.value

    def as_integer(self) -> int:
        if type(self.value) is not int:
            raise self.error("must be an integer")
        return self.value

    def as_time(self) -> datetime:
        text = self.as_text()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.error(f"{text!r} is not an ISO-8601 time") from None
        if moment.tzinfo is None:
            raise self.error(f"{text!r} has no time zone (dumps are in UTC: end it with Z)")
        return moment.astimezone(UTC)

    def as_duration(self) -> timedelta:
        value = self.value
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.error("must be a number of seconds")
        try:
            return timedelta(seconds=value)
        except OverflowError:
            raise self.error("is too long a duration") from None

    def as_money(self) -> Money:
        text = self.as_text()
        amount, _, currency = text.partition(" ")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal("NaN")
        exponent = value.as_tuple().exponent
        if not value.is_finite() or not isinstance(exponent, int) or len(currency) != 3:
            raise self.error(f"{text!r} is not an amount such as '3.500000 EUR'")
        sign, digits, _ = value.as_tuple()
        units = int("".join(map(str, digits)))
        return Money(-units if sign else units, exponent, currency)

    def as_wallet(self) -> Wallet:
        purse = Wallet(self.money("openingBalance"))
        purse.balance = self.money("balance")
        for entry in self.each("entries"):
            kind = entry.text("kind")
            if kind not in ("debit", "credit"):
                raise entry.error("kind must be debit or credit")
            purse.entries.append(
                LedgerEntry(
                    at=entry.time("at"),
                    kind="debit" if kind == "debit" else "credit",
                    amount=entry.money("amount"),
                    balance_after=entry.money("balanceAfter"),
                    reference=entry.text("reference"),
                    description=entry.text("description"),
                )
            )
        return purse

    def as_timeline(self) -> Timeline[str]:
        steps = self.each_item()
        try:
            return Timeline(tuple(Step(s.text("status"), s.duration("after")) for s in steps))
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def as_schedule(self, event: Callable[[Reader], E]) -> Schedule[E]:
        pending = [(e.time("at"), e.integer("seq"), event(e)) for e in self.each("pending")]
        try:
            return Schedule.rebuilt(pending, self.integer("nextSeq"))
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def as_rules(self) -> Rules:
        listed = []
        for raw in self.each_item():
            listed.append(
                Rule(
                    id=raw.text("id"),
                    on=raw.text("on"),
                    outcome=raw.text("outcome"),
                    remaining=raw.integer("remaining"),
                    scope=raw.maybe_text("scope"),
                    params=raw.params("params"),
                )
            )
        return Rules(listed)
