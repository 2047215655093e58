"""Where the embedded specs and fixtures live.

In a checkout they sit at the top level (`specs/`, `fixtures/`); in an installed wheel they
are packaged inside `mockserver/` (pyproject's force-include). This is the one lookup path.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import yaml

_PACKAGE = Path(__file__).resolve().parent
# libyaml when available: ~10x faster than the pure-Python parser.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def load_shipped_yaml(path: Path) -> Any:
    """A YAML file that ships with the mock (a spec, the numbering plans), parsed.

    Parsing the specs and plans is a tenth of the cold start, so the parsed data is kept as
    JSON in a cache folder, keyed by the file's content hash: a changed file is simply
    parsed again. Without a writable cache folder the YAML is parsed every time.
    """
    raw = path.read_bytes()
    cached = _cache_dir() / f"{hashlib.blake2b(raw, digest_size=16).hexdigest()}.json"
    try:
        return orjson.loads(cached.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    data = yaml.load(raw, Loader=_Loader)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(orjson.dumps(data))
    except (OSError, TypeError):
        pass  # read-only home, or data JSON cannot hold (non-string keys): parse next time too
    return data


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numbers-mock"
