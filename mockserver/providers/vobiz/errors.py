"""Vobiz's two error dialects, and its codes in one table.

The WhatsApp numbers API answers in the envelope of https://docs.vobiz.ai/errors:
`{"status": "error", "error": {"code", "message", "details"}, "timestamp", "requestId"}`;
422 VALIDATION_ERROR carries `details.errors[]` of `{field, message, code, value}`
(`render`). The account and phone-number API answers in the flat body its pages document:
`{"error": "<code>", "message": "..."}` (`render_flat`), where the SDK hands `error` to the
exception it raises.

The use cases raise the named errors below, never a code as a string; `STATUS` is the one
table of what each error becomes in either dialect. Documented codes are on
docs.vobiz.ai/errors, the WhatsApp pages and the account pages; the statuses the docs do
not give are invented (docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


# --- the account and phone-number API's own ------------------------------------------------


class AccountMismatch(kinds.Forbidden):
    """The authId in the path is not the caller's account."""


class NumberNotInInventory(kinds.NotFound):
    """Not for sale: owned, being released, quarantined, or never stocked."""


@dataclass
class DebitFailed(kinds.InsufficientFunds):
    """A purchase or release fee the wallet cannot pay (or an outcome rule declines):
    nothing changed. The purchase page: "A failed debit currently surfaces as a 500"."""

    action: str = "purchase"

    def __str__(self) -> str:
        return f"failed to {self.action} number"


class NumberNotOwned(kinds.Forbidden):
    """Releasing a number the account does not own."""


class UnknownNumber(kinds.NotFound):
    """A well-formed number that is nowhere in the mock's stock."""


class ReleasePending(kinds.Conflict):
    """The number is being released already (pending release, or quarantined)."""


class NotPendingRelease(kinds.Rejected):
    """Cancel-release of a number that is not in its cancellable window."""


class CancelDenied(kinds.Forbidden):
    """Cancel-release of a number the account never released."""


class CancelUnknownNumber(kinds.NotFound):
    """Cancel-release of a number nowhere in stock."""


class NumberNotFound(kinds.NotFound):
    """Trunk routing of a number that is not the account's (or, to unassign, has no trunk)."""


class TrunkAlreadyAssigned(kinds.Rejected):
    """Assigning a number that is on a trunk already: unassign it first."""


class TrunkNotFound(kinds.NotFound):
    """A trunk the account does not have (when its scenario lists its trunks)."""


class NumberNotInAccount(kinds.NotFound):
    """Application routing of a number that is not the account's."""


class ApplicationNotFound(kinds.NotFound):
    """An application the account does not have (when its scenario lists them)."""


class TransactionsFailed(MockError):
    """A transactions date filter that cannot be parsed (documented: a 500)."""


@dataclass(frozen=True, slots=True)
class Code:
    """What an error becomes: its status and `error.code` in the WhatsApp API's envelope,
    and in the account API's flat body its status and `error` (`flat`; None: the same
    status and the code in lower case)."""

    status: int
    code: str
    flat: tuple[int, str] | None = None
    bare: bool = False  # the documented flat body has no `message`

    def flat_code(self) -> tuple[int, str]:
        return self.flat or (self.status, self.code.lower())


STATUS: dict[type[MockError], Code] = {
    MalformedBody: Code(400, "MALFORMED_JSON", (400, "invalid request")),
    Rejected: Code(400, "BAD_REQUEST", (400, "invalid request")),
    Unauthenticated: Code(401, "INVALID_CREDENTIALS", (401, "unauthorized")),
    InsufficientFunds: Code(402, "INSUFFICIENT_BALANCE"),
    Forbidden: Code(403, "FORBIDDEN", (403, "forbidden")),
    NotFound: Code(404, "NOT_FOUND", (404, "not_found")),
    RouteNotFound: Code(404, "NOT_FOUND", (404, "not_found")),
    MethodNotAllowed: Code(405, "METHOD_NOT_ALLOWED"),
    Conflict: Code(409, "CONFLICT"),
    PayloadTooLarge: Code(413, "PAYLOAD_TOO_LARGE"),
    UnsupportedMediaType: Code(415, "UNSUPPORTED_MEDIA_TYPE"),
    # The account pages answer 400 `invalid request` where the WhatsApp API has 422.
    RequestInvalid: Code(422, "VALIDATION_ERROR", (400, "invalid request")),
    Invalid: Code(422, "VALIDATION_ERROR", (400, "invalid request")),
    RateLimited: Code(429, "RATE_LIMIT_EXCEEDED"),
    ContractBroken: Code(500, "INTERNAL_ERROR", (500, "internal_server_error")),
    # The HTTP layer's limits (invented: the status phrase in upper snake case).
    RequestTimeout: Code(408, "REQUEST_TIMEOUT"),
    TargetTooLong: Code(414, "URI_TOO_LONG"),
    HeadersTooLarge: Code(431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    ShuttingDown: Code(503, "SERVICE_UNAVAILABLE"),
    # Vobiz's own codes (every status but 402 and 429 invented: docs/fidelity.md).
    BalanceNotFound: Code(404, "BALANCE_NOT_FOUND", (404, "not_found")),
    OrderNotFound: Code(404, "ORDER_NOT_FOUND"),
    ChannelNotFound: Code(404, "CHANNEL_NOT_FOUND"),
    VerificationNotFound: Code(404, "VERIFICATION_NOT_FOUND"),
    NumbersUnavailable: Code(404, "NUMBERS_UNAVAILABLE"),
    NumberNotAvailable: Code(409, "NUMBER_NOT_AVAILABLE"),
    NumberInUse: Code(409, "NUMBER_IN_USE"),
    NumberAlreadyVerified: Code(409, "NUMBER_ALREADY_VERIFIED"),
    NumberNotVerified: Code(409, "NUMBER_NOT_VERIFIED"),
    OrderNotCompleted: Code(409, "ORDER_NOT_COMPLETED"),
    OrderNotPending: Code(409, "ORDER_NOT_PENDING"),
    ChannelAlreadyExists: Code(409, "CHANNEL_ALREADY_EXISTS"),
    InvalidOtp: Code(400, "INVALID_OTP"),
    OtpExpired: Code(422, "OTP_EXPIRED"),
    VerificationLocked: Code(429, "VERIFICATION_LOCKED"),
    # The account API's (flat `error` as each page documents it; docs/fidelity.md).
    AccountMismatch: Code(403, "FORBIDDEN", (403, "forbidden")),
    NumberNotInInventory: Code(404, "NUMBER_NOT_IN_INVENTORY", (404, "not_found")),
    DebitFailed: Code(500, "INTERNAL_ERROR", (500, "internal_server_error")),
    NumberNotOwned: Code(403, "FORBIDDEN", (403, "forbidden")),
    UnknownNumber: Code(404, "NUMBER_NOT_FOUND", (404, "not_found")),
    ReleasePending: Code(409, "NUMBER_PENDING_RELEASE"),
    NotPendingRelease: Code(
        400, "NOT_PENDING_RELEASE", (400, "number is not pending release"), True
    ),
    CancelDenied: Code(403, "FORBIDDEN", (403, "access denied"), True),
    CancelUnknownNumber: Code(404, "NUMBER_NOT_FOUND", (404, "number not found"), True),
    NumberNotFound: Code(404, "NUMBER_NOT_FOUND", (404, "Number not found")),
    TrunkAlreadyAssigned: Code(400, "TRUNK_ALREADY_ASSIGNED", (400, "invalid request")),
    TrunkNotFound: Code(404, "TRUNK_NOT_FOUND", (404, "Trunk not found")),
    NumberNotInAccount: Code(404, "NUMBER_NOT_FOUND", (404, "not_found")),
    ApplicationNotFound: Code(404, "APPLICATION_NOT_FOUND", (404, "not_found")),
    TransactionsFailed: Code(
        500, "INTERNAL_ERROR", (500, "Failed to retrieve transactions"), bare=True
    ),
}
INTERNAL = Code(500, "INTERNAL_ERROR", (500, "internal_server_error"))

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
    """The WhatsApp numbers API's envelope."""
    row = by_kind(STATUS, error) or INTERNAL
    status, code = row.status, row.code
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
    for row in STATUS.values():
        if row.status == error.status:
            return row.code
    return error.phrase.upper().replace(" ", "_").replace("-", "_")


# The longest `message` the account API's error schema admits.
FLAT_MESSAGE_CHARS = 2000


def render_flat(error: MockError, context: ErrorContext) -> Reply:
    """The account and phone-number API's flat body: `{"error": code, "message": text}`
    (no `message` where the page's documented body has none)."""
    row = by_kind(STATUS, error) or INTERNAL
    status, code = row.flat_code()
    if isinstance(error, Injected):  # a fault: the status it forces, a code in this style
        status, code = error.status, error.code or _flat_code_of(error)
    body: dict[str, Any] = {"error": code}
    message = _flat_message(error)
    if message and not (row.bare and not isinstance(error, Injected)):
        body["message"] = message[:FLAT_MESSAGE_CHARS]
    return Reply(status, body, _headers(error))


def _flat_code_of(error: Injected) -> str:
    for row in STATUS.values():
        status, code = row.flat_code()
        if status == error.status:
            return code
    return error.phrase.lower().replace(" ", "_").replace("-", "_")


def _flat_message(error: MockError) -> str:
    """The error's text; a validation failure names each field and what is wrong with it
    (the flat body has no `details`)."""
    if isinstance(error, RequestInvalid):
        return "; ".join(f"{field_name(v)}: {v.message}" for v in error.violations)
    if isinstance(error, Invalid) and error.fields:
        problems = [f"{name.lstrip('.')}: {m}" for name, ms in error.fields.items() for m in ms]
        return f"{error}: {'; '.join(problems)}"
    return str(error)


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
