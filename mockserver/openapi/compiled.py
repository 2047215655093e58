"""The default validator: each operation's parameters, body and responses compiled once,
at start-up, into jsonschema-rs validators (Rust; a 10-number stock page checks in tens
of microseconds, where openapi-core takes milliseconds per request).

Semantics follow openapi-core, the reference (reference.py), and a property test holds
the two to the same accept/reject answer for every operation of both specs: parameters
are cast the way openapi-core casts them (`int()`, its boolean words, first value of a
repeated scalar, repeated keys for arrays), empty strings are refused, defaults filled in,
and OpenAPI 3.0 schemas are rewritten as JSON Schema by schemas.py.

A response body may hold parts already encoded (exchange.Encoded: a Bird stock item,
encoded once and shared by every page that shows it). Each is checked once per distinct
encoding: as the whole body, or as an item of a top-level array whose items are checked
alone (`_split_points` says where that is sound), the rest of the body with the array
empty; what passed is remembered in a bounded cache keyed by the encoded bytes. Anywhere
else, or when anything fails, the body is decoded and checked whole, so the verdict and
the problems reported are those of the plain body.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any

import jsonschema_rs

from mockserver.errors import MalformedBody, RequestInvalid, Violation
from mockserver.exchange import Encoded, decoded
from mockserver.openapi.loader import HTTP_METHODS, Operation, Spec
from mockserver.openapi.messages import describe
from mockserver.openapi.schemas import Direction, convert, definitions
from mockserver.openapi.validation import NO_BODY, Incoming, Validated

_MISSING: Any = object()
MAX_ERRORS = 50  # problems reported for one request; collecting stops there
# Distinct encodings (exchange.Encoded) a body or item schema remembers having passed: the
# hot pages' items stay in it, a walk through a stock of millions cannot grow it.
PASSED_ENCODINGS = 4096
# Parameter sets an operation remembers having passed, cast (CompiledValidator.request): a
# client repeats its few queries, a fuzzer's many cannot grow it past this.
PASSED_PARAMETERS = 1024
# What a parameter set may hold to be remembered: a long one is checked each time, so a
# query of a megabyte is never kept.
REMEMBERED_CHARS = 512
_TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")  # openapi-core's BOOLEAN_TRUE_VALUES
_FALSE_WORDS = ("n", "no", "f", "false", "off", "0")


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str  # path | query
    kind: str  # the schema's type
    item_kind: str  # for arrays: the items' type
    required: bool
    default: Any


class _Lazy:
    """A validator compiled on first use: start-up compiles nothing it may never need
    (compiling all of both specs costs ~40 ms, a tenth of the cold start)."""

    __slots__ = ("_compiler", "_converted", "_direction", "_schema", "_validator")

    def __init__(
        self, compiler: _Compiler, schema: Any, direction: Direction, *, converted: bool = False
    ) -> None:
        self._compiler, self._schema, self._direction = compiler, schema, direction
        self._converted = converted  # already JSON Schema (schemas.convert)
        self._validator: Any = None

    def get(self) -> Any:
        if self._validator is None:
            schema = self._schema
            if not self._converted:
                schema = self._compiler.converted(schema, self._direction)
            self._validator = self._compiler.compile(schema, self._direction)
        return self._validator


@dataclass(frozen=True, slots=True)
class _Header:
    name: str  # lower case
    kind: str
    required: bool
    validator: _Lazy


class _Passed:
    """A validator and the encodings it has passed (exchange.Encoded, by their bytes: the
    verdict is the value's, and equal bytes are an equal value), least recently used
    forgotten first."""

    __slots__ = ("_seen", "validator")

    def __init__(self, validator: _Lazy) -> None:
        self.validator = validator
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def passes(self, values: Iterable[Any]) -> bool:
        """Whether every value passes: an encoded one seen before at the cost of a lookup."""
        seen, validator = self._seen, self.validator.get()
        for value in values:
            if type(value) is not Encoded:
                if not validator.is_valid(value):
                    return False
            elif value.json in seen:
                seen.move_to_end(value.json)
            elif validator.is_valid(decoded(value)):
                seen[value.json] = None
                if len(seen) > PASSED_ENCODINGS:
                    seen.popitem(last=False)
            else:
                return False
        return True

    def __len__(self) -> int:
        return len(self._seen)


class _Body:
    """A response body's validator, and its checks of bodies with encoded parts."""

    __slots__ = ("_compiler", "_items", "_schema", "whole")

    def __init__(self, compiler: _Compiler, schema: Any) -> None:
        self._compiler, self._schema = compiler, schema
        self.whole = _Passed(_Lazy(compiler, schema, "response"))
        self._items: dict[str, _Passed] | None = None  # by top-level array, once asked

    def passes(self, body: Any) -> bool:
        """Whether `body` is valid; False also where it is not known cheaply (then the
        caller checks the decoded body, which gives the problems too)."""
        if type(body) is Encoded:
            return self.whole.passes((body,))
        parts = _encoded_arrays(body)
        if not parts:
            try:
                return bool(self.whole.validator.get().is_valid(body))
            except ValueError:  # an Encoded part deeper down (or nesting past the limit)
                return False
        items = self._split()
        envelope = dict(body)
        for key, values in parts:
            check = items.get(key)
            if check is None or not check.passes(values):
                return False
            envelope[key] = []
        try:
            return bool(self.whole.validator.get().is_valid(envelope))
        except ValueError:
            return False

    def _split(self) -> dict[str, _Passed]:
        if self._items is None:
            converted = self._compiler.converted(self._schema, "response")
            points = _split_points(converted, self._compiler.definitions("response"))
            self._items = {
                key: _Passed(_Lazy(self._compiler, items, "response", converted=True))
                for key, items in points.items()
            }
        return self._items


def _encoded_arrays(body: Any) -> list[tuple[str, list[Any]]]:
    """The top-level arrays of a body that hold encoded parts."""
    if not isinstance(body, dict):
        return []
    return [
        (key, value)
        for key, value in body.items()
        if type(value) is list and value and Encoded in map(type, value)
    ]


# What a schema may say, besides its properties, for its object to be checked with one
# array property empty and that array's items alone: nothing that looks at the array's
# value as a whole (additionalProperties is checked below: it must not cover the array).
_ENVELOPE_KEYWORDS = frozenset(
    {"type", "properties", "required", "allOf", "additionalProperties"}
    | {"minProperties", "maxProperties", "propertyNames"}
)


def _split_points(schema: Any, definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level properties of a (converted) response schema whose items can be
    checked one by one: a body is valid exactly when it is with that array empty and each
    item is valid against the `items` returned. Sound only where the array's schema is
    `type` and `items` alone (no minItems, uniqueItems, contains...), written in one
    place, and no other keyword of the object reaches its value."""
    branches = _branches(schema, definitions, 0)
    if branches is None:
        return {}
    defined: dict[str, int] = {}
    arrays: dict[str, Any] = {}
    for branch in branches:
        if not set(branch) <= _ENVELOPE_KEYWORDS:
            return {}
        properties = branch.get("properties", {})
        for name, prop in properties.items():
            defined[name] = defined.get(name, 0) + 1
            resolved = _resolved(prop, definitions, 0)
            if (
                isinstance(resolved, dict)
                and set(resolved) == {"type", "items"}
                and (
                    resolved["type"] == "array"
                    or (isinstance(resolved["type"], list) and "array" in resolved["type"])
                )
            ):
                arrays[name] = resolved["items"]
    covered = [set(b.get("properties", {})) for b in branches if "additionalProperties" in b]
    return {
        name: items
        for name, items in arrays.items()
        if defined[name] == 1 and all(name in names for names in covered)
    }


def _branches(schema: Any, definitions: Mapping[str, Any], depth: int) -> list[Any] | None:
    """The schema and every member of its allOf, references followed; None if that is
    not all it is (or it nests past any sane depth)."""
    schema = _resolved(schema, definitions, depth)
    if not isinstance(schema, dict) or depth > 16:
        return None
    found = [schema]
    for member in schema.get("allOf", []):
        more = _branches(member, definitions, depth + 1)
        if more is None:
            return None
        found.extend(more)
    return found


def _resolved(schema: Any, definitions: Mapping[str, Any], depth: int) -> Any:
    """A converted schema with its `#/$defs/` reference followed (schemas.convert keeps
    nothing beside a reference)."""
    while isinstance(schema, dict) and "$ref" in schema and depth <= 16:
        reference = schema["$ref"]
        if not isinstance(reference, str) or not reference.startswith("#/$defs/"):
            return None
        schema = definitions.get(reference.removeprefix("#/$defs/"))
        depth += 1
    return schema


@dataclass(frozen=True, slots=True)
class _Response:
    bodies: Mapping[str, _Body]  # by media type; empty when the response declares no content
    headers: tuple[_Header, ...]


# A request's parameters as sent: its path and its query string.
_Sent = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class _Operation:
    params: tuple[_Param, ...]
    param_validator: _Lazy  # over {"path": {...}, "query": {...}}
    body_validator: _Lazy | None  # None when the operation takes no body
    body_required: bool
    responses: Mapping[str, _Response]
    cut: _Cut  # how its parameters and body are cut short to report problems
    # Parameter sets that passed, as sent, and their values cast (CompiledValidator.request).
    passed: dict[_Sent, tuple[dict[str, Any], dict[str, Any]]]


class CompiledValidator:
    def __init__(self, spec: Spec) -> None:
        document = spec.document
        self._compiler = _Compiler(spec.name, document)
        self._cut = _Cut(document, document)  # for responses: the whole spec's
        self._operations: dict[tuple[str, str], _Operation] = {}
        for path, item in document["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    compiled = self._compile(document, item, item[method])
                    self._operations[(method.upper(), path)] = compiled

    def compile_all(self) -> int:
        """Compile every validator now (a test does, so no schema fails at first use)."""
        lazies = [
            lazy
            for op in self._operations.values()
            for lazy in (
                op.param_validator,
                op.body_validator,
                *(b.whole.validator for r in op.responses.values() for b in r.bodies.values()),
                *(h.validator for r in op.responses.values() for h in r.headers),
            )
            if lazy is not None
        ]
        for lazy in lazies:
            lazy.get()
        return len(lazies)

    def request(self, incoming: Incoming) -> Validated:
        op = self._operations[_key(incoming.operation)]
        sent = _sent(incoming) if op.body_validator is None else None
        if sent is not None:
            # Casting and checking parameters is a function of what was sent: a set that
            # passed before passes again (the values are copied: a caller's to keep).
            known = op.passed.get(sent)
            if known is not None:
                return Validated(path=dict(known[0]), query=dict(known[1]), body=None)
        violations = _Problems()
        path, query = self._parameters(op, incoming, violations)
        body = None
        if op.body_validator is not None:
            body = self._body(op, incoming, violations)
        if violations.items:
            raise RequestInvalid(violations.items)
        if sent is not None:
            if len(op.passed) >= PASSED_PARAMETERS:
                op.passed.clear()
            op.passed[sent] = (dict(path), dict(query))
        return Validated(path=path, query=query, body=body)

    def _parameters(
        self, op: _Operation, incoming: Incoming, violations: _Problems
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The path and query parameters, cast; what is wrong with them to `violations`."""
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
        query = _multi(incoming.query) if incoming.query else {}
        path_params = incoming.path_params
        for param in op.params:
            raw = path_params if param.location == "path" else query
            if param.name in raw or param.required:
                _read_param(param, raw, values, violations)
            elif param.default is not _MISSING:  # absent: its default, as _read_param would
                values[param.location][param.name] = param.default
        param_validator = op.param_validator.get()
        if not param_validator.is_valid(values):
            for error in _first_errors(param_validator, values, op.cut):
                location, *rest = list(error.instance_path)
                violations.extend(_violations(location, tuple(rest), error))
        return values["path"], values["query"]

    def response(
        self,
        incoming: Incoming,
        status: int,
        body: Any,
        headers: Sequence[tuple[str, str]],
        media_type: str = "application/json",
    ) -> list[str]:
        op = self._operations[_key(incoming.operation)]
        response = op.responses.get(str(status)) or op.responses.get("default")
        if response is None:
            return [f"status {status} is not documented for {incoming.operation.operation_id}"]
        problems = []
        if response.bodies:  # a missing body (None) where content is declared is a problem
            checked = response.bodies.get(media_type)
            if checked is None:
                declared = ", ".join(response.bodies)
                problems.append(f"media type {media_type} is not declared (declared: {declared})")
            elif body is None:
                problems = ["the response has no body but the spec describes one"]
            elif not checked.passes(body):
                problems = _body_problems(checked.whole.validator.get(), decoded(body), self._cut)
        if response.headers:  # most responses document none
            problems += _header_problems(response.headers, headers)
        return problems

    def _body(self, op: _Operation, incoming: Incoming, violations: _Problems) -> Any:
        document = incoming.document
        if document is NO_BODY:
            if op.body_required:
                violations.append(Violation("body", (), "a request body is required", "required"))
            return None
        assert op.body_validator is not None
        body_validator = op.body_validator.get()
        try:
            if not body_validator.is_valid(document):
                for error in _first_errors(body_validator, document, op.cut):
                    violations.extend(_violations("body", tuple(error.instance_path), error))
        except ValueError as exc:
            # jsonschema-rs cannot report on a document nested deeper than its recursion
            # limit (about 255 levels), far below the JSON parser's (1024): the same answer
            # as a document too deep to parse, not a 500.
            if "recursion limit" not in str(exc).lower():
                raise
            raise MalformedBody("depth limit exceeded: nested too deeply to validate") from None
        return document

    def _compile(
        self, document: Mapping[str, Any], item: Mapping[str, Any], op: Mapping[str, Any]
    ) -> _Operation:
        params = _parameters(document, item, op)
        properties: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
        for param, schema in params:
            properties[param.location][param.name] = schema
        param_schema = {
            "type": "object",
            "properties": {
                loc: {"type": "object", "properties": props} for loc, props in properties.items()
            },
        }
        body = _resolve(document, op.get("requestBody", {}))
        body_schema = body.get("content", {}).get("application/json", {}).get("schema")
        return _Operation(
            params=tuple(param for param, _ in params),
            param_validator=_Lazy(self._compiler, param_schema, "request"),
            body_validator=None
            if body_schema is None
            else _Lazy(self._compiler, body_schema, "request"),
            body_required=bool(body.get("required", False)),
            responses={
                status: self._response(document, response)
                for status, response in op.get("responses", {}).items()
            },
            cut=_Cut(document, [param_schema, body_schema]),
            passed={},
        )

    def _response(self, document: Mapping[str, Any], response: Mapping[str, Any]) -> _Response:
        response = _resolve(document, response)
        bodies = {
            media_type: _Body(self._compiler, content["schema"])
            for media_type, content in response.get("content", {}).items()
            if "schema" in content
        }
        headers = []
        for name, header in response.get("headers", {}).items():
            header = _resolve(document, header)
            header_schema = header.get("schema", {})
            headers.append(
                _Header(
                    name=name.lower(),
                    kind=_kind(document, header_schema),
                    required=bool(header.get("required", False)),
                    validator=_Lazy(self._compiler, header_schema, "response"),
                )
            )
        return _Response(bodies, tuple(headers))


class _Compiler:
    """Compiles converted schemas against one registry of `$defs` per direction, and
    compiles each distinct schema once (many responses share the error schemas)."""

    def __init__(self, name: str, document: Mapping[str, Any]) -> None:
        # The definitions and their registry are made when the first schema is compiled,
        # like the validators (_Lazy): converting every component schema of the five specs
        # at start-up cost ~18 ms of a ~0.4 s start.
        self._document = document
        self._components = tuple(document.get("components", {}).get("schemas", {}))
        self._base = {d: f"urn:numbers-mock:{name}:{d}" for d in ("request", "response")}
        self._cache: dict[str, Any] = {}

    @cached_property
    def _definitions(self) -> dict[Direction, dict[str, Any]]:
        return {d: definitions(self._document, d) for d in ("request", "response")}

    @cached_property
    def _registry(self) -> Any:
        return jsonschema_rs.Registry(
            [
                (self._base[d], {"$defs": _absolute(self._definitions[d], self._base[d])})
                for d in ("request", "response")
            ]
        )

    def definitions(self, direction: Direction) -> Mapping[str, Any]:
        """The component schemas, converted: what `#/$defs/X` names."""
        return self._definitions[direction]

    def converted(self, schema: Any, direction: Direction) -> Any:
        return convert(schema, direction, self._components)

    def compile(self, converted: Any, direction: Direction) -> Any:
        """A validator for a converted schema, compiled once per distinct schema."""
        converted = _absolute(converted, self._base[direction])
        key = json.dumps([direction, converted], sort_keys=True)
        if key not in self._cache:
            self._cache[key] = jsonschema_rs.validator_for(
                converted, validate_formats=True, registry=self._registry
            )
        return self._cache[key]


def _absolute(schema: Any, base: str) -> Any:
    """Point `#/$defs/X` references at the registry resource that holds the definitions."""
    if isinstance(schema, dict):
        return {
            k: (
                base + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute(v, base)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(v, base) for v in schema]
    return schema


def _parameters(
    document: Mapping[str, Any], item: Mapping[str, Any], op: Mapping[str, Any]
) -> list[tuple[_Param, Any]]:
    """The operation's path and query parameters (an operation's own win over its path
    item's, as in openapi-core), with their schemas."""
    found: dict[tuple[str, str], tuple[_Param, Any]] = {}
    for raw in [*op.get("parameters", []), *item.get("parameters", [])]:
        param = _resolve(document, raw)
        key = (param["name"], param["in"])
        if key in found or param["in"] not in ("path", "query"):
            continue
        schema = param.get("schema", {})
        resolved = _resolve(document, schema)
        kind = _kind(document, resolved)
        item_kind = _kind(document, resolved.get("items", {})) if kind == "array" else ""
        found[key] = (
            _Param(
                name=param["name"],
                location=param["in"],
                kind=kind,
                item_kind=item_kind,
                required=bool(param.get("required", False)),
                default=resolved.get("default", _MISSING),
            ),
            schema,
        )
    return list(found.values())


def _kind(document: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    kind = _resolve(document, schema).get("type", "")
    return kind if isinstance(kind, str) else ""


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _sent(incoming: Incoming) -> _Sent | None:
    """The parameters as sent, to remember a set that passed by: the path (it names the
    path parameters, by its template) and the query string. None if long, or if the query
    string is not known (an Incoming a test made)."""
    raw = incoming.raw_query
    if raw is None or len(raw) + len(incoming.path) > REMEMBERED_CHARS:
        return None
    return (incoming.path, raw)


def _key(operation: Operation) -> tuple[str, str]:
    return (operation.method, operation.path)


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values


def _read_param(
    param: _Param,
    raw: Mapping[str, Any],
    values: dict[str, dict[str, Any]],
    violations: _Problems,
) -> None:
    """Cast one parameter as openapi-core does; a missing one takes its default."""
    if param.name not in raw:
        if param.required:
            message = f"{param.location} parameter {param.name!r} is required"
            violations.append(Violation(param.location, (param.name,), message, "required"))
        elif param.default is not _MISSING:
            values[param.location][param.name] = param.default
        return
    given = raw[param.name]
    try:
        if param.kind == "array":
            items = given if isinstance(given, list) else [given]
            value: Any = [_cast(param.item_kind, item) for item in items]
        else:
            value = _cast(param.kind, given[0] if isinstance(given, list) else given)
    except ValueError:
        shown = given if isinstance(given, list) else [given]
        violations.append(
            Violation(
                param.location,
                (param.name,),
                describe("type", param.kind, shown[0]),
                "type",
                shown[0],
            )
        )
        return
    if param.location == "query" and value == "":
        message = "value must not be empty"
        violations.append(Violation(param.location, (param.name,), message, "minLength", value))
        return
    values[param.location][param.name] = value


def _cast(kind: str, raw: str) -> Any:
    if kind == "integer":
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    return raw


def _violations(location: str, path: tuple[Any, ...], error: Any) -> Iterator[Violation]:
    """A jsonschema-rs error as Violations, worded like the reference's (lazily: an object
    with 60,000 unknown properties is one error, and only the first names are wanted)."""
    kind = error.kind.name
    details = error.kind.as_dict()
    if kind == "required":
        name = details["property"]
        yield Violation(location, (*path, name), describe("required", name, None), kind)
    elif kind == "additionalProperties":
        for name in details.get("unexpected", []):
            yield Violation(location, path, describe(kind, name, None), kind, name)
    else:
        expected = _EXPECTED[kind](details) if kind in _EXPECTED else None
        message = describe(kind, expected, error.instance)
        yield Violation(location, path, message, kind, error.instance)


_EXPECTED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "type": lambda d: d.get("types") or d.get("type"),
    "enum": lambda d: d.get("options"),
    "format": lambda d: d.get("format"),
    "pattern": lambda d: d.get("pattern"),
    "minLength": lambda d: d.get("limit"),
    "maxLength": lambda d: d.get("limit"),
    "minimum": lambda d: d.get("limit"),
    "maximum": lambda d: d.get("limit"),
    "exclusiveMinimum": lambda d: d.get("limit"),
    "exclusiveMaximum": lambda d: d.get("limit"),
    "minItems": lambda d: d.get("limit"),
    "maxItems": lambda d: d.get("limit"),
    "minProperties": lambda d: d.get("limit"),
    "maxProperties": lambda d: d.get("limit"),
}


class _Problems:
    """A request's violations in order, each once, at most MAX_ERRORS: collecting stops
    there, so what is not reported is not built either."""

    __slots__ = ("_seen", "items")

    def __init__(self) -> None:
        self.items: list[Violation] = []
        self._seen: set[tuple[Any, ...]] | None = None  # made with the first: most have none

    def append(self, violation: Violation) -> None:
        key = (violation.location, violation.path, violation.message)
        if self._seen is None:
            self._seen = set()
        if len(self.items) < MAX_ERRORS and key not in self._seen:
            self._seen.add(key)
            self.items.append(violation)

    def extend(self, violations: Iterable[Violation]) -> None:
        for violation in violations:
            if len(self.items) >= MAX_ERRORS:
                return
            self.append(violation)


def _first_errors(validator: Any, instance: Any, cut: _Cut) -> list[Any]:
    """At most MAX_ERRORS errors of an invalid instance, at a cost that does not grow with
    how many it has.

    jsonschema-rs builds every error (~5 microseconds each, its message printing the
    offending value whole) before `iter_errors` yields the first: 100,000 bad ids cost
    775 ms to report 50. So the errors come from a copy with its arrays cut short (`_Cut`),
    where there are only so many, about values cut short too; only when the copy is valid
    (every problem lies past the cut) is the whole instance asked for its first error
    (`validate` stops there)."""
    if not cut.needed(instance):  # as many errors as items kept: no cheaper way
        return list(islice(validator.iter_errors(instance), MAX_ERRORS))
    errors = list(islice(validator.iter_errors(cut.copy(instance)), MAX_ERRORS))
    if errors:
        return errors
    try:
        validator.validate(instance)
    except jsonschema_rs.ValidationError as first:
        return [first]
    return []


class _Cut:
    """How to copy an instance with fewer array items and no error its whole has not.

    Each array keeps at most `keep` items, and all of them together about `budget` items
    (past it, arrays keep `floor`, or one); objects and scalars are copied whole. `keep` is past
    every `maxItems` of the spec, so an array the cut shortens still breaks the `maxItems`
    it broke; no array is cut below the spec's largest `minItems` (`floor`), so none breaks
    one it kept. The copy may miss errors past the cut (an item, a duplicate; past the
    budget, a `maxItems`): `_first_errors` asks the whole instance when the copy has none,
    and reports MAX_ERRORS at most anyway. A spec with `contains` is never cut (the item it
    asks for could be cut away): `sound` is False.
    """

    def __init__(self, document: Mapping[str, Any], schemas: Any) -> None:
        # Measured on first use: only a refused request or a broken response is cut, and
        # walking the schemas of every operation at start-up cost ~9 ms of a ~0.4 s start.
        self._document, self._schemas = document, schemas

    @cached_property
    def _limits(self) -> tuple[int, int, bool]:
        """floor, keep and sound, from every schema node the operation's schemas reach."""
        nodes = list(_schema_nodes(self._document, self._schemas))
        min_items = [n["minItems"] for n in nodes if isinstance(n.get("minItems"), int)]
        max_items = [n["maxItems"] for n in nodes if isinstance(n.get("maxItems"), int)]
        floor = max(min_items, default=0)
        keep = max(MAX_ERRORS, floor, max(max_items, default=0)) + 1
        return floor, keep, not any("contains" in n for n in nodes)

    @property
    def floor(self) -> int:
        return self._limits[0]

    @property
    def keep(self) -> int:
        return self._limits[1]

    @property
    def budget(self) -> int:
        return 4 * self.keep

    @property
    def sound(self) -> bool:
        return self._limits[2]

    def needed(self, instance: Any) -> bool:
        """Whether the copy would differ: an array past `keep`, or all past `budget`."""
        if not self.sound:
            return False
        budget = self.budget
        stack = [instance]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                node = node.values()
            elif isinstance(node, list):
                budget -= len(node)
                if len(node) > self.keep or budget < 0:
                    return True
            else:
                continue
            stack.extend(v for v in node if isinstance(v, dict | list))
        return False

    def copy(self, instance: Any) -> Any:
        budget = self.budget
        root: list[Any] = [None]
        # (node, the container its copy goes into, its key there); iterative, since a body
        # may nest 1024 levels and Python recurses 1000.
        stack: list[tuple[Any, Any, Any]] = [(instance, root, 0)]
        while stack:
            node, parent, key = stack.pop()
            copied: Any = node
            children: list[tuple[Any, Any, Any]] = []
            if isinstance(node, dict):
                copied = dict(node)  # keys in their order; containers replaced below
                children = [(v, copied, k) for k, v in node.items() if isinstance(v, dict | list)]
            elif isinstance(node, list):
                # Past the budget an array keeps one item all the same: a chain of them
                # (`[[[...]]]`) keeps its depth, which jsonschema-rs may refuse to report
                # on (then answered as a body too deep to parse, as without the cut).
                kept = min(len(node), max(self.floor, 1, min(self.keep, budget)))
                budget = max(budget - kept, 0)
                copied = node[:kept]
                children = [
                    (v, copied, i) for i, v in enumerate(copied) if isinstance(v, dict | list)
                ]
            parent[key] = copied
            stack.extend(reversed(children))  # the first arrays in the document get the budget
        return root[0]


def _schema_nodes(document: Mapping[str, Any], schemas: Any) -> Iterator[dict[str, Any]]:
    """Every object in `schemas` and in what their references reach in `document`, each
    once. Examples and property maps are objects too: what they add can only make the cut
    more careful (a larger floor or `keep`, no cut at all)."""
    seen: set[int] = set()
    stack = [schemas]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/"):
                # A reference this document does not hold (x-mock-rules are written for
                # the control spec) is nothing this document validates.
                with suppress(KeyError, TypeError):
                    stack.append(_resolve(document, node))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _body_problems(validator: Any, body: Any, cut: _Cut) -> list[str]:
    if body is None:
        return ["the response has no body but the spec describes one"]
    if validator.is_valid(body):
        return []
    return [
        f"{_dotted(tuple(e.instance_path))}: {e.message}"
        for e in _first_errors(validator, body, cut)[:MAX_ERRORS]
    ]


def _header_problems(documented: tuple[_Header, ...], sent: Sequence[tuple[str, str]]) -> list[str]:
    present = {name.lower(): value for name, value in sent}
    problems = []
    for header in documented:
        if header.name not in present:
            if header.required:
                problems.append(f"header {header.name} is required")
            continue
        try:
            value = _cast(header.kind, present[header.name])
        except ValueError:
            problems.append(f"header {header.name}: {present[header.name]!r} is not {header.kind}")
            continue
        problems.extend(
            f"header {header.name}: {e.message}" for e in header.validator.get().iter_errors(value)
        )
    return problems


def _dotted(path: tuple[Any, ...]) -> str:
    return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
