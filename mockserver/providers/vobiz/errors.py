"""Vobiz's error dialect: the envelope of https://docs.vobiz.ai/errors, and its codes.

`{"status": "error", "error": {"code", "message", "details"}, "timestamp", "requestId"}`;
422 VALIDATION_ERROR carries `details.errors[]` of `{field, message, code, value}`.

The use cases raise the named errors below, never a code as a string; `STATUS` is the one
table of what each error becomes. Documented codes are on docs.vobiz.ai/errors and the
WhatsApp pages; the statuses the docs do not give are invented (docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver import errors as kinds
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
from mockserver.providers.vobiz import wire

# --- Vobiz's own codes ------------------------------------------------------------------


class BalanceNotFound(kinds.NotFound):
    """The account holds no balance in that currency."""


class OrderNotFound(kinds.NotFound):
    """No number order of this account by that id."""


class ChannelNotFound(kinds.NotFound):
    """No WhatsApp channel of this account by that id."""


class VerificationNotFound(kinds.NotFound):
    """No BYON verification was requested for the number."""


class NumbersUnavailable(kinds.NotFound):
    """Nothing in stock for the country and region."""


class NumberNotAvailable(kinds.Conflict):
    """The preferred number is not in stock (sold, or another region's)."""


class NumberInUse(kinds.Conflict):
    """Another account ordered, verified, is verifying or connected the number."""


class NumberAlreadyVerified(kinds.Conflict):
    """The account verified this number already."""


class NumberNotVerified(kinds.Conflict):
    """A bring-your-own channel for a number not verified yet."""


class OrderNotCompleted(kinds.Conflict):
    """A buy-from-Vobiz channel for an order not completed (or of another number)."""


class OrderNotPending(kinds.Conflict):
    """Only a pending order can be cancelled."""


class ChannelAlreadyExists(kinds.Conflict):
    """The account has a channel for this phone number already."""


class InvalidOtp(kinds.Rejected):
    """A wrong verification code (it counts towards the lock)."""


class OtpExpired(kinds.Invalid):
    """The verification code expired: request a new one."""


class VerificationLocked(kinds.RateLimited):
    """Too many wrong codes: the verification is locked for a while."""


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
    # The HTTP layer's limits (invented: the status phrase in upper snake case).
    RequestTimeout: (408, "REQUEST_TIMEOUT"),
    TargetTooLong: (414, "URI_TOO_LONG"),
    HeadersTooLarge: (431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    ShuttingDown: (503, "SERVICE_UNAVAILABLE"),
    # Vobiz's own codes (every status but 402 and 429 invented: docs/fidelity.md).
    BalanceNotFound: (404, "BALANCE_NOT_FOUND"),
    OrderNotFound: (404, "ORDER_NOT_FOUND"),
    ChannelNotFound: (404, "CHANNEL_NOT_FOUND"),
    VerificationNotFound: (404, "VERIFICATION_NOT_FOUND"),
    NumbersUnavailable: (404, "NUMBERS_UNAVAILABLE"),
    NumberNotAvailable: (409, "NUMBER_NOT_AVAILABLE"),
    NumberInUse: (409, "NUMBER_IN_USE"),
    NumberAlreadyVerified: (409, "NUMBER_ALREADY_VERIFIED"),
    NumberNotVerified: (409, "NUMBER_NOT_VERIFIED"),
    OrderNotCompleted: (409, "ORDER_NOT_COMPLETED"),
    OrderNotPending: (409, "ORDER_NOT_PENDING"),
    ChannelAlreadyExists: (409, "CHANNEL_ALREADY_EXISTS"),
    InvalidOtp: (400, "INVALID_OTP"),
    OtpExpired: (422, "OTP_EXPIRED"),
    VerificationLocked: (429, "VERIFICATION_LOCKED"),
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
    status, code = by_kind(STATUS, error) or (500, "INTERNAL_ERROR")
    if isinstance(error, Injected):  # a fault: the status it forces, a code in Vobiz's style
        status, code = error.status, _code_of(error)
    body_error: dict[str, Any] = {
        "code": getattr(error, "code", None) or code,
        "message": _message(error),
    }
    details = (by_kind(_DETAILS, error) or _own_details)(error)
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
    return field_path(*violation.path).lstrip(".") or "body"


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
    field_code = "EXPIRED" if isinstance(error, OtpExpired) else "INVALID_VALUE"
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
