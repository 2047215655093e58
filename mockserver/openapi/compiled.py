"""The default validator: each operation's parameters, body and responses compiled once,
at start-up, into jsonschema-rs validators (Rust; a 10-number stock page checks in tens
of microseconds, where openapi-core takes milliseconds per request).

Semantics follow openapi-core, the reference (reference.py), and a property test holds
the two to the same accept/reject answer for every operation of both specs: parameters
are cast the way openapi-core casts them (`int()`, its boolean words, first value of a
repeated scalar, repeated keys for arrays), empty strings are refused, defaults filled in,
and OpenAPI 3.0 schemas are rewritten as JSON Schema by schemas.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from typing import Any

import jsonschema_rs

from mockserver.errors import MalformedBody, RequestInvalid, Violation
from mockserver.openapi.loader import HTTP_METHODS, Operation, Spec
from mockserver.openapi.messages import describe
from mockserver.openapi.schemas import Direction, convert, definitions
from mockserver.openapi.validation import NO_BODY, Incoming, Validated

_MISSING: Any = object()
MAX_ERRORS = 50  # problems reported for one request; collecting stops there
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

    __slots__ = ("_compiler", "_direction", "_schema", "_validator")

    def __init__(self, compiler: _Compiler, schema: Any, direction: Direction) -> None:
        self._compiler, self._schema, self._direction = compiler, schema, direction
        self._validator: Any = None

    def get(self) -> Any:
        if self._validator is None:
            self._validator = self._compiler.validator(self._schema, self._direction)
        return self._validator


@dataclass(frozen=True, slots=True)
class _Header:
    name: str  # lower case
    kind: str
    required: bool
    validator: _Lazy


@dataclass(frozen=True, slots=True)
class _Response:
    bodies: Mapping[str, _Lazy]  # by media type; empty when the response declares no content
    headers: tuple[_Header, ...]


@dataclass(frozen=True, slots=True)
class _Operation:
    params: tuple[_Param, ...]
    param_validator: _Lazy  # over {"path": {...}, "query": {...}}
    body_validator: _Lazy | None  # None when the operation takes no body
    body_required: bool
    responses: Mapping[str, _Response]
    cut: _Cut  # how its parameters and body are cut short to report problems


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
                *(v for r in op.responses.values() for v in r.bodies.values()),
                *(h.validator for r in op.responses.values() for h in r.headers),
            )
            if lazy is not None
        ]
        for lazy in lazies:
            lazy.get()
        return len(lazies)

    def request(self, incoming: Incoming) -> Validated:
        op = self._operations[_key(incoming.operation)]
        violations = _Problems()
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
        query = _multi(incoming.query)
        for param in op.params:
            raw = incoming.path_params if param.location == "path" else query
            _read_param(param, raw, values, violations)
        param_validator = op.param_validator.get()
        if not param_validator.is_valid(values):
            for error in _first_errors(param_validator, values, op.cut):
                location, *rest = list(error.instance_path)
                violations.extend(_violations(location, tuple(rest), error))
        body = None
        if op.body_validator is not None:
            body = self._body(op, incoming, violations)
        if violations.items:
            raise RequestInvalid(violations.items)
        return Validated(path=values["path"], query=values["query"], body=body)

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
            validator = response.bodies.get(media_type)
            if validator is None:
                declared = ", ".join(response.bodies)
                problems.append(f"media type {media_type} is not declared (declared: {declared})")
            else:
                problems = _body_problems(validator.get(), body, self._cut)
        return problems + _header_problems(response.headers, headers)

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
        )

    def _response(self, document: Mapping[str, Any], response: Mapping[str, Any]) -> _Response:
        response = _resolve(document, response)
        bodies = {
            media_type: _Lazy(self._compiler, content["schema"], "response")
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
        self._components = tuple(document.get("components", {}).get("schemas", {}))
        self._base = {d: f"urn:numbers-mock:{name}:{d}" for d in ("request", "response")}
        self._registry = jsonschema_rs.Registry(
            [
                (self._base[d], {"$defs": _absolute(definitions(document, d), self._base[d])})
                for d in ("request", "response")
            ]
        )
        self._cache: dict[str, Any] = {}

    def validator(self, schema: Any, direction: Direction) -> Any:
        converted = _absolute(convert(schema, direction, self._components), self._base[direction])
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
        self._seen: set[tuple[Any, ...]] = set()

    def append(self, violation: Violation) -> None:
        key = (violation.location, violation.path, violation.message)
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
        nodes = list(_schema_nodes(document, schemas))
        min_items = [n["minItems"] for n in nodes if isinstance(n.get("minItems"), int)]
        max_items = [n["maxItems"] for n in nodes if isinstance(n.get("maxItems"), int)]
        self.floor = max(min_items, default=0)
        self.keep = max(MAX_ERRORS, self.floor, max(max_items, default=0)) + 1
        self.budget = 4 * self.keep
        self.sound = not any("contains" in n for n in nodes)

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
