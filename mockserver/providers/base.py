"""What the app needs from each provider to serve it at its real paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.errors import MockError
from mockserver.exchange import Handler, Reply


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What an error body may need besides the error: Vobiz puts both in its envelope."""

    request_id: str
    now: datetime


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    spec_file: str  # under specs/
    path_prefixes: tuple[str, ...]  # real paths this provider serves (and answers 404 for)
    handlers: Mapping[str, Handler]  # operationId -> handler bound to the backend
    # Reads the request headers (lower-case names); raises Unauthenticated.
    authenticate: Callable[[Mapping[str, str]], Any]
    render_error: Callable[[MockError, ErrorContext], Reply]
    backend: Any
    # Who a request speaks for, for the journal, faults and rate limits: a Bird workspace (or
    # organization) id, a Vobiz auth id. From the principal and the path parameters.
    tenant_of: Callable[[Any, Mapping[str, str]], str | None]
    journaled: bool = True  # the control plane's own requests are not
