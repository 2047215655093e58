"""The reference validator: openapi-core's request unmarshaller and response validator.

Every openapi-core object is built once per spec at start-up. Failures come back as
`Violation`s (errors.py) that each provider renders in its own dialect. The compiled
validator (compiled.py) is the default; this one is what it is tested to agree with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.validation.request.exceptions import (
    InvalidParameter,
    InvalidRequestBody,
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from mockserver.errors import MalformedBody, RequestInvalid, Unauthenticated, Violation
from mockserver.exchange import decoded
from mockserver.openapi.loader import Spec
from mockserver.openapi.messages import describe
from mockserver.openapi.validation import Incoming, Validated


def _keep(value: Any) -> Any:
    return value


# Keep uuid and date-time values as the strings the client sent: handlers and stores work
# with ids as text, and openapi-core would otherwise hand over UUID / datetime objects.
_CONFIG = Config(
    # None skips openapi-core's own spec check (handled at runtime, the annotation omits it):
    # the specs are validated by a test, not at every start.
    spec_validator_cls=None,  # type: ignore[arg-type]
    extra_format_unmarshallers={"uuid": _keep, "date-time": _keep, "date": _keep},
)


class OpenAPICoreValidator:
    """The reference validator: openapi-core's request unmarshaller and response validator."""

    def __init__(self, spec: Spec) -> None:
        document = dict(spec.document)
        # Served at the mock's own address, not api.bird.com / api.vobiz.ai: a relative server
        # lets openapi-core accept any host (docs/fidelity.md, "spec patches in memory").
        document["servers"] = [{"url": "/"}]
        self._openapi = OpenAPI.from_dict(document, config=_CONFIG)
        self._requests = self._openapi.request_unmarshaller
        self._responses = self._openapi.response_validator

    def request(self, incoming: Incoming) -> Validated:
        try:
            result = self._requests.unmarshal(_CoreRequest(incoming))
        except RecursionError:
            # openapi-core parses the body again with the stdlib json module, which gives up
            # near 1000 levels where orjson (the edge) accepts 1024: the same answer as a
            # body too deep to parse, not a 500.
            raise MalformedBody("the body is nested too deeply") from None
        if result.errors:
            raise _request_failure(result.errors)
        params = result.parameters
        return Validated(path=dict(params.path), query=dict(params.query), body=result.body)

    def response(
        self,
        incoming: Incoming,
        status: int,
        body: Any,
        headers: Sequence[tuple[str, str]],
        media_type: str = "application/json",
    ) -> list[str]:
        if body is None:
            payload = None
        elif media_type.endswith("json"):
            payload = json.dumps(decoded(body)).encode()
        else:
            payload = str(body).encode()
        response = _CoreResponse(status, payload, headers, media_type)
        errors = self._responses.iter_errors(_CoreRequest(incoming), response)
        return [problem for error in errors for problem in _response_problems(error)]


class _CoreRequest:
    """openapi-core's Request protocol, with the path pattern the router already found."""

    host_url = "http://numbers-mock"

    def __init__(self, incoming: Incoming) -> None:
        self.method = incoming.operation.method.lower()
        self.path = incoming.path
        self.path_pattern = incoming.operation.path
        self.parameters = RequestParameters(
            path=dict(incoming.path_params),
            query=ImmutableMultiDict(list(incoming.query)),
            header=Headers(list(incoming.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = incoming.content_type or "application/json"
        self.body = incoming.body or None


class _CoreResponse:
    def __init__(
        self, status: int, body: bytes | None, headers: Sequence[tuple[str, str]], media_type: str
    ) -> None:
        self.status_code = status
        self.data = body
        self.content_type = media_type if body is not None else ""
        self.headers = Headers(list(headers))


def _request_failure(errors: Iterable[Exception]) -> Exception:
    violations: list[Violation] = []
    for error in errors:
        if isinstance(error, SecurityValidationError):
            return Unauthenticated("The Authorization header is missing or not accepted")
        violations.extend(_violations(error))
    return RequestInvalid(violations)


def _violations(error: Exception) -> list[Violation]:
    if isinstance(error, MissingRequiredParameter):
        message = f"{error.location} parameter {error.name!r} is required"
        return [Violation(error.location, (error.name,), message, "required")]
    if isinstance(error, InvalidParameter) and isinstance(error.__cause__, InvalidSchemaValue):
        base: tuple[str | int, ...] = (error.name,)
        return _schema_violations(error.location, base, error.__cause__.schema_errors)
    if isinstance(error, ParameterValidationError):
        return [_cast_violation(error)]
    if isinstance(error, MissingRequiredRequestBody):
        return [Violation("body", (), "a request body is required", "required")]
    if isinstance(error, InvalidRequestBody) and isinstance(error.__cause__, InvalidSchemaValue):
        return _schema_violations("body", (), error.__cause__.schema_errors)
    return [Violation("body", (), str(error), "invalid")]


def _cast_violation(error: ParameterValidationError) -> Violation:
    cause = error.__cause__
    if isinstance(cause, CastError):
        return Violation(
            error.location,
            (error.name,),
            describe("type", cause.type, cause.value),
            "type",
            cause.value,
        )
    reason = "value could not be parsed" if isinstance(cause, DeserializeError) else str(cause)
    return Violation(error.location, (error.name,), reason, "type")


def _schema_violations(
    location: str, base: tuple[str | int, ...], errors: Iterable[Exception]
) -> list[Violation]:
    found: list[Violation] = []
    for error in errors:
        if isinstance(error, SchemaError):
            found.extend(schema_error_violations(location, base, error))
    return found


def schema_error_violations(
    location: str, base: tuple[str | int, ...], error: SchemaError
) -> list[Violation]:
    """jsonschema errors as Violations: one per missing or unsupported property."""
    path = base + tuple(error.absolute_path)
    keyword = str(error.validator)
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [name for name in required if name not in instance]
        return [
            Violation(location, (*path, name), describe("required", name, None), keyword)
            for name in missing
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        return [
            Violation(location, path, describe(keyword, name, None), keyword, name)
            for name in instance
            if name not in known
        ]
    return [
        Violation(
            location, path, describe(keyword, error.validator_value, instance), keyword, instance
        )
    ]


def _response_problems(error: Exception) -> list[str]:
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        return [
            f"{_dotted(tuple(e.absolute_path))}: {e.message}"
            for e in cause.schema_errors
            if isinstance(e, SchemaError)
        ] or [str(error)]
    return [f"{type(error).__name__}: {error}"]


def _dotted(path: tuple[str | int, ...]) -> str:
    return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
