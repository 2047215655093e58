"""`Idempotency-Key` on POST, PATCH and DELETE, as https://bird.com/pl-pl/dokumentacja/api/
idempotency/ documents it: scoped to the workspace and kept about 3 hours (of mock time);
the same key with the same request answers the first response again, 2xx or 4xx, status and
body, with `Idempotency-Replay: true` and no second effect (no second charge); with a
different request it is 409 E01005; an empty key or one over 255 characters is 400 E01002.

What is kept is what the handler answered: 5xx answers (and the edge's own refusals and
injected faults, 429 among them, which come before any handler) are not, so a retry after
them is processed fresh. "The same request" is the operation, its path and query
parameters and its body (invented: the page text is cut short there). Handlers run one at a
time, so the first request is never in flight when a second arrives: 409 E01004 never
happens here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.errors import MockError
from mockserver.exchange import Call, Reply
from mockserver.providers.base import ErrorContext
from mockserver.providers.bird.platform import errors
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.errors import IdempotencyKeyReuse, InvalidIdempotencyKey
from mockserver.providers.bird.platform.models import StoredReply

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend

MAX_KEY = 255
REPLAY = (("idempotency-replay", "true"),)


class Idempotency:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def check(self, call: Call[PlatformPrincipal]) -> str | None:
        """The request's Idempotency-Key, if it sent one; 400 E01002 if it is empty or too
        long (also on a write that keeps no reply: the platform's test event)."""
        key = call.principal.idempotency_key
        if key is not None and (not key or len(key) > MAX_KEY):
            raise InvalidIdempotencyKey(
                f"The Idempotency-Key header must be 1 to {MAX_KEY} characters",
                details={"param": "Idempotency-Key"},
            )
        return key

    def run(self, call: Call[PlatformPrincipal], handle: Callable[[], Reply]) -> Reply:
        key = self.check(call)
        if key is None:
            return handle()
        now = self.platform.settle()
        tenant = self.platform.tenant(call.principal)
        fingerprint = _fingerprint(call)
        stored = tenant.replies.get(key)
        if stored is not None and stored.expires_at > now:
            if stored.fingerprint != fingerprint:
                raise IdempotencyKeyReuse(
                    "This Idempotency-Key was used for a different request",
                    {"param": "Idempotency-Key"},
                )
            return Reply(stored.status, stored.body, REPLAY)
        try:
            reply = handle()
        except MockError as error:
            reply = errors.render(error, ErrorContext(call.request_id, now))
            if reply.status >= 500 or reply.status == 429:
                raise
        if reply.status < 500 and reply.status != 429:
            expires = now + self.platform.config.idempotency_ttl
            tenant.replies[key] = StoredReply(key, fingerprint, reply.status, reply.body, expires)
            self.platform.schedule(expires, "key-expired", tenant, key)
        return reply


def _fingerprint(call: Call[PlatformPrincipal]) -> str:
    request: list[Any] = [call.operation_id, dict(call.path), dict(call.query), call.body]
    encoded = orjson.dumps(request, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()
