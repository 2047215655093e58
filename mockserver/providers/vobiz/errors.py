"""Vobiz's error dialect: the envelope of https://docs.vobiz.ai/errors.

`{"status": "error", "error": {"code", "message", "details"}, "timestamp", "requestId"}`;
422 VALIDATION_ERROR carries `details.errors[]` of `{field, message, code, value}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.errors import (
    Conflict,
    ContractBroken,
    Forbidden,
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
    RouteNotFound,
    Unauthenticated,
    UnsupportedMediaType,
    Violation,
)
from mockserver.exchange import Reply
from mockserver.providers.base import ErrorContext
from mockserver.providers.vobiz import wire

STATUS: dict[type[MockError], tuple[int, str]] = {
    MalformedBody: (400, "MALFORMED_JSON"),
    Rejected: (400, "BAD_REQUEST"),
    Unauthenticated: (401, "INVALID_CREDENTIALS"),
    InsufficientFunds: (402, "INSUFFICIENT_BALANCE"),
    Forbidden: (403, "FORBIDDEN"),
    NotFound: (404, "NOT_FOUND"),
    RouteNotFound: (404, "NOT_FOUND"),
    MethodNotAllowed: (405, "METHOD_NOT_ALLOWED"),
    Conflict: (409, "CONFLICT"),
    PayloadTooLarge: (413, "PAYLOAD_TOO_LARGE"),
    UnsupportedMediaType: (415, "UNSUPPORTED_MEDIA_TYPE"),
    RequestInvalid: (422, "VALIDATION_ERROR"),
    Invalid: (422, "VALIDATION_ERROR"),
    RateLimited: (429, "RATE_LIMIT_EXCEEDED"),
    ContractBroken: (500, "INTERNAL_ERROR"),
}

# JSON Schema keyword -> the field code of details.errors[]. Documented: MIN_LENGTH,
# INVALID_FORMAT, OUT_OF_RANGE; the rest are the mock's.
FIELD_CODES = {
    "minLength": "MIN_LENGTH",
    "maxLength": "MAX_LENGTH",
    "pattern": "INVALID_FORMAT",
    "format": "INVALID_FORMAT",
    "minimum": "OUT_OF_RANGE",
    "maximum": "OUT_OF_RANGE",
    "exclusiveMinimum": "OUT_OF_RANGE",
    "exclusiveMaximum": "OUT_OF_RANGE",
    "minItems": "OUT_OF_RANGE",
    "maxItems": "OUT_OF_RANGE",
    "minProperties": "REQUIRED",
    "required": "REQUIRED",
    "type": "INVALID_TYPE",
    "enum": "INVALID_VALUE",
    "additionalProperties": "UNKNOWN_FIELD",
}


def render(error: MockError, context: ErrorContext) -> Reply:
    status, code = STATUS.get(type(error), (500, "INTERNAL_ERROR"))
    if isinstance(error, Injected):  # a fault: the status it forces, a code in Vobiz's style
        status, code = error.status, _code_of(error)
    body_error: dict[str, Any] = {
        "code": getattr(error, "code", None) or code,
        "message": _message(error),
    }
    details = _DETAILS.get(type(error), _own_details)(error)
    if details:
        body_error["details"] = details
    body = {
        "status": "error",
        "error": body_error,
        "timestamp": wire.timestamp_ms(context.now),
        "requestId": context.request_id,
    }
    return Reply(status, body, _headers(error))


def _code_of(error: Injected) -> str:
    """The documented code of a status where there is one (errors page), else its phrase."""
    for status, code in STATUS.values():
        if status == error.status:
            return code
    return error.phrase.upper().replace(" ", "_").replace("-", "_")


def field_name(violation: Violation) -> str:
    """`phone_number`, `items[0].e164`: the offending field, without a leading dot."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in violation.path)
    return text.lstrip(".") or "body"


def _message(error: MockError) -> str:
    if isinstance(error, RequestInvalid):
        return "Request validation failed"
    return str(error)


def _violations(error: MockError) -> dict[str, Any]:
    assert isinstance(error, RequestInvalid)
    return {"errors": [_field_error(v) for v in error.violations]}


def _field_error(violation: Violation) -> dict[str, Any]:
    item: dict[str, Any] = {
        "field": field_name(violation),
        "message": violation.message,
        "code": FIELD_CODES.get(violation.keyword, "INVALID_VALUE"),
    }
    if violation.value is not None and not isinstance(violation.value, dict | list):
        item["value"] = _echoed(violation.value)
    return item


# The integers a JSON encoder (orjson) writes: a query parameter such as
# limit=99999999999999999999999 casts to an int beyond them.
_ENCODABLE_INTS = range(-(2**63), 2**64)


def _echoed(value: Any) -> Any:
    """The offending value as the reply echoes it: an integer too large to encode is
    echoed as the digits the client sent."""
    if isinstance(value, int) and value not in _ENCODABLE_INTS:
        return str(value)
    return value


def _fields(error: MockError) -> dict[str, Any]:
    assert isinstance(error, Invalid)
    field_code = "EXPIRED" if error.code == "OTP_EXPIRED" else "INVALID_VALUE"
    errors = [
        {"field": name.lstrip("."), "message": message, "code": field_code}
        for name, messages in error.fields.items()
        for message in messages
    ]
    return {"errors": errors or [{"field": "body", "message": str(error), "code": field_code}]}


def _funds(error: MockError) -> dict[str, Any]:
    assert isinstance(error, InsufficientFunds)
    # A payment declined by a rule may have the balance to cover it: no shortfall then.
    shortfall = error.required - error.available
    if shortfall.is_negative():
        shortfall = error.required - error.required
    return {
        "required": wire.amount(error.required),
        "available": wire.amount(error.available),
        "currency": error.required.currency,
        "shortfall": wire.amount(shortfall),
    }


def _malformed(error: MockError) -> dict[str, Any]:
    assert isinstance(error, MalformedBody)
    return {"reason": error.reason}


def _contract(error: MockError) -> dict[str, Any]:
    assert isinstance(error, ContractBroken)
    return {"operation_id": error.operation_id, "problems": error.problems}


def _own_details(error: MockError) -> dict[str, Any]:
    details = dict(getattr(error, "details", None) or {})
    if isinstance(error, RateLimited) and error.retry_after is not None:
        details.setdefault("retryAfter", error.retry_after)
    return details


def _headers(error: MockError) -> tuple[tuple[str, str], ...]:
    if isinstance(error, MethodNotAllowed):
        return (("allow", ", ".join(error.allowed)),)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return (("retry-after", str(error.retry_after)),)
    return ()


_DETAILS: dict[type[MockError], Callable[[MockError], dict[str, Any]]] = {
    RequestInvalid: _violations,
    Invalid: _fields,
    InsufficientFunds: _funds,
    MalformedBody: _malformed,
    ContractBroken: _contract,
}
