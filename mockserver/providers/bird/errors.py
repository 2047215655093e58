"""Bird's error dialect: a flat `{code, message, details}` body.

Observed on api.bird.com: 422 `{"code": "InvalidPayload", "message": "One or more fields
provided in the request body are malformed", "details": {".receiver.contacts[0]":
["property \"listId\" is unsupported"]}}` (docs/fidelity.md). The codes of other statuses
are not published; the ones below are the mock's, in the same style.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.errors import (
    Conflict,
    ContractBroken,
    Forbidden,
    HeadersTooLarge,
    Injected,
    InsufficientFunds,
    Invalid,
    MalformedBody,
    MethodNotAllowed,
    MockError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Rejected,
    RequestInvalid,
    RequestTimeout,
    RouteNotFound,
    ShuttingDown,
    TargetTooLong,
    Unauthenticated,
    UnsupportedMediaType,
    Violation,
    by_kind,
    field_path,
)
from mockserver.exchange import Reply
from mockserver.providers.base import ErrorContext
from mockserver.providers.bird import wire

BODY_MALFORMED = "One or more fields provided in the request body are malformed"
PARAMETERS_MALFORMED = "One or more request parameters are malformed"

# One table: which status and code each error becomes.
STATUS: dict[type[MockError], tuple[int, str]] = {
    Rejected: (400, "BadRequest"),
    Unauthenticated: (401, "Unauthorized"),
    InsufficientFunds: (402, "InsufficientFunds"),
    Forbidden: (403, "Forbidden"),
    NotFound: (404, "NotFound"),
    RouteNotFound: (404, "NotFound"),
    MethodNotAllowed: (405, "MethodNotAllowed"),
    Conflict: (409, "Conflict"),
    PayloadTooLarge: (413, "PayloadTooLarge"),
    UnsupportedMediaType: (415, "UnsupportedMediaType"),
    RequestInvalid: (422, "InvalidPayload"),
    Invalid: (422, "InvalidPayload"),
    MalformedBody: (422, "InvalidPayload"),
    RateLimited: (429, "TooManyRequests"),
    ContractBroken: (500, "InternalError"),
    # The HTTP layer's limits (the status phrase without spaces, as for injected faults).
    RequestTimeout: (408, "RequestTimeout"),
    TargetTooLong: (414, "URITooLong"),
    HeadersTooLarge: (431, "RequestHeaderFieldsTooLarge"),
    ShuttingDown: (503, "ServiceUnavailable"),
}


def render(error: MockError, context: ErrorContext) -> Reply:
    status, code = by_kind(STATUS, error) or (500, "InternalError")
    if isinstance(error, Injected):  # a fault: the status it forces, a code in Bird's style
        status, code = error.status, error.phrase.replace(" ", "").replace("-", "")
    body: dict[str, Any] = {"code": getattr(error, "code", None) or code, "message": str(error)}
    details = (by_kind(_DETAILS, error) or _no_details)(error)
    if isinstance(error, RequestInvalid):
        body["message"] = _invalid_message(error.violations)
    if details:
        body["details"] = details
    headers: tuple[tuple[str, str], ...] = ()
    if isinstance(error, MethodNotAllowed):
        headers = (("allow", ", ".join(error.allowed)),)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        headers = (("retry-after", str(error.retry_after)),)
    return Reply(status, body, headers)


def json_path(*parts: str | int) -> str:
    """ ".numberStockItemIds[0]": a dot-prefixed JSON path, as in Bird's observed 422s."""
    return field_path(*parts) or "."


def _invalid_message(violations: list[Violation]) -> str:
    if any(v.location == "body" for v in violations):
        return BODY_MALFORMED
    return PARAMETERS_MALFORMED


def _violations(error: MockError) -> dict[str, list[str]]:
    assert isinstance(error, RequestInvalid)
    details: dict[str, list[str]] = {}
    for violation in error.violations:
        details.setdefault(json_path(*violation.path), []).append(violation.message)
    return details


def _fields(error: MockError) -> dict[str, Any]:
    assert isinstance(error, Invalid)
    return dict(error.fields)


def _malformed(error: MockError) -> dict[str, Any]:
    assert isinstance(error, MalformedBody)
    return {json_path(): [f"invalid JSON: {error.reason}"]}


def _funds(error: MockError) -> dict[str, Any]:
    assert isinstance(error, InsufficientFunds)
    return {"required": wire.money(error.required), "available": wire.money(error.available)}


def _with_details(error: MockError) -> dict[str, Any]:
    return dict(getattr(error, "details", None) or {})


def _contract(error: MockError) -> dict[str, Any]:
    assert isinstance(error, ContractBroken)
    return {"operationId": error.operation_id, "problems": error.problems}


def _no_details(error: MockError) -> dict[str, Any]:
    return {}


_DETAILS: dict[type[MockError], Callable[[MockError], dict[str, Any]]] = {
    RequestInvalid: _violations,
    Invalid: _fields,
    MalformedBody: _malformed,
    InsufficientFunds: _funds,
    Conflict: _with_details,
    NotFound: _with_details,
    ContractBroken: _contract,
}
