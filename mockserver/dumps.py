"""State-dump readers and writers shared by every provider's codec (kernel).

A dump is plain JSON, readable by a person and never executed: times are ISO-8601 UTC
strings, durations seconds, money "3.500000 EUR". The writers turn model values into that;
`Reader` reads them back, checking types, so a malformed dump is refused with a
`SnapshotError` naming the field, never a KeyError. `mockserver/snapshot.py` has the dump
as a whole; each provider's `snapshot.py` its part.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import LedgerEntry, Wallet

E = TypeVar("E")


class SnapshotError(ValueError):
    """A dump that cannot be restored here; the message says which field or check failed."""


class UnknownTenant(SnapshotError):
    """A partial dump asked for a provider, or a tenant, this mock does not have."""


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
