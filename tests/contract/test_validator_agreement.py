"""The compiled validator and openapi-core (the reference) give the same accept/reject
answer, for requests and responses of every operation of both specs.

Inputs come from schemathesis, positive (schema-valid) and negative (schema-breaking).
Responses are generated the same way: each documented response schema is offered to
schemathesis as the request body of a synthetic operation. The compiled validator also
gives each response body the same verdict when parts of it come already encoded.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import orjson
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from openapi_schema_validator import OAS30Validator
from schemathesis import GenerationMode

from mockserver.errors import RequestInvalid
from mockserver.exchange import Encoded, to_json
from mockserver.openapi.compiled import CompiledValidator
from mockserver.openapi.loader import HTTP_METHODS, Spec, load_spec
from mockserver.openapi.reference import OpenAPICoreValidator
from mockserver.openapi.schemas import convert
from mockserver.openapi.validation import NO_BODY, Incoming
from mockserver.resources import spec_file

FILES = {
    "bird": "bird-numbers.yaml",
    "bird-platform": "bird-platform.yaml",
    "vobiz": "vobiz-numbers.yaml",
    "vobiz-account": "vobiz-account.yaml",
}
AUTH = {
    "bird": [("Authorization", "AccessKey agreement_test_key")],
    "bird-platform": [("Authorization", "Bearer bk_eu1_agreement_test_key_0001")],
    "vobiz": [("X-Auth-ID", "MA_AGREE001"), ("X-Auth-Token", "agreement_token")],
    "vobiz-account": [("X-Auth-ID", "MA_AGREE001"), ("X-Auth-Token", "agreement_token")],
}
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# Cases per operation and mode: few in CI (the suite runs on shared machines); for a
# thorough run: MOCKSERVER_AGREEMENT_EXAMPLES=200 python -m pytest tests/contract/ -k agreement
EXAMPLES = int(os.environ.get("MOCKSERVER_AGREEMENT_EXAMPLES", "8"))
AGREEMENT = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    # No explain phase: tracing which lines a failure ran costs minutes on these strategies.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


def _schema(document: dict[str, Any], response: dict[str, Any]) -> Any:
    while "$ref" in response:
        target: Any = document
        for part in response["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        response = target
    return response.get("content", {}).get("application/json", {}).get("schema")


@cache
def spec(name: str) -> Spec:
    return load_spec(name, spec_file(FILES[name]))


@cache
def loaded(name: str) -> Any:
    """The spec as schemathesis sees it (parsed once per spec)."""
    return schemathesis.openapi.from_dict(
        {**spec(name).document, "servers": [{"url": "http://mock"}]}
    )


@cache
def response_bodies(name: str) -> Any:
    """Every documented response schema of the spec as the request body of a synthetic
    operation `POST /responses/{index}`, so schemathesis generates instances of it."""
    document = spec(name).document
    paths = {
        f"/responses/{index}": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
        for index, schema in enumerate(_response_schemas(name))
    }
    synthetic = {
        "openapi": "3.0.3",
        "info": {"title": "responses as bodies", "version": "1"},
        "paths": paths,
        "components": document.get("components", {}),
    }
    return schemathesis.openapi.from_dict(synthetic)


@cache
def _response_schemas(name: str) -> list[Any]:
    """Distinct response schemas, in a stable order."""
    seen: list[Any] = []
    document = spec(name).document
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            for response in item.get(method, {}).get("responses", {}).values():
                schema = _schema(document, response)
                if schema is not None and schema not in seen:
                    seen.append(schema)
    return seen


@cache
def validators(name: str) -> tuple[OpenAPICoreValidator, CompiledValidator]:
    return OpenAPICoreValidator(spec(name)), CompiledValidator(spec(name))


def operations() -> list[Any]:
    return [
        pytest.param(name, op.method, op.path, mode, id=f"{name}-{op.operation_id}-{mode.value}")
        for name in FILES
        for op in spec(name).operations
        for mode in MODES
        # An operation with nothing to send (listBillingWallets) has no negative case.
        if mode is not GenerationMode.NEGATIVE or _takes_input(op)
    ]


def _takes_input(op: Any) -> bool:
    return bool(op.query_parameters or op.body_media_types or "{" in op.path)


def responses() -> list[Any]:
    """One case per distinct response schema (the error shapes are shared by many
    operations), checked through the first operation and status that use it."""
    found = []
    for name in FILES:
        document = spec(name).document
        covered: list[Any] = []
        for path, item in document["paths"].items():
            for method in HTTP_METHODS:
                for status, response in item.get(method, {}).get("responses", {}).items():
                    schema = _schema(document, response)
                    if schema is None or schema in covered:
                        continue
                    covered.append(schema)
                    op_id = item[method]["operationId"]
                    found.extend(
                        pytest.param(
                            name,
                            method.upper(),
                            path,
                            status,
                            mode,
                            id=f"{name}-{op_id}-{status}-{mode.value}",
                        )
                        for mode in MODES
                    )
    return found


@pytest.mark.parametrize(("name", "method", "path", "mode"), operations())
def test_requests_get_the_same_verdict(name: str, method: str, path: str, mode: Any) -> None:
    operation = loaded(name)[path][method]
    reference, compiled = validators(name)
    op = next(o for o in spec(name).operations if (o.method, o.path) == (method, path))

    @given(operation.as_strategy(generation_mode=mode))
    @AGREEMENT
    def check(case: Any) -> None:
        incoming = _incoming(name, op, case)
        if incoming is None:
            return  # not sendable as HTTP (or stopped before validation by the edge)
        expected, actual = _verdict(reference, incoming), _verdict(compiled, incoming)
        assert actual[0] == expected[0], f"{incoming}\nreference: {expected}\ncompiled: {actual}"

    check()


@pytest.mark.parametrize(("name", "method", "path", "status", "mode"), responses())
def test_responses_get_the_same_verdict(
    name: str, method: str, path: str, status: str, mode: Any
) -> None:
    document = spec(name).document
    response_schema = _schema(
        document, document["paths"][path][method.lower()]["responses"][status]
    )
    index = _response_schemas(name).index(response_schema)
    generated = response_bodies(name)[f"/responses/{index}"]["POST"]
    reference, compiled = validators(name)
    op = next(o for o in spec(name).operations if (o.method, o.path) == (method, path))
    incoming = Incoming(op, path, {}, [], [], "application/json", b"")
    code = 200 if status == "default" else int(status)

    @given(generated.as_strategy(generation_mode=mode))
    @AGREEMENT
    def check(case: Any) -> None:
        body = case.body
        if not _is_json(body):
            return
        expected = _reference_accepts(reference, incoming, code, body)
        actual = not compiled.response(incoming, code, body, [])
        assert actual == expected, f"{json.dumps(body)[:2000]}\nreference ok: {expected}"
        # The same body with parts already encoded (exchange.Encoded), as the hot pages send
        # them: the same payload and the same verdict, however often a part was seen before.
        for variant in _encoded_variants(body):
            assert to_json(variant) == orjson.dumps(body)
            assert (not compiled.response(incoming, code, variant, [])) == actual, variant

    check()


def _encoded_variants(body: Any) -> list[Any]:
    """The body encoded whole, and with the items of each top-level array encoded (none
    for a body orjson cannot encode: integers past 64 bits, which no reply holds)."""
    try:
        variants: list[Any] = [Encoded(orjson.dumps(body))]
    except TypeError:
        return []
    if isinstance(body, dict):
        variants.extend(
            {**body, key: [Encoded(orjson.dumps(item)) for item in value]}
            for key, value in body.items()
            if isinstance(value, list) and value
        )
    return variants


def _reference_accepts(reference: Any, incoming: Incoming, status: int, body: Any) -> bool:
    try:
        return not reference.response(incoming, status, body, [])
    except TypeError:
        # openapi-schema-validator looks a discriminator value up in a dict, and crashes on
        # an unhashable one (a list or an object): such a body is certainly not accepted.
        return False


def _verdict(validator: Any, incoming: Incoming) -> tuple[bool, list[str]]:
    try:
        validator.request(incoming)
    except RequestInvalid as error:
        return False, sorted(f"{v.location}:{v.path}:{v.keyword}" for v in error.violations)
    return True, []


def _incoming(name: str, op: Any, case: Any) -> Incoming | None:
    path_params = {key: unquote(str(value)) for key, value in (case.path_parameters or {}).items()}
    if any("/" in value or not value for value in path_params.values()):
        return None  # the router answers 404 before any validation
    query = []
    for key, value in (case.query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            query.append((str(key), _query_text(item)))
    body = case.body
    if isinstance(body, schemathesis.core.NotSet) or body is None and not op.body_media_types:
        document, raw = NO_BODY, b""
    elif _is_json(body):
        document, raw = body, json.dumps(body).encode()
    else:
        return None  # not JSON: the edge answers 400/422 before validation
    path = op.path.format(**path_params)
    return Incoming(op, path, path_params, query, AUTH[name], "application/json", raw, document)


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", FILES)
def test_every_compiled_validator_builds(name: str) -> None:
    """Compilation is lazy at run time; here every schema of the spec is compiled."""
    assert CompiledValidator(spec(name)).compile_all() > 50


def test_the_reference_runs_with_ecma_patterns() -> None:
    """openapi-core follows ECMA 262 patterns (as OpenAPI says) only with `regress`."""
    from openapi_schema_validator._regex import has_ecma_regex

    assert has_ecma_regex()
    assert yaml  # the specs are YAML; loaded through mockserver.openapi.loader


@pytest.mark.parametrize(
    "value", ["user@example.com", "useratexample.com", "@", "a@b", " @ ", "", "@@", 5, None]
)
def test_an_email_format_gets_openapi_cores_verdict(value: Any) -> None:
    """openapi-core checks `format: email` as jsonschema does (an "@" in a string); the
    compiled validator checks the same (schemas.convert), not jsonschema-rs's stricter
    parse: the generated negative cases once found the two apart (useratexample.com)."""
    schema = {"type": "string", "format": "email", "nullable": True}
    reference = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    compiled = jsonschema_rs.validator_for(convert(schema, "response"), validate_formats=True)
    assert compiled.is_valid(value) == reference.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01T10:00:00Z",
        "1990-12-31T23:59:60Z",  # a leap second
        "0000-01-01T00:00:00Z",  # year 0
        "0001-01-01T00:00:00Z",
        "2026-03-01t10:00:60+01:00",
        "2026-02-30T10:00:00Z",
        "2026-03-01 10:00:00Z",
        None,
    ],
)
def test_a_date_time_format_gets_openapi_cores_verdict(value: Any) -> None:
    """openapi-core checks `format: date-time` with rfc3339-validator, which takes no leap
    second and no year 0000 where jsonschema-rs does: the compiled validator refuses them
    too (schemas.convert)."""
    schema = {"type": "string", "format": "date-time", "nullable": True}
    reference = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    compiled = jsonschema_rs.validator_for(convert(schema, "response"), validate_formats=True)
    assert compiled.is_valid(value) == reference.is_valid(value)
