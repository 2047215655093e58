"""Server settings: every flag has a `MOCKSERVER_<FLAG>` environment variable (DESIGN.md, 10)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockserver.clock import LATEST

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
ONE_MIB = 1024 * 1024
# The longest wait a timeout setting takes: a day is far past any test run's patience.
MAX_SECONDS = 86_400.0


class SettingError(ValueError):
    """A setting value that cannot be used; the message names the setting and the value."""


def parse_port(raw: str) -> int:
    port = parse_int(raw)
    if not 0 <= port <= 65535:
        raise SettingError(f"{raw!r} is not a port number (0-65535; 0 picks a free port)")
    return port


def parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{raw!r} is not an integer") from None


def parse_seed(raw: str) -> int:
    value = parse_int(raw)
    if value < 0:
        raise SettingError(f"{raw!r} is negative: a seed is 0 or a positive integer")
    return value


def parse_journal_size(raw: str) -> int:
    value = parse_int(raw)
    if value < 0:
        raise SettingError(f"{raw!r} must be 0 (no journal) or a positive integer")
    return value


def parse_positive_int(raw: str) -> int:
    value = parse_int(raw)
    if value < 1:
        raise SettingError(f"{raw!r} must be a positive integer")
    return value


def parse_seconds(raw: str) -> float:
    """A positive duration in seconds (fractions allowed: tests use short timeouts)."""
    try:
        seconds = float(raw)
    except ValueError:
        raise SettingError(f"{raw!r} is not a number of seconds") from None
    if not 0 < seconds <= MAX_SECONDS:  # also refuses nan and inf
        raise SettingError(f"{raw!r} must be more than 0 and at most {MAX_SECONDS:g} seconds")
    return seconds


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{raw!r} is not a boolean (use true or false)")


def parse_log_level(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in LOG_LEVELS:
        raise SettingError(f"{raw!r} is not a log level (one of {', '.join(LOG_LEVELS)})")
    return lowered


VALIDATORS = ("compiled", "openapi-core")


def parse_validator(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in VALIDATORS:
        raise SettingError(f"{raw!r} is not a validator (one of {', '.join(VALIDATORS)})")
    return lowered


LOG_FORMATS = ("text", "json")


def parse_log_format(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in LOG_FORMATS:
        raise SettingError(f"{raw!r} is not a log format (one of {', '.join(LOG_FORMATS)})")
    return lowered


CLOCK_MODES = ("system", "manual")


def parse_clock(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in CLOCK_MODES:
        raise SettingError(
            f"{raw!r} is not a clock mode (system: runs with the wall clock; manual: starts "
            "frozen and moves only through /_mock/clock)"
        )
    return lowered


def parse_time(raw: str) -> datetime:
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SettingError(f"{raw!r} is not an ISO 8601 time (e.g. 2026-03-01T10:00:00Z)") from None
    if when.tzinfo is None:
        raise SettingError(f"{raw!r} needs a UTC offset (e.g. 2026-03-01T10:00:00Z)")
    if when > LATEST:
        raise SettingError(f"{raw!r} is after {LATEST.isoformat()}, the latest time the mock shows")
    return when.astimezone(UTC)


def parse_host(raw: str) -> str:
    if not raw.strip():
        raise SettingError("the host must not be empty")
    return raw.strip()


def parse_token(raw: str) -> str:
    token = raw.strip()
    if len(token) < 8 or not token.isprintable() or " " in token:
        raise SettingError("the control token needs 8 or more printable characters, no spaces")
    return token


def parse_scenario(raw: str) -> str:
    """A built-in scenario's name (`mockserver scenarios` lists them) or a file's path:
    scenario.resolve_scenario tells which when the scenario is loaded."""
    if not raw.strip():
        raise SettingError("the scenario must not be empty (a built-in name or a file's path)")
    return raw.strip()


WEBHOOK_EGRESS = ("any", "private", "loopback", "none")


def parse_egress(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in WEBHOOK_EGRESS:
        raise SettingError(
            f"{raw!r} is not a webhook egress (any, private: loopback and private hosts, "
            "loopback, or none: this mock's inbox only)"
        )
    return lowered


def parse_path(raw: str) -> Path:
    if not raw.strip():
        raise SettingError("the path must not be empty")
    return Path(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    # Loopback: the control plane is for the test harness on this machine. The Docker image
    # sets MOCKSERVER_HOST=0.0.0.0 (a container's port is published on purpose).
    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 1
    # A built-in scenario's name or a file's path; None: the embedded default scenario.
    scenario: str | None = None
    # The deprecated spelling of `scenario` (a path only), kept so that `--fixtures` and
    # MOCKSERVER_FIXTURES still work; `scenario` wins when both are set.
    fixtures: Path | None = None
    log_level: str = "info"
    # On in the whole test suite: a response that breaks the spec is a bug, loudly.
    validate_responses: bool = True
    max_body_bytes: int = ONE_MIB
    # compiled (jsonschema-rs, the default) or openapi-core (the reference, ~50x slower).
    validator: str = "compiled"
    # system (wall-clock time) or manual (frozen until moved through /_mock/clock).
    clock: str = "system"
    clock_start: datetime | None = None  # None: now
    journal_size: int = 1000  # requests the journal keeps (a ring buffer); 0: no journal
    # When set, every /_mock/ operation but health and the served specs needs
    # `Authorization: Bearer <token>` (README, "Threat model").
    control_token: str | None = None
    # Limits (README, "Limits"): what one client may cost the sidecar everyone shares.
    # The request's header fields (the request line has its own 1 MiB bound): 431 beyond.
    max_header_bytes: int = 64 * 1024
    header_timeout: float = 10.0  # from connection (or first byte) to the end of the headers
    body_timeout: float = 30.0  # for the whole body, once the edge starts reading it
    keep_alive_timeout: float = 5.0  # an idle connection between requests (uvicorn's)
    shutdown_grace: float = 5.0  # requests still running after it get 503
    max_query_values: int = 100  # values of one query parameter (`features=...` repeated)
    max_body_items: int = 1000  # items of one array or object in a provider's request body
    journal_excerpt_chars: int = 4096  # of each journaled path, query string and body
    # CORS for browser-based local development: preflights answered, every answer allowed
    # to any origin. Off: an OPTIONS request is what the provider answers (405).
    cors: bool = False

    @property
    def scenario_source(self) -> str | Path | None:
        """What to load the scenario from: `scenario`, else the deprecated `fixtures`."""
        return self.scenario if self.scenario is not None else self.fixtures

    # Webhooks (README "Webhooks"): which hosts deliveries may reach (webhooks/urls.py; the
    # default keeps URLs a fuzzer invents off public hosts), how long a receiver has to
    # answer, how many requests are in flight at once, how many finished deliveries are kept.
    webhook_egress: str = "private"
    webhook_timeout: float = 5.0
    webhook_concurrency: int = 16
    webhook_history: int = 1000

    log_format: str = "text"  # text (uvicorn's look) or json (one object a line)
    # Refuse query parameters and body fields an operation does not declare (the provider's
    # 422) instead of ignoring them with an X-Mock-Warning header (README, "Warnings").
    strict_unknown: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by `MOCKSERVER_*` variables; raises SettingError on a bad value."""
        environ = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for name, parser in PARSERS.items():
            var = env_var(name)
            if var in environ:
                try:
                    changes[name] = parser(environ[var])
                except SettingError as exc:
                    raise SettingError(f"{var}: {exc}") from None
        return replace(cls(), **changes)


PARSERS: dict[str, Callable[[str], Any]] = {
    "host": parse_host,
    "port": parse_port,
    "seed": parse_seed,
    "scenario": parse_scenario,
    "fixtures": parse_path,
    "log_level": parse_log_level,
    "validate_responses": parse_bool,
    "max_body_bytes": parse_positive_int,
    "validator": parse_validator,
    "clock": parse_clock,
    "clock_start": parse_time,
    "journal_size": parse_journal_size,
    "control_token": parse_token,
    "max_header_bytes": parse_positive_int,
    "header_timeout": parse_seconds,
    "body_timeout": parse_seconds,
    "keep_alive_timeout": parse_seconds,
    "shutdown_grace": parse_seconds,
    "max_query_values": parse_positive_int,
    "max_body_items": parse_positive_int,
    "journal_excerpt_chars": parse_positive_int,
    "cors": parse_bool,
    "webhook_egress": parse_egress,
    "webhook_timeout": parse_seconds,
    "webhook_concurrency": parse_positive_int,
    "webhook_history": parse_positive_int,
    "log_format": parse_log_format,
    "strict_unknown": parse_bool,
}
assert set(PARSERS) == {f.name for f in fields(Settings)}, "every setting needs a parser"


# The values of the settings that take one of a few, as `--help` shows them.
CHOICES: dict[str, tuple[str, ...]] = {
    "log_level": LOG_LEVELS,
    "validator": VALIDATORS,
    "clock": CLOCK_MODES,
    "validate_responses": ("true", "false"),
    "cors": ("true", "false"),
}
# Settings kept under an old name: the CLI warns when one is used.
DEPRECATED = {"fixtures": "scenario"}


def env_var(name: str) -> str:
    return f"MOCKSERVER_{name.upper()}"
