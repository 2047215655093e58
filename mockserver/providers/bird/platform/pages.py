"""Cursor pages: `limit` (1-100, default 25), `starting_after` (a page's `next_cursor`) and
`ending_before` (its `prev_cursor`, or `refresh_cursor` for what sorts before it now);
https://bird.com/en-gb/docs/api/pagination/ and bird/pagination.py.

A cursor is the sort key of the row it stands for, with a digest of the query (filters and
sort, not the limit), signed (domain/pagination.PageTokens): a cursor the mock never
issued, or one issued for another query or caller, is 422 E01012. Keyset paging: a row
added or removed meanwhile never shifts or repeats the rows of the pages that follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mockserver.domain.pagination import PageTokens, Position, query_scope
from mockserver.errors import Invalid
from mockserver.providers.bird.platform.errors import InvalidCursor

T = TypeVar("T")
Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Window:
    """Which page the caller asked for."""

    limit: int = 25
    starting_after: str | None = None
    ending_before: str | None = None


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    data: list[T]
    next_cursor: str | None
    prev_cursor: str | None
    refresh_cursor: str | None
    total: int | None = None


class Cursors:
    __slots__ = ("_tokens",)

    def __init__(self, secret: bytes) -> None:
        self._tokens = PageTokens(secret)

    def position(self, scope: str, window: Window) -> tuple[str, Key] | None:
        """("after" | "before", the sort key of the cursor's row), or None for page one.
        Each cursor given must be one this query was issued (E01012); then only one may be."""
        found = [
            (side, self.read(scope, param, cursor))
            for side, param, cursor in (
                ("after", "starting_after", window.starting_after),
                ("before", "ending_before", window.ending_before),
            )
            if cursor is not None
        ]
        if len(found) > 1:
            raise Invalid(
                "Send starting_after or ending_before, not both",
                {"ending_before": ["cannot be combined with starting_after"]},
            )
        return found[0] if found else None

    def read(self, scope: str, param: str, cursor: str) -> Key:
        try:
            position: Position = self._tokens.read(scope, cursor, field=param)
        except Invalid as error:
            problems = [m for messages in error.fields.values() for m in messages]
            raise InvalidCursor(
                "The cursor is not valid for this request",
                {param: problems or ["the cursor is malformed"]},
            ) from None
        return tuple(str(part) for part in position)

    def issue(self, scope: str, key: Key) -> str:
        return self._tokens.issue(scope, key)

    def page(
        self,
        scope: str,
        rows: Sequence[T],
        key: Callable[[T], Key],
        window: Window,
        *,
        descending: bool,
        total: bool = False,
    ) -> CursorPage[T]:
        """A page of `rows` (a workspace's own: small), sorted by `key`."""
        ordered = sorted(rows, key=key, reverse=descending)

        def beyond(row: T, mark: Key) -> bool:  # sorts after `mark`
            return key(row) < mark if descending else key(row) > mark

        where = self.position(scope, window)
        start, end = 0, min(window.limit, len(ordered))
        if where is not None and where[0] == "after":
            start = next((i for i, r in enumerate(ordered) if beyond(r, where[1])), len(ordered))
            end = min(start + window.limit, len(ordered))
        elif where is not None:
            # The rows that sort before the cursor's row are a prefix of `ordered`.
            end = sum(1 for r in ordered if _before(key(r), where[1], descending))
            start = max(0, end - window.limit)
        chunk = list(ordered[start:end])
        return self.framed(
            scope,
            chunk,
            key,
            has_prev=start > 0,
            has_next=end < len(ordered),
            total=len(ordered) if total else None,
        )

    def framed(
        self,
        scope: str,
        chunk: list[T],
        key: Callable[[T], Key],
        *,
        has_prev: bool,
        has_next: bool,
        total: int | None = None,
    ) -> CursorPage[T]:
        if not chunk:
            return CursorPage([], None, None, None, total)
        first, last = self.issue(scope, key(chunk[0])), self.issue(scope, key(chunk[-1]))
        return CursorPage(
            chunk,
            last if has_next else None,
            first if has_prev else None,
            first,
            total,
        )


def sort_descending(order: str | None, sort: str) -> bool:
    """The direction of a sorted list: `order` as asked, else the SDK's default, newest
    first for a timestamp (`created_at`, `updated_at`) and A to Z for anything else."""
    return (order or ("desc" if sort.endswith("_at") else "asc")) == "desc"


def _before(row: Key, mark: Key, descending: bool) -> bool:
    return row > mark if descending else row < mark


def scope(*parts: object) -> str:
    return query_scope(list(parts))
