"""The platform's error dialect: every error is `{"error": {type, code, name, message,
doc_url, request_id, param?, details?, remediation?, next?}}` (bird/_generated.py `Error`,
`ErrorBody`; https://bird.com/nl-nl/documentatie/api/errors/), never api.bird.com's flat
`{code, message, details}`.

`type` maps to exactly one HTTP status (the SDK picks its exception class by it:
bird/_exceptions.py), `code` is `E` and five digits and never changes meaning. Documented
codes: E01001 ValidationError, E01002 InvalidRequest (a bad Idempotency-Key), E01004 and
E01005 (idempotency conflicts), E01012 InvalidCursor, E14002 (releasing a shared number).
Every other code below is the mock's, in the same families (docs/fidelity.md).

The use cases raise the named errors below; `STATUS` is the one table of what each error
(or kernel kind) becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
)
from mockserver.exchange import Reply
from mockserver.providers.base import ErrorContext

DOC_URL = "https://docs.bird.com/errors/{code}"  # documented form (errors page)

# --- the platform's named errors (`details` may carry param, next, remediation) ----------


class InvalidCursor(kinds.Invalid):
    """A page cursor the mock never issued, or issued for another query (E01012)."""


class InvalidIdempotencyKey(kinds.Rejected):
    """An empty Idempotency-Key, or one longer than 255 characters (E01002)."""


class IdempotencyKeyReuse(kinds.Conflict):
    """The Idempotency-Key was used for a different request (E01005)."""


class NumberNotAvailable(kinds.Conflict):
    """The number is not on sale (any more): sold, held, or reserved on api.bird.com."""


class SharedNumberNotReleasable(kinds.Conflict):
    """A shared number (`nal_`) cannot be released or cancelled (E14002)."""


class NumberReleased(kinds.Conflict):
    """The number was released: it can no longer be changed."""


class RouteNotSupported(kinds.Conflict):
    """Only a number whose calls arrive at Bird can carry an inbound route."""


class SenderExists(kinds.Conflict):
    """The workspace has claimed this sender already."""


class WebhookSecretLimit(kinds.Conflict):
    """A sixth valid secret: rotating again inside the 24-hour overlap."""


@dataclass
class RenewalOverdue(MockError):
    """A cancel while a renewal payment of the number is overdue."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass
class IdentityVerificationRequired(MockError):
    """Claiming a sender before the organization's identity verification is complete."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


# --- the one table ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Code:
    status: int
    type: str
    code: str
    name: str


STATUS: dict[type[MockError], Code] = {
    # 400 (bad_request_error)
    MalformedBody: Code(400, "bad_request_error", "E01003", "MalformedBody"),
    InvalidIdempotencyKey: Code(400, "bad_request_error", "E01002", "InvalidRequest"),
    Rejected: Code(400, "bad_request_error", "E01016", "BadRequest"),
    # 401, 402, 403, 404
    Unauthenticated: Code(401, "auth_error", "E01006", "Unauthenticated"),
    InsufficientFunds: Code(402, "billing_error", "E14005", "InsufficientFunds"),
    RenewalOverdue: Code(402, "billing_error", "E14006", "RenewalOverdue"),
    Forbidden: Code(403, "permission_error", "E01007", "PermissionDenied"),
    NotFound: Code(404, "not_found_error", "E01008", "NotFound"),
    RouteNotFound: Code(404, "not_found_error", "E01008", "NotFound"),
    # 405 has no ErrorBodyType: what the SDK infers for an unlisted 4xx
    MethodNotAllowed: Code(405, "bad_request_error", "E01013", "MethodNotAllowed"),
    RequestTimeout: Code(408, "bad_request_error", "E01017", "RequestTimeout"),
    # 409 (conflict_error)
    Conflict: Code(409, "conflict_error", "E01014", "Conflict"),
    IdempotencyKeyReuse: Code(409, "conflict_error", "E01005", "IdempotencyKeyReuse"),
    NumberNotAvailable: Code(409, "conflict_error", "E14001", "NumberNotAvailable"),
    SharedNumberNotReleasable: Code(409, "conflict_error", "E14002", "SharedNumberNotReleasable"),
    NumberReleased: Code(409, "conflict_error", "E14003", "NumberReleased"),
    RouteNotSupported: Code(409, "conflict_error", "E16001", "RouteNotSupported"),
    SenderExists: Code(409, "conflict_error", "E17002", "SenderExists"),
    WebhookSecretLimit: Code(409, "conflict_error", "E18001", "WebhookSecretLimit"),
    IdentityVerificationRequired: Code(
        412, "precondition_error", "E17001", "IdentityVerificationRequired"
    ),
    PayloadTooLarge: Code(413, "payload_too_large_error", "E01009", "PayloadTooLarge"),
    TargetTooLong: Code(414, "bad_request_error", "E01018", "URITooLong"),
    UnsupportedMediaType: Code(415, "bad_request_error", "E01010", "UnsupportedMediaType"),
    # 422 (validation_error)
    RequestInvalid: Code(422, "validation_error", "E01001", "ValidationError"),
    Invalid: Code(422, "validation_error", "E01001", "ValidationError"),
    InvalidCursor: Code(422, "validation_error", "E01012", "InvalidCursor"),
    RateLimited: Code(429, "rate_limit_error", "E01011", "RateLimited"),
    HeadersTooLarge: Code(431, "bad_request_error", "E01019", "RequestHeaderFieldsTooLarge"),
    ContractBroken: Code(500, "internal_error", "E01000", "InternalError"),
    ShuttingDown: Code(503, "service_unavailable_error", "E01015", "ServiceUnavailable"),
}
INTERNAL = STATUS[ContractBroken]
# An injected fault's status: the first row of the table with that status, else the type
# the SDK infers for it (bird/_exceptions.py _infer_type).
_BY_STATUS: dict[int, Code] = {}
for _code in STATUS.values():
    _BY_STATUS.setdefault(_code.status, _code)
_BY_STATUS[500] = INTERNAL
_BY_STATUS[409] = STATUS[Conflict]
_BY_STATUS[400] = STATUS[Rejected]
_BY_STATUS[422] = STATUS[RequestInvalid]
_BY_STATUS[501] = Code(501, "not_implemented_error", "E01020", "NotImplemented")


def code_of(error: MockError) -> Code:
    if isinstance(error, Injected):
        return _BY_STATUS.get(error.status) or _inferred(error.status)
    if isinstance(error, RequestInvalid) and _bad_idempotency_key(error.violations):
        return STATUS[InvalidIdempotencyKey]
    return by_kind(STATUS, error) or INTERNAL


def _inferred(status: int) -> Code:
    kind = "internal_error" if status >= 500 else "bad_request_error"
    return Code(status, kind, "E01000" if status >= 500 else "E01016", "HTTPError")


def render(error: MockError, context: ErrorContext) -> Reply:
    code = code_of(error)
    body: dict[str, Any] = {
        "type": code.type,
        "code": code.code,
        "name": code.name,
        "message": _message(error),
        "doc_url": DOC_URL.format(code=code.code),
        "request_id": context.request_id,
    }
    extra: dict[str, Any] = dict(getattr(error, "details", None) or {})
    details = _details(error)
    if details and code.type == "validation_error":
        body["details"] = details
        if len(details) == 1:
            body["param"] = details[0]["param"]
    if isinstance(extra.get("param"), str):
        body["param"] = extra["param"]
    if isinstance(error, InsufficientFunds):
        extra.setdefault("remediation", "Top up the wallet, then order again.")
        extra.setdefault("next", [{"kind": "external", "description": "Top up your wallet"}])
    for name in ("remediation", "next"):
        if extra.get(name):
            body[name] = extra[name]
    headers: tuple[tuple[str, str], ...] = ()
    if isinstance(error, MethodNotAllowed):
        headers = (("allow", ", ".join(error.allowed)),)
    if code.status == 429:
        retry = error.retry_after if isinstance(error, RateLimited) else None
        headers = (("retry-after", str(retry if retry is not None else 1)),)
    return Reply(code.status, {"error": body}, headers)


def _message(error: MockError) -> str:
    if isinstance(error, RequestInvalid):
        return "The request is not valid."
    if isinstance(error, ContractBroken):
        return str(error)[:2000]
    return str(error) or "The request failed."


def _details(error: MockError) -> list[dict[str, str]]:
    if isinstance(error, RequestInvalid):
        return [
            {"param": _param(v), "message": v.message or "is not valid"} for v in error.violations
        ]
    if isinstance(error, Invalid):
        return [
            {"param": path.removeprefix(".") or ".", "message": message}
            for path, messages in error.fields.items()
            for message in messages
        ]
    return []


def _param(violation: Violation) -> str:
    """A dotted path into the body (`compliance.answers[0].value`, `.` for the body
    itself), or a parameter's name (`capabilities[1]` for one of its values)."""
    text = ""
    for part in violation.path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "."


def _bad_idempotency_key(violations: list[Violation]) -> bool:
    return bool(violations) and all(
        v.location == "header" and bool(v.path) and str(v.path[0]).lower() == "idempotency-key"
        for v in violations
    )
