"""The dashboard's templates (Jinja2, autoescaped) and the small filters they use.

Times on the pages are the mock's: every countdown is the distance from the mock's now,
which the page is rendered at, so a frozen clock holds it still and an advance moves it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Jinja2 is imported when the first page renders, not at every start-up (about 20 ms
    # of it: issue 19's cold start).
    from jinja2 import Environment

HERE = Path(__file__).resolve().parent
# What a page may load: its own script and style sheet, nothing from anywhere else.
SECURITY_HEADERS = (
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
)


def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["countdown"] = countdown
    env.filters["json_text"] = json_text
    env.filters["tojson_attr"] = lambda value: json.dumps(value, separators=(",", ":"))
    return env


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def when(moment: str | None) -> str:
    """A mock-clock time as people read it: 2026-03-01 10:00:30 (UTC)."""
    if not moment:
        return ""
    return parse(moment).strftime("%Y-%m-%d %H:%M:%S")


def countdown(moment: str, now: str) -> str:
    """How far `moment` is from the mock's `now`: 'in 9 min 30 s' or '2 min ago'."""
    seconds = int((parse(moment) - parse(now)).total_seconds())
    if seconds == 0:
        return "now"
    text = span(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


def span(seconds: int) -> str:
    """42 s, 9 min 30 s, 2 h 5 min, 3 d 4 h: the two largest units."""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def json_text(body: str) -> str:
    """A body as sent, indented when it is whole JSON."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def html(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)
