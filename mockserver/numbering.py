"""Real numbering plans (fixtures/reference/numbering.yaml) and numbers drawn from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mockserver.resources import fixture_file, load_shipped_yaml
from mockserver.rng import FakerStream

NUMBER_TYPES = ("local", "national", "mobile", "toll-free")


@dataclass(frozen=True, slots=True)
class NumberRange:
    type: str
    region: str | None
    place: str | None
    prefixes: tuple[str, ...]
    # The digits after the prefix: X is 0-9, N is 2-9, a digit stands for itself.
    pattern: str
    runs: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", _runs(self.pattern))

    def draw(self, fake: FakerStream) -> str:
        """National significant digits of one number in this range, drawn by a seeded Faker."""
        prefix = fake.element(self.prefixes)
        return prefix + "".join(_draw_run(run, fake) for run in self.runs)

    def digits(self) -> Digits:
        """The pattern as the digits each position allows, for counting and indexing."""
        return Digits.of(self.pattern)


@dataclass(frozen=True, slots=True)
class Digits:
    """The strings a pattern stands for, numbered in their (lexicographic) order: every
    position allows a contiguous run of digits and all strings have the same length, so
    the i-th string is i written in mixed radix. A stock computed from the seed
    (seeded_stock.py) picks positions in this order and turns them into numbers."""

    low: tuple[int, ...]  # the smallest digit each position allows
    sizes: tuple[int, ...]  # how many digits each position allows
    weights: tuple[int, ...]  # how many strings the positions after this one make
    # The trailing positions that allow 0-9 (most of a number): written in one go.
    tail: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        tail = 0
        for low, size in zip(reversed(self.low), reversed(self.sizes), strict=True):
            if (low, size) != (0, 10):
                break
            tail += 1
        object.__setattr__(self, "tail", tail)

    @classmethod
    def of(cls, pattern: str) -> Digits:
        allowed = [(int(s), 1) if s.isdigit() else (2, 8) if s == "N" else (0, 10) for s in pattern]
        weights, weight = [], 1
        for _, size in reversed(allowed):
            weights.append(weight)
            weight *= size
        return cls(
            tuple(low for low, _ in allowed),
            tuple(size for _, size in allowed),
            tuple(reversed(weights)),
        )

    @property
    def size(self) -> int:
        """How many strings the pattern stands for."""
        return self.sizes[0] * self.weights[0] if self.sizes else 1

    def at(self, index: int) -> str:
        """The `index`-th string (0 <= index < size)."""
        lead = len(self.sizes) - self.tail
        head = "".join(
            chr(48 + low + index // weight % size)
            for low, size, weight in zip(
                self.low[:lead], self.sizes[:lead], self.weights[:lead], strict=True
            )
        )
        if not self.tail:
            return head
        return head + f"{index % 10**self.tail:0{self.tail}d}"

    def index(self, text: str) -> int | None:
        """The place of `text` among the strings, or None if the pattern does not make it."""
        if len(text) != len(self.sizes):
            return None
        index = 0
        for char, low, size, weight in zip(text, self.low, self.sizes, self.weights, strict=True):
            digit = ord(char) - 48 - low
            if not 0 <= digit < size:
                return None
            index += digit * weight
        return index

    def below(self, bound: str) -> int:
        """How many of the strings sort before `bound` (any string: a whole number, a
        prefix, or a prefix's successor)."""
        count = 0
        for position, (low, size, weight) in enumerate(
            zip(self.low, self.sizes, self.weights, strict=True)
        ):
            if position == len(bound):
                return count  # the strings that start with `bound` sort after it
            digit = ord(bound[position]) - 48 - low
            count += min(max(digit, 0), size) * weight
            if not 0 <= digit < size:
                return count
        # Every position matched: the one string equal to bound's head is below a longer bound.
        return count + (1 if len(bound) > len(self.sizes) else 0)


@dataclass(frozen=True, slots=True)
class CountryPlan:
    code: str
    name: str
    calling_code: str
    regions: Mapping[str, str]
    ranges: tuple[NumberRange, ...]
    testing: tuple[NumberRange, ...]

    def e164(self, national: str) -> str:
        return f"+{self.calling_code}{national}"

    def ranges_for(self, number_type: str, region: str | None = None) -> list[NumberRange]:
        return [
            r
            for r in self.ranges
            if r.type == number_type and (region is None or r.region == region)
        ]

    def types(self) -> list[str]:
        return [t for t in NUMBER_TYPES if self.ranges_for(t)]


def _runs(pattern: str) -> tuple[str, ...]:
    """ "NNXXXXX" -> ("N", "N", "XXXXX"): a run of X is drawn in one go."""
    runs: list[str] = []
    for symbol in pattern:
        if symbol == "X" and runs and runs[-1].startswith("X"):
            runs[-1] += symbol
        else:
            runs.append(symbol)
    return tuple(runs)


def _draw_run(run: str, fake: FakerStream) -> str:
    if run.startswith("X"):
        return fake.digits(len(run))
    if run == "N":
        return fake.digit(2, 9)
    return run


@cache
def numbering_plans(path: Path | None = None) -> Mapping[str, CountryPlan]:
    """The plans by ISO country code; read once per process (reference data never changes)."""
    data = load_shipped_yaml(path or fixture_file("reference/numbering.yaml"))
    return {code: _country(code, raw) for code, raw in data["countries"].items()}


def _country(code: str, raw: Mapping[str, Any]) -> CountryPlan:
    return CountryPlan(
        code=code,
        name=raw["name"],
        calling_code=raw["callingCode"],
        regions=dict(raw.get("regions") or {}),
        ranges=tuple(_range(r, r["type"]) for r in raw["ranges"]),
        testing=tuple(_range(r, r.get("type", "local")) for r in raw.get("testing") or []),
    )


def _range(raw: Mapping[str, Any], number_type: str) -> NumberRange:
    return NumberRange(
        type=number_type,
        region=raw.get("region"),
        place=raw.get("place"),
        prefixes=tuple(raw["prefixes"]),
        pattern=raw["pattern"],
    )
