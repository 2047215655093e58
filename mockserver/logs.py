"""What the server logs, and how: `--log-format text|json` and `--log-level`.

One access line per request, written by the edge (`openapi/edge.py`) to the
`mockserver.access` logger from the same place it records the journal entry, with the
record's fields in `record.access` (request id, provider, tenant, operationId, method,
path, status, duration; the fault and rules applied, the warnings and, at debug level, why
a request was rejected). It replaces uvicorn's plain access line. Which level a line takes:

- a provider request: info; warning when it carries a warning (unknown parameters);
- a control-plane read (health probes, served specs, the dashboard's polling): debug;
  a control-plane change (reset, clock, rules, faults, state): info.

`logging_config` is the `logging.config.dictConfig` the CLI hands uvicorn (its
`log_config`): access lines on stdout (where uvicorn wrote its own), everything else on
stderr, each in the chosen format. In-process (the pytest plugin, tests) nothing is
configured: the access logger's records go to the root logger, which drops them below
warning, so an unconfigured mock pays one level check a request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from mockserver.settings import Settings

ACCESS_LOGGER = "mockserver.access"
# uvicorn's own name for the level below debug (uvicorn.logging.TRACE_LOG_LEVEL).
TRACE = 5
# The order of an access line's fields in the text format, and their short names there.
_TEXT_FIELDS = (
    ("requestId", "request_id"),
    ("durationMs", "duration_ms"),
    ("provider", "provider"),
    ("tenant", "tenant"),
    ("operationId", "operation"),
    ("fault", "fault"),
    ("rules", "rules"),
    ("warnings", "warnings"),
    ("problems", "problems"),
)


_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}


def level_number(name: str) -> int:
    """The number of a --log-level name (settings.LOG_LEVELS)."""
    return _LEVELS[name]


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, and an access line's
    fields at the top level (the names the journal's API uses)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """uvicorn's look (`INFO:     message`), an access line's fields after its message as
    `name=value` pairs (quoted when they hold spaces or quotes), for eyes and grep."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"{record.levelname}:".ljust(10)
        text = f"{prefix}{record.getMessage()}"
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            pairs = [
                f"{short}={_text_value(access[name])}"
                for name, short in _TEXT_FIELDS
                if access.get(name) not in (None, [], ())
            ]
            text = " ".join([text, *pairs])
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return text


def _text_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value) if len(value) != 1 else str(value[0])
    text = str(value)
    if not text or any(c in text for c in ' "=\\') or not text.isprintable():
        return orjson.dumps(text).decode()
    return text


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def logging_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers and the mock's, in the chosen format."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = level_number(settings.log_level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"mock": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "mock",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "mock",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            # uvicorn sets the levels of its loggers from --log-level itself.
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            # Its access log is off (access_log=False): the edge writes one line instead.
            "uvicorn.access": {"handlers": [], "level": "INFO", "propagate": False},
            "mockserver": {"handlers": ["stderr"], "level": level, "propagate": False},
            ACCESS_LOGGER: {"handlers": ["stdout"], "level": level, "propagate": False},
        },
    }
