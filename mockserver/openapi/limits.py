"""Cheap guards the edge runs before full validation, and the limits they enforce.

Validating costs in proportion to what is wrong with a request: 70,000 repeated `features=`
values each get cast and checked, 100,000 ids in a body each get an error object (and
jsonschema-rs prints the whole offending value into its message). So the edge first
counts, which costs next to nothing: more values of a declared query parameter than
`max_query_values`, or more items in one array (members in one object) of a provider's
body than `max_body_items`, is the provider's 422 naming the field, and the validators
never see the request. Both validators (compiled and the openapi-core reference) sit
behind these guards alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jsonschema_rs

from mockserver.errors import Violation
from mockserver.openapi.compiled import MAX_ERRORS
from mockserver.settings import Settings


@dataclass(frozen=True)
class EdgeLimits:
    max_query_values: int
    max_body_items: int
    journal_excerpt_chars: int

    @classmethod
    def of(cls, settings: Settings) -> EdgeLimits:
        return cls(
            settings.max_query_values, settings.max_body_items, settings.journal_excerpt_chars
        )

    def crowded_parameters(
        self, query: Sequence[tuple[str, str]], declared: Collection[str]
    ) -> list[Violation]:
        """A violation for each declared query parameter given more than `max_query_values`
        times. Undeclared ones cost validation nothing (they are ignored), whatever their
        number, so they are not counted."""
        most = self.max_query_values
        if len(query) <= most:
            return []
        counts = Counter(name for name, _ in query if name in declared)
        message = f"at most {most} values are accepted for one parameter (the mock's limit)"
        crowded = (name for name, count in counts.items() if count > most)
        return [Violation("query", (name,), message, "maxItems") for name in crowded][:MAX_ERRORS]

    def crowded_collections(self, body: bytes, document: Any) -> list[Violation]:
        """A violation for each array with more than `max_body_items` items, and each object
        with more than that many members, anywhere in a body (`document`, parsed)."""
        most = self.max_body_items
        # A collection of n items takes n - 1 commas: a body with fewer has none too large
        # (the common case, decided at memchr speed).
        if not isinstance(document, dict | list) or body.count(b",") < most:
            return []
        try:
            if self._sizes.is_valid(document):  # in Rust, stopping at the first too large
                return []
        except ValueError:
            return []  # nested past jsonschema-rs's recursion limit: validation says so
        return _too_large(document, most)

    @cached_property
    def _sizes(self) -> Any:
        most = self.max_body_items
        return jsonschema_rs.validator_for(
            {
                "maxItems": most,
                "maxProperties": most,
                "items": {"$ref": "#"},
                "additionalProperties": {"$ref": "#"},
            }
        )


def _too_large(document: Any, most: int) -> list[Violation]:
    """The paths of the collections over `most` (the first MAX_ERRORS, in document order),
    found in Python: jsonschema-rs's own errors would print each whole into a message."""
    found: list[Violation] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack and len(found) < MAX_ERRORS:
        path, node = stack.pop()
        if len(node) > most:
            if isinstance(node, dict):
                message = f"value must have at most {most} properties (the mock's limit)"
                found.append(Violation("body", path, message, "maxProperties"))
            else:
                message = f"value must contain at most {most} items (the mock's limit)"
                found.append(Violation("body", path, message, "maxItems"))
            continue  # not walked into: its size is the problem
        members = node.items() if isinstance(node, dict) else enumerate(node)
        nested = [
            (path + (key,), value) for key, value in members if isinstance(value, dict | list)
        ]
        stack.extend(reversed(nested))
    return found


DEFAULT_LIMITS = EdgeLimits.of(Settings())
