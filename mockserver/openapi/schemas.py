"""OpenAPI 3.0 schemas rewritten as JSON Schema (2020-12), so a compiled validator can
check them with the semantics openapi-core gives them.

- `nullable: true` beside a `type` lets null pass that type check, nothing more.
- `readOnly` properties are refused in requests and `writeOnly` ones in responses, as
  OpenAPI 3.0 says; they stop being required in the other direction.
- `format: int32` / `int64` become the bounds openapi-core checks.
- Only formats both validators know are kept (uuid, date-time, date), and `email` becomes
  openapi-core's own check of it (an "@"); `iso3166-1` and the like are annotations.
- `$ref: '#/components/schemas/X'` points into the converted `$defs`; documentation-only
  keywords (description, example, discriminator, x-...) are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Direction = Literal["request", "response"]

_CHECKED_FORMATS = {"uuid", "date-time", "date"}
_INT_BOUNDS = {"int32": 31, "int64": 63}
_NOT_DATE_TIME = r"^0000-|^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:60"
_DOCUMENTATION = {
    "description",
    "title",
    "example",
    "examples",
    "xml",
    "externalDocs",
    "deprecated",
    "discriminator",
    "nullable",
    "readOnly",
    "writeOnly",
    "default",
}
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")
_COMPONENT_PREFIX = "#/components/schemas/"


def definitions(document: Mapping[str, Any], direction: Direction) -> dict[str, Any]:
    """Every component schema of the document, converted for one direction."""
    schemas = document.get("components", {}).get("schemas", {})
    return {name: convert(schema, direction, tuple(schemas)) for name, schema in schemas.items()}


def convert(schema: Any, direction: Direction, components: tuple[str, ...] = ()) -> Any:
    """`components` names the document's component schemas (a discriminator may name any)."""
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        return {"$ref": _ref(schema["$ref"])}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DOCUMENTATION or key.startswith("x-"):
            continue
        if key in _SCHEMA_LISTS:
            if "discriminator" in schema:
                continue  # the discriminator replaces oneOf / anyOf / allOf, see below
            out.setdefault(key, []).extend(convert(item, direction, components) for item in value)
        elif key in ("items", "not"):
            out[key] = convert(value, direction, components)
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else convert(value, direction, components)
        elif key == "properties":
            out[key], hidden = _properties(value, direction, components)
            if hidden and "required" in schema:
                out["required"] = [name for name in schema["required"] if name not in hidden]
        elif key == "required" and "required" in out:
            continue
        elif key == "format":
            _format(out, value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            _exclusive(out, schema, key, value)
        elif key in ("minimum", "maximum") and schema.get(f"exclusive{key.title()}") is True:
            continue  # folded into the numeric exclusive keyword
        else:
            out[key] = value
    if "discriminator" in schema and any(k in schema for k in _SCHEMA_LISTS):
        _discriminate(out, schema["discriminator"], components)
    return _nullable(out) if schema.get("nullable") is True else out


def _ref(ref: str) -> str:
    if not ref.startswith(_COMPONENT_PREFIX):
        raise ValueError(f"only local component schema references are supported: {ref}")
    return "#/$defs/" + ref.removeprefix(_COMPONENT_PREFIX)


def _properties(
    properties: Mapping[str, Any], direction: Direction, components: tuple[str, ...]
) -> tuple[dict[str, Any], set[str]]:
    """Converted properties, and the names that may not appear in this direction."""
    forbidden = "readOnly" if direction == "request" else "writeOnly"
    out: dict[str, Any] = {}
    hidden: set[str] = set()
    for name, prop in properties.items():
        if isinstance(prop, Mapping) and prop.get(forbidden) is True:
            out[name] = False
            hidden.add(name)
        else:
            out[name] = convert(prop, direction, components)
    return out, hidden


def _discriminate(
    out: dict[str, Any], discriminator: Mapping[str, Any], components: tuple[str, ...]
) -> None:
    """openapi-core's reading of a discriminator: the instance is an object whose
    `propertyName` names a schema (through `mapping`, or a component schema's own name),
    and it is checked against that schema alone, in place of oneOf / anyOf / allOf.

    The dispatch is an if/else chain with the explicit mapping first, so a valid instance
    stops at its own entry instead of trying every component schema."""
    prop = discriminator["propertyName"]
    mapping = dict(discriminator.get("mapping", {}))
    implicit = {name: _COMPONENT_PREFIX + name for name in components if name not in mapping}
    targets = [*mapping.items(), *sorted(implicit.items())]
    out["type"] = "object"
    out["required"] = sorted({*out.get("required", []), prop})
    out.setdefault("properties", {})
    chain: dict[str, Any] = {}
    for value, ref in reversed(targets):
        step: dict[str, Any] = {
            "if": {"properties": {prop: {"const": value}}},
            "then": {"$ref": _ref(ref)},
        }
        if chain:
            step["else"] = chain
        chain = step
    out["allOf"] = [
        *out.get("allOf", []),
        {"properties": {prop: {"enum": sorted(mapping.keys() | implicit.keys())}}},
        chain,
    ]


def _format(out: dict[str, Any], value: str) -> None:
    if value in _CHECKED_FORMATS:
        out["format"] = value
        if value == "date-time":
            # openapi-core's check (rfc3339-validator) takes no leap second and no year
            # 0000, which jsonschema-rs's RFC 3339 parse takes: refused alike.
            refused = {"type": "string", "pattern": _NOT_DATE_TIME}  # (other types pass)
            out.setdefault("allOf", []).append({"not": refused})
    elif value == "email":
        # openapi-core's check (jsonschema's format checker): a string with an "@" in it.
        # jsonschema-rs parses addresses more strictly, so the same check, as a pattern.
        out.setdefault("allOf", []).append({"pattern": "@"})
    elif value in _INT_BOUNDS:
        bits = _INT_BOUNDS[value]
        bounds = {"minimum": -(1 << bits), "maximum": (1 << bits) - 1}
        out.setdefault("allOf", []).append(bounds)


def _exclusive(out: dict[str, Any], schema: Mapping[str, Any], key: str, value: bool) -> None:
    bound = "minimum" if key == "exclusiveMinimum" else "maximum"
    if value and bound in schema:
        out[key] = schema[bound]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0.3: `nullable: true` only has meaning beside a `type` in the same schema,
    where it lets null pass the type check; the other keywords still apply (an `enum`
    without null still refuses null), exactly as openapi-core reads it."""
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else schema
