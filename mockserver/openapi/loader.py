"""Load an embedded spec and list its operations: the spec is the routing table."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.resources import load_shipped_yaml

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case, as in the ASGI scope
    path: str  # the spec's path template, e.g. /workspaces/{workspaceId}/numbers-long-code
    body_media_types: tuple[str, ...]  # empty when the operation takes no request body
    body_required: bool
    query_parameters: frozenset[str] = frozenset()  # the names it declares (and its path's)
    # Other spellings of `path` routed to this operation (its path item's
    # `x-mock-path-aliases`: a provider whose docs and SDK spell a path differently).
    aliases: tuple[str, ...] = ()
    # The JSON body's top-level fields, where its schema lets others through (no
    # `additionalProperties: false`): a field outside them is ignored, as the provider
    # would, and warned of (or refused under --strict-unknown). None: nothing to warn of
    # (no object body, or one whose schema already refuses or types every other field).
    body_fields: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    document: Mapping[str, Any]  # as written in specs/ (and adapted), never mutated
    operations: tuple[Operation, ...]

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)


def load_spec(
    name: str,
    path: Path,
    adapt: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> Spec:
    """The spec in `path`; `adapt` may return a filled-in copy (the control spec names the
    registered providers) before anything is built from it."""
    document = load_shipped_yaml(path)
    if not isinstance(document, dict) or "paths" not in document:
        raise ValueError(f"{path} is not an OpenAPI document")
    if adapt is not None:
        document = adapt(document)
    return Spec(name, document, tuple(_operations(document)))


def _operations(document: Mapping[str, Any]) -> list[Operation]:
    found = []
    for template, item in document["paths"].items():
        aliases = _aliases(template, item)
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            body = _resolve(document, op.get("requestBody", {}))
            parameters = [
                _resolve(document, p)
                for p in [*op.get("parameters", []), *item.get("parameters", [])]
            ]
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=template,
                    body_media_types=tuple(body.get("content", {})),
                    body_required=bool(body.get("required", False)),
                    query_parameters=frozenset(p["name"] for p in parameters if p["in"] == "query"),
                    aliases=aliases,
                    body_fields=_open_fields(document, body.get("content", {})),
                )
            )
    return found


def _open_fields(document: Mapping[str, Any], content: Mapping[str, Any]) -> frozenset[str] | None:
    """The declared top-level fields of a JSON body whose schema admits undeclared ones."""
    media = content.get("application/json")
    if media is None:
        return None
    parts = [_resolve(document, media.get("schema", {}))]
    fields: set[str] = set()
    while parts:
        schema = parts.pop()
        if any(key in schema for key in ("oneOf", "anyOf")):
            return None  # which fields belong depends on the branch: not guessed here
        if "additionalProperties" in schema and schema["additionalProperties"] is not True:
            return None  # refused (false) or typed (a schema): validation has its say
        fields.update(schema.get("properties", {}))
        parts.extend(_resolve(document, part) for part in schema.get("allOf", ()))
    return frozenset(fields) if fields else None


def _aliases(template: str, item: Mapping[str, Any]) -> tuple[str, ...]:
    """The path item's `x-mock-path-aliases`: each names the same path parameters, so the
    operation reads (and validates) the same values whichever spelling a request uses."""
    aliases = tuple(item.get("x-mock-path-aliases", ()))
    wanted = sorted(_PARAM.findall(template))
    for alias in aliases:
        if not isinstance(alias, str) or not alias.startswith("/"):
            raise ValueError(f"{template}: x-mock-path-aliases lists {alias!r}, not a path")
        if sorted(_PARAM.findall(alias)) != wanted:
            raise ValueError(f"{template}: the alias {alias} names other path parameters")
        if alias == template:
            raise ValueError(f"{template}: an alias repeats the path")
    return aliases


def _resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
