"""The control plane's error dialect: application/problem+json (RFC 9457).

`type` stays `about:blank`, so `title` is the status's reason phrase; `code` names the
problem for machines and `errors` lists where a request breaks specs/control.yaml.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mockserver.errors import (
    Conflict,
    ContractBroken,
    HeadersTooLarge,
    Injected,
    Invalid,
    MalformedBody,
    MethodNotAllowed,
    MockError,
    NotFound,
    PayloadTooLarge,
    RequestInvalid,
    RequestTimeout,
    RouteNotFound,
    ShuttingDown,
    TargetTooLong,
    Unauthenticated,
    UnsupportedMediaType,
    by_kind,
)
from mockserver.exchange import Reply
from mockserver.providers.base import ErrorContext

PROBLEM = "application/problem+json"

STATUS: dict[type[MockError], tuple[int, str]] = {
    MalformedBody: (400, "malformed-json"),
    Unauthenticated: (401, "control-token-required"),
    NotFound: (404, "not-found"),
    RouteNotFound: (404, "no-such-control-endpoint"),
    MethodNotAllowed: (405, "method-not-allowed"),
    Conflict: (409, "conflict"),
    PayloadTooLarge: (413, "payload-too-large"),
    UnsupportedMediaType: (415, "unsupported-media-type"),
    RequestInvalid: (422, "invalid-request"),
    Invalid: (422, "invalid-request"),
    ContractBroken: (500, "mock-bug"),
    RequestTimeout: (408, "request-timeout"),
    TargetTooLong: (414, "uri-too-long"),
    HeadersTooLarge: (431, "request-header-fields-too-large"),
    ShuttingDown: (503, "shutting-down"),
}


def render(error: MockError, context: ErrorContext) -> Reply:
    status, code = by_kind(STATUS, error) or (500, "mock-bug")
    if isinstance(error, Injected):
        status = error.status
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": str(error),
        "code": getattr(error, "code", None) or code,
    }
    if isinstance(error, RequestInvalid):
        body["detail"] = "The request does not match specs/control.yaml"
        body["errors"] = [
            {
                "location": v.location,
                "path": "".join(f"[{p}]" if isinstance(p, int) else f"/{p}" for p in v.path),
                "message": v.message,
            }
            for v in error.violations
        ]
    if isinstance(error, Invalid) and error.fields:
        body["errors"] = [
            {"location": "body", "path": name, "message": message}
            for name, messages in error.fields.items()
            for message in messages
        ]
    headers: tuple[tuple[str, str], ...] = ()
    if isinstance(error, MethodNotAllowed):
        headers = (("allow", ", ".join(error.allowed)),)
    if isinstance(error, Unauthenticated):
        headers = (("www-authenticate", 'Bearer realm="numbers-mock control"'),)
    return Reply(status, body, headers, media_type=PROBLEM)
