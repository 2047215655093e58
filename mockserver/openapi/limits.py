"""Cheap guards the edge runs before full validation, and the limits they enforce.

Validating costs in proportion to what is wrong with a request: 70,000 repeated `features=`
values each get cast and checked, 100,000 ids in a body each get an error object. So the
edge first counts, which costs next to nothing: more values of one query parameter than
`max_query_values`, or more items in one array of a provider's body than `max_array_items`,
is the provider's 422 naming the field, and the validators never see the request. Both
validators (compiled and the openapi-core reference) sit behind these guards alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any

import jsonschema_rs

from mockserver.errors import Violation
from mockserver.openapi.compiled import MAX_ERRORS
from mockserver.settings import Settings


@dataclass(frozen=True)
class EdgeLimits:
    max_query_values: int
    max_array_items: int
    journal_excerpt_chars: int

    @classmethod
    def of(cls, settings: Settings) -> EdgeLimits:
        return cls(
            settings.max_query_values, settings.max_array_items, settings.journal_excerpt_chars
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

    def long_arrays(self, document: Any) -> list[Violation]:
        """A violation for each array of a body with more than `max_array_items` items."""
        if not isinstance(document, dict | list):
            return []
        try:
            if self._arrays.is_valid(document):
                return []
            errors = list(islice(self._arrays.iter_errors(document), MAX_ERRORS))
        except ValueError:
            # Nested past jsonschema-rs's recursion limit: validation answers that itself.
            return []
        message = f"value must contain at most {self.max_array_items} items (the mock's limit)"
        return [
            Violation("body", tuple(error.instance_path), message, "maxItems") for error in errors
        ]

    @cached_property
    def _arrays(self) -> Any:
        """Every array anywhere in a document at most `max_array_items` long: checked in
        Rust, a few nanoseconds a node, and only an array over the limit is an error."""
        return jsonschema_rs.validator_for(
            {
                "maxItems": self.max_array_items,
                "items": {"$ref": "#"},
                "additionalProperties": {"$ref": "#"},
            }
        )


DEFAULT_LIMITS = EdgeLimits.of(Settings())
