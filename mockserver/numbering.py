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
