"""Human messages for JSON Schema failures, worded like Bird's observed ones.

Observed on api.bird.com (docs/fidelity.md): `property "listId" is unsupported`,
`value must be an array`, `Invalid value: "interactive", expected one of: "text", "html"`.
Both dialects use these texts; only the envelope differs.
"""

from __future__ import annotations

import json
from typing import Any

_TYPE_NAMES = {
    "array": "an array",
    "object": "an object",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
}
_FORMAT_NAMES = {
    "uuid": "a valid UUID",
    "date-time": "an RFC 3339 date-time",
    "date": "an RFC 3339 date",
    "email": "an email address",
}


def describe(keyword: str, expected: Any, value: Any) -> str:
    """One message for one failed keyword; `expected` is the keyword's value in the schema."""
    match keyword:
        case "type":
            return f"value must be {_type_name(expected)}"
        case "enum":
            options = ", ".join(_quote(option) for option in expected)
            return f"Invalid value: {_quote(value)}, expected one of: {options}"
        case "format":
            return f"value must be {_FORMAT_NAMES.get(expected, f'in {expected} format')}"
        case "pattern":
            return f"value {_quote(value)} does not match the pattern {expected}"
        case "minLength":
            return f"value must be at least {expected} characters long"
        case "maxLength":
            return f"value must be at most {expected} characters long"
        case "minimum":
            return f"value must be at least {expected}"
        case "maximum":
            return f"value must be at most {expected}"
        case "exclusiveMinimum":
            return f"value must be greater than {expected}"
        case "exclusiveMaximum":
            return f"value must be less than {expected}"
        case "minItems":
            return f"value must contain at least {expected} item{'s' if expected != 1 else ''}"
        case "maxItems":
            return f"value must contain at most {expected} items"
        case "uniqueItems":
            return "value must not contain duplicate items"
        case "minProperties":
            return f"value must have at least {expected} propert{'ies' if expected != 1 else 'y'}"
        case "maxProperties":
            return f"value must have at most {expected} properties"
        case "required":
            return f"property {_quote(expected)} is missing"
        case "additionalProperties":
            return f"property {_quote(expected)} is unsupported"
        case "nullable":
            return "value must not be null"
        case "oneOf" | "anyOf":
            return "value does not match any of the allowed shapes"
        case "missing":
            return "a value is required"
        case _:
            return f"value is not valid ({keyword})"


def _type_name(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in expected)
    return _TYPE_NAMES.get(expected, str(expected))


def _quote(value: Any) -> str:
    if isinstance(value, str):
        value = value[:80]  # a 1 MB value is shown by its start: never encoded whole
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
