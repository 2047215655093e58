"""Where the embedded specs and fixtures live.

In a checkout they sit at the top level (`specs/`, `fixtures/`); in an installed wheel they
are packaged inside `mockserver/` (pyproject's force-include). This is the one lookup path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"numbers-mock data folder {name!r} is missing from {_PACKAGE}")


def spec_file(filename: str) -> Path:
    return data_dir("specs") / filename


def fixture_file(filename: str) -> Path:
    return data_dir("fixtures") / filename
