"""Opaque, signed page tokens and keyset pages.

Bird documents `pageToken` as opaque (max 8000 characters) and `nextPageToken` as absent on
the last page. The mock's tokens carry the position of the last item returned plus a digest
of the query they belong to, signed with a secret derived from the seed: a tampered token,
or one replayed against a different query, is rejected instead of silently paging wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from mockserver.errors import Invalid

T = TypeVar("T")
Position = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


# Tokens a PageTokens remembers having issued: a client paging the same query again gets
# the same tokens without two digests and two encodings each.
ISSUED_TOKENS = 1024


class PageTokens:
    __slots__ = ("_issued", "_secret")

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._issued: dict[tuple[str, Position], str] = {}

    def issue(self, scope: str, position: Position) -> str:
        """The token of a position in a query: the same for the same two (a pure function of
        them and the secret, so remembered, within ISSUED_TOKENS)."""
        token = self._issued.get((scope, position))
        if token is None:
            payload = orjson.dumps([_digest(scope), list(position)])
            body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
            token = f"{body}.{self._sign(body)}"
            if len(self._issued) >= ISSUED_TOKENS:
                self._issued.clear()
            self._issued[(scope, position)] = token
        return token

    def read(self, scope: str, token: str, *, field: str = ".pageToken") -> Position:
        """The position a token points after; raises Invalid (422) if it is not ours."""
        body, _, signature = token.partition(".")
        # Bytes: compare_digest refuses non-ASCII str, and a token is the caller's text.
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise _invalid(field, "the page token is malformed or was tampered with")
        try:
            digest, position = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError, binascii.Error):
            raise _invalid(field, "the page token is malformed or was tampered with") from None
        if digest != _digest(scope):
            raise _invalid(field, "the page token belongs to a different query")
        return tuple(position)

    def page(self, scope: str, items: list[T], has_more: bool, key: Sequence[str | int]) -> Page[T]:
        """A page of `items`; the next token resumes after `key` (the last item's sort key)."""
        return Page(items, self.issue(scope, tuple(key)) if has_more and items else None)

    def page_sorted(
        self,
        scope: str,
        rows: Sequence[T],
        key: Callable[[T], tuple[str, ...]],
        page_token: str | None,
        limit: int,
        reverse: bool = False,
    ) -> Page[T]:
        """Keyset paging over a small list (a workspace's own numbers), by `key`.

        The token keeps the key of the last row shown, so rows added or removed meanwhile
        never shift or repeat the rows of later pages.
        """
        ordered = sorted(rows, key=key, reverse=reverse)
        start = 0
        if page_token is not None:
            after = tuple(str(part) for part in self.read(scope, page_token))
            start = next(
                (
                    i
                    for i, row in enumerate(ordered)
                    if (key(row) < after if reverse else key(row) > after)
                ),
                len(ordered),
            )
        chunk = ordered[start : start + limit]
        more = start + limit < len(ordered)
        return self.page(scope, chunk, more, key(chunk[-1]) if chunk else ())

    def _sign(self, body: str) -> str:
        # Keyed BLAKE2b is a MAC by construction, and cheaper per token than hmac+sha256.
        mac = hashlib.blake2b(body.encode(), key=self._secret[:64], digest_size=12).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def query_scope(parts: list[object]) -> str:
    """A query's filters as a stable string, to bind its page tokens to."""
    return orjson.dumps(parts).decode()


def _digest(scope: str) -> str:
    return hashlib.blake2b(scope.encode(), digest_size=8).hexdigest()


def _invalid(field: str, message: str) -> Invalid:
    return Invalid("The page token is not valid for this request", {field: [message]})
