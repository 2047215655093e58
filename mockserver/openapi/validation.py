"""What every spec validator takes and gives back.

Two implement it: `compiled.CompiledValidator` (the default: each operation's parameters,
body and responses compiled once into jsonschema-rs validators) and
`reference.OpenAPICoreValidator` (openapi-core, the reference the compiled one is tested
against, selectable with `--validator openapi-core`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.openapi.loader import Operation

NO_BODY: Any = object()  # the request had no body (distinct from a JSON null)


@dataclass(slots=True)
class Incoming:
    """A request as the edge read it, before validation (the body is filled in once read)."""

    operation: Operation
    path: str
    path_params: Mapping[str, str]
    query: Sequence[tuple[str, str]]
    headers: Sequence[tuple[str, str]]
    content_type: str
    body: bytes = b""
    document: Any = NO_BODY  # the body parsed as JSON, when there is one
    # The query string as sent, which `query` was parsed from (None: not known).
    raw_query: bytes | None = None


# Not frozen: one is made for every request, and a frozen dataclass sets each field
# through object.__setattr__. Nothing changes one after validation.
@dataclass(slots=True)
class Validated:
    """Parameters cast to their schema types (limit -> int, countryCodes -> list)."""

    path: dict[str, Any]
    query: dict[str, Any]
    body: Any


class SpecValidator(Protocol):
    def request(self, incoming: Incoming) -> Validated:
        """Validated values, or RequestInvalid / Unauthenticated."""
        ...

    def response(
        self,
        incoming: Incoming,
        status: int,
        body: Any,
        headers: Sequence[tuple[str, str]],
        media_type: str = "application/json",
    ) -> list[str]:
        """Why a response (its JSON-ready body, None for none; text for a non-JSON media
        type) breaks the spec; empty if not."""
        ...
