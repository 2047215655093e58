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


def load_shipped_yaml(path: Path) -> Any:
    """A YAML file that ships with the mock (a spec, the numbering plans), parsed.

    Parsing the specs and plans is a tenth of the cold start, so the parsed data is kept as
    JSON in a cache folder, keyed by the file's content hash: a changed file is simply
    parsed again. Without a writable cache folder the YAML is parsed every time. PyYAML is
    imported only to parse: importing it costs a start ~25 ms (its regular expressions).
    """
    raw = path.read_bytes()
    cached = _cache_dir() / f"{hashlib.blake2b(raw, digest_size=16).hexdigest()}.json"
    try:
        return orjson.loads(cached.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    data = parse_yaml(raw)
    try:
        dumped = orjson.dumps(data)
        if orjson.loads(dumped) == data:  # not a date or other value JSON turns into text
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(dumped)
    except (OSError, TypeError):
        pass  # read-only home, or data JSON cannot hold (non-string keys): parse next time too
    return data


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numbers-mock"


def parse_yaml(text: str | bytes) -> Any:
    """YAML with libyaml when available (~10x faster than the pure-Python parser)."""
    import yaml

    return yaml.load(text, Loader=yaml_loader())


def yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
