"""State-dump codecs driven by the models (kernel): what every provider's dump shares.

A dump is plain JSON, readable by a person and never executed: times are ISO-8601 UTC
strings, durations seconds, money "3.500000 EUR". `Codec` writes a model (a dataclass) as
an object of its fields, camelCased, and reads it back by the fields' declared types, so a
new model field is written once, in the model. What a model holds by reference (a stock
item from the seeded stock) is written as a reference and looked up again on reading, by
a `Ref` the provider's codec hands in. `Reader` checks every value it reads, so a malformed
dump is refused with a `SnapshotError` naming the field, never a KeyError.

`mockserver/snapshot.py` has the dump as a whole; each provider's `snapshot.py` its part.
"""

from __future__ import annotations

import copy
import hashlib
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args, get_origin

from mockserver.domain.inventory import Inventory, Stocked
from mockserver.domain.lifecycle import Step, Timeline
from mockserver.domain.money import Money
from mockserver.domain.rules import Rule, Rules
from mockserver.domain.schedule import Schedule

E = TypeVar("E")
T = TypeVar("T")
S = TypeVar("S", bound=Stocked)
_KEY = "numbers-mock.dumps.key"
_SECRET = "numbers-mock.dumps.secret"  # "value": the field is a secret; "keys": its keys are
REDACTED = "<redacted>"


class SnapshotError(ValueError):
    """A dump that cannot be restored here; the message says which field or check failed."""


class UnknownTenant(SnapshotError):
    """A partial dump asked for a provider, or a tenant, this mock does not have."""


def keyed(attribute: str) -> dict[str, str]:
    """Field metadata for a `dict` of models keyed by one of their attributes: the dump
    lists the models, and a restore keys them by that attribute again."""
    return {_KEY: attribute}


def secret(keys: bool = False) -> dict[str, str]:
    """Field metadata for a secret (an access token), or, with `keys`, for a map keyed by
    secrets (credentials): a dump taken without its secrets writes them redacted."""
    return {_SECRET: "keys" if keys else "value"}


def redacted(text: str) -> str:
    """A secret as a dump without secrets shows it: a fingerprint that tells two apart but
    not what they are, after the credential's scheme if it has one ("AccessKey ...")."""
    scheme, space, _ = text.rpartition(" ")
    mark = f"<redacted:{hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}>"
    return f"{scheme}{space}{mark}"


# --- values ----------------------------------------------------------------------------


def when(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, microseconds only when there are any."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seconds(delta: timedelta) -> int | float:
    total = delta.total_seconds()
    return int(total) if total.is_integer() else total


def money(amount: Money) -> str:
    """ "3.500000 EUR": the digits carry the exponent, so the amount reads back exactly."""
    digits = tuple(int(d) for d in str(abs(amount.amount)))
    value = Decimal((0 if amount.amount >= 0 else 1, digits, amount.exponent))
    text = f"{value:f}" if amount.exponent <= 0 else str(value)
    return f"{text} {amount.currency}"


def camel(name: str) -> str:
    """alpha_senders -> alphaSenders: the dump's names, as the control plane's."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


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

    def at(self, key: str) -> Reader:
        if not isinstance(self.value, Mapping):
            raise self.error("must be an object")
        if key not in self.value:
            raise SnapshotError(f"{self.path}.{key}: missing")
        return Reader(self.value[key], f"{self.path}.{key}")

    def mapping(self, key: str) -> Mapping[str, Any]:
        return self.at(key).as_mapping()

    def text(self, key: str) -> str:
        return self.at(key).as_text()

    def integer(self, key: str) -> int:
        return self.at(key).as_integer()

    def time(self, key: str) -> datetime:
        return self.at(key).as_time()

    def as_mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, Mapping):
            raise self.error("must be an object")
        return self.value

    def items(self) -> list[Reader]:
        """This value's items, when it is a list."""
        if not isinstance(self.value, list):
            raise self.error("must be a list")
        return [Reader(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def pairs(self) -> list[tuple[str, Reader]]:
        """This object's members in order (JSON objects keep their order through json)."""
        return [(k, Reader(v, f"{self.path}.{k}")) for k, v in self.as_mapping().items()]

    def as_text(self) -> str:
        if not isinstance(self.value, str):
            raise self.error("must be a string")
        return self.value

    def as_integer(self) -> int:
        if type(self.value) is not int:
            raise self.error("must be an integer")
        return self.value

    def as_number(self) -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error("must be a number")
        if not math.isfinite(value):
            raise self.error("must be a finite number")
        return float(value)

    def as_flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error("must be true or false")
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
        try:
            return timedelta(seconds=self.as_number())
        except SnapshotError:
            raise self.error("must be a number of seconds") from None
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

    def as_json(self) -> Any:
        """Any JSON value, copied: the restored state must not share it with the dump."""
        return copy.deepcopy(self.value)


# --- models ----------------------------------------------------------------------------


class Ref(Protocol, Generic[T]):
    """How a codec writes and reads back a value held by reference, not by value (an item
    of the seeded stock): the provider's codec knows where to look it up."""

    def write(self, value: T) -> Any: ...

    def read(self, raw: Reader) -> T: ...


class Codec:
    """Writes models as JSON and reads them back by their fields' declared types.

    Handles dataclasses (their fields camelCased; `init=False` fields set after the rest),
    str, int, float, bool, None unions, Literal, list, tuple, set, frozenset, dict with
    string keys (or, with `keyed` metadata, listed), datetime, timedelta, Money, Timeline,
    Rules, Schedule, and whatever type `refs` names."""

    def __init__(
        self, refs: Mapping[type, Ref[Any]] | None = None, *, redact: bool = False
    ) -> None:
        self.refs: Mapping[type, Ref[Any]] = refs or {}
        self.redact = redact  # write secrets (fields marked `secret`) redacted

    # writing

    def write_fields(self, model: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """A model as an object of its fields, but those named in `skip`."""
        return {
            camel(f.name): self._field(getattr(model, f.name), f)
            for f in fields(model)
            if f.name not in skip
        }

    def write(self, value: Any) -> Any:
        ref = self.refs.get(type(value))
        if ref is not None:
            return ref.write(value)
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, datetime):
            return when(value)
        if isinstance(value, timedelta):
            return seconds(value)
        if isinstance(value, Money):
            return money(value)
        if isinstance(value, Timeline):
            return [{"status": s.status, "after": seconds(s.after)} for s in value.steps]
        if isinstance(value, Schedule):
            return self._schedule(value)
        if isinstance(value, Rules):
            return [self.write(rule) for rule in value]
        if isinstance(value, set | frozenset):
            return sorted(self.write(item) for item in value)
        if isinstance(value, list | tuple):
            return [self.write(item) for item in value]
        if isinstance(value, Mapping):
            return {str(key): self.write(item) for key, item in value.items()}
        if is_dataclass(value) and not isinstance(value, type):
            return self.write_fields(value)
        raise TypeError(f"no dump format for {type(value).__name__}")

    def _field(self, value: Any, field: Field[Any]) -> Any:
        hidden = field.metadata.get(_SECRET) if self.redact else None
        if hidden == "value" and value is not None:
            return REDACTED
        if hidden == "keys" and isinstance(value, Mapping):
            return {redacted(str(key)): self.write(item) for key, item in value.items()}
        if _KEY in field.metadata and isinstance(value, Mapping):
            return [self.write(item) for item in value.values()]
        return self.write(value)

    def _schedule(self, queue: Schedule[Any]) -> dict[str, Any]:
        """The pending side effects in due order, with the sequence numbers that order ties."""
        pending = [
            {"at": when(at), "seq": seq, **self.write(event)} for at, seq, event in queue.pending()
        ]
        return {"nextSeq": queue.next_seq, "pending": pending}

    # reading

    def read(self, raw: Reader, kind: Any) -> Any:
        """The value of type `kind` that `raw` holds; raises SnapshotError."""
        ref = self.refs.get(get_origin(kind) or kind)
        if ref is not None:
            return ref.read(raw)
        reader = _SCALARS.get(kind)
        if reader is not None:
            return reader(raw)
        origin, args = get_origin(kind), get_args(kind)
        if origin in (types.UnionType, typing.Union):
            if raw.value is None and type(None) in args:
                return None
            (inner,) = [arg for arg in args if arg is not type(None)]
            return self.read(raw, inner)
        if origin is Literal:
            if raw.value not in args:
                raise raw.error(f"must be one of {', '.join(map(repr, args))}")
            return raw.value
        if origin is Timeline:
            return _timeline(raw)
        if origin is Schedule:
            return self._read_schedule(raw, args[0])
        if origin in (list, tuple, set, frozenset):
            items = [self.read(item, args[0]) for item in raw.items()]
            return origin(items)
        if origin in (dict, Mapping):
            return {key: self.read(item, args[1]) for key, item in raw.pairs()}
        if kind is Rules:
            return Rules([self.read(item, Rule) for item in raw.items()])
        if isinstance(kind, type) and is_dataclass(kind):
            return self._dataclass(raw, kind)
        raise TypeError(f"no dump format for {kind!r}")

    def _dataclass(self, raw: Reader, kind: type[Any]) -> Any:
        hints = _hints(kind)
        given = raw.as_mapping()
        values: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for f in fields(kind):
            name = camel(f.name)
            if name not in given and (f.default is not MISSING or f.default_factory is not MISSING):
                continue  # a field added since the dump was written: its default
            value = self._read_field(raw.at(name), hints[f.name], f)
            (values if f.init else later)[f.name] = value
        try:
            made = kind(**values)
        except (TypeError, ValueError) as exc:
            raise raw.error(str(exc)) from None
        for name, value in later.items():
            object.__setattr__(made, name, value)
        return made

    def _read_field(self, raw: Reader, kind: Any, field: Field[Any]) -> Any:
        attribute = field.metadata.get(_KEY)
        if attribute is None:
            return self.read(raw, kind)
        value_kind = get_args(kind)[1]
        keyed_values: dict[Any, Any] = {}
        for item in raw.items():
            value = self.read(item, value_kind)
            key = getattr(value, attribute)
            if key in keyed_values:
                raise item.error(f"{camel(attribute)} {key} listed twice")
            keyed_values[key] = value
        return keyed_values

    def _read_schedule(self, raw: Reader, event: Any) -> Schedule[Any]:
        pending = [
            (item.time("at"), item.integer("seq"), self.read(item, event))
            for item in raw.at("pending").items()
        ]
        try:
            return Schedule.rebuilt(pending, raw.integer("nextSeq"))
        except ValueError as exc:
            raise raw.error(str(exc)) from None


def _timeline(raw: Reader) -> Timeline[str]:
    steps = [Step(item.text("status"), item.at("after").as_duration()) for item in raw.items()]
    try:
        return Timeline(tuple(steps))
    except ValueError as exc:
        raise raw.error(str(exc)) from None


_SCALARS: dict[Any, Callable[[Reader], Any]] = {
    str: Reader.as_text,
    int: Reader.as_integer,
    float: Reader.as_number,
    bool: Reader.as_flag,
    datetime: Reader.as_time,
    timedelta: Reader.as_duration,
    Money: Reader.as_money,
    Any: Reader.as_json,
}


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(kind: type[Any]) -> dict[str, Any]:
    """A model's field types, resolved once (models use postponed annotations)."""
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    return hints


# --- a seeded stock --------------------------------------------------------------------


class StockItemRef(Generic[S]):
    """An item of a seeded stock, written by id with its number (a check, and for the
    reader), and looked up in the stock when read back."""

    def __init__(self, stock: Inventory[S], noun: str) -> None:
        self.stock = stock
        self.noun = noun  # what the provider calls its items, for the messages

    def write(self, item: S) -> dict[str, str]:
        return {"id": item.id, "number": item.number}

    def read(self, raw: Reader) -> S:
        item_id, number = raw.text("id"), raw.text("number")
        item = self.stock.get(item_id)
        if item is None:
            raise raw.error(f"{self.noun} {item_id} is not in this seed's stock")
        if item.number != number:
            raise raw.error(f"{self.noun} {item_id} is {item.number} here, not {number}")
        return item


class OutOfStock(Generic[S]):
    """A seeded stock, written as the ids out of it (with the seed, all a dump needs).
    Read back, the ids are only checked and kept (`unavailable`): the live stock changes
    when a restore is swapped in, by what differs (`Inventory.reset_to`)."""

    def __init__(self, stock: Inventory[S], noun: str) -> None:
        self.stock = stock
        self.noun = noun
        self.unavailable: list[str] = []

    def write(self, inventory: Inventory[S]) -> dict[str, list[str]]:
        return {"unavailable": inventory.unavailable_ids()}

    def read(self, raw: Reader) -> Inventory[S]:
        seen: set[str] = set()
        for entry in raw.at("unavailable").items():
            item_id = entry.as_text()
            if self.stock.get(item_id) is None:
                raise entry.error(f"{self.noun} {item_id} is not in this seed's stock")
            if item_id in seen:
                raise entry.error(f"{self.noun} {item_id} is listed twice")
            seen.add(item_id)
        self.unavailable = sorted(seen)
        return self.stock


# How a provider's stock came from the seed: computed on demand (seeded_stock.py), or drawn
# up front as numbers-mock 0.1 drew it, whose dumps name no generation.
GENERATIONS = ("computed", "drawn")


def stock_generation(data: Mapping[str, Any], where: str) -> str:
    """The `stockGeneration` a provider's part of a dump names (none: "drawn", a dump of
    numbers-mock 0.1): the stock its items are looked up in. Raises SnapshotError."""
    generation = data.get("stockGeneration", "drawn") if isinstance(data, Mapping) else "drawn"
    if generation not in GENERATIONS:
        raise SnapshotError(
            f"{where}.stockGeneration: {generation!r} is not one of {', '.join(GENERATIONS)}"
        )
    return str(generation)


def stock_refs(
    stock: Inventory[S], item: type[S], noun: str
) -> tuple[dict[type, Ref[Any]], OutOfStock[S]]:
    """The refs a provider's codec needs for its stock and its items, and the one that
    collects the dump's out-of-stock ids."""
    out = OutOfStock(stock, noun)
    return {item: StockItemRef(stock, noun), Inventory: out}, out
