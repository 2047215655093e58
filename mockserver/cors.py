"""`--cors`: the mock callable from a web page on another origin, for local development.

A browser app under development (on http://localhost:3000, say) that calls the mock at
http://localhost:8080 is cross-origin: the browser sends a preflight (`OPTIONS` with
`Access-Control-Request-Method`) before any request with an `Authorization` or
`X-Auth-Token` header or a JSON body, and hides every answer that does not allow its origin.
The real APIs are called from servers, not browsers, so the mock is off by default: an
`OPTIONS` request then gets what the provider answers (405), as it always did.

With `--cors` this middleware sits outside the edge: a preflight is answered here (204,
allowing the method and headers asked for), and every other answer, from the providers and
the control plane alike, allows any origin and shows the browser all its headers
(`X-Request-Id`, `Retry-After`...). No credentials mode: the dashboard's session cookie is
never sent cross-site (control/session.py), so `Access-Control-Allow-Credentials` stays off.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
# How long a browser may reuse a preflight's answer, in seconds.
MAX_AGE = "600"
_ALLOW_ANY = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"*"),
]


class Cors:
    """Pure ASGI: preflights answered, every answer given CORS headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await _preflight(send, headers)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if not _is_cors(k)]
                message = {**message, "headers": [*kept, *_ALLOW_ANY]}
            await send(message)

        await self.app(scope, receive, with_cors)


async def _preflight(send: Send, headers: dict[bytes, bytes]) -> None:
    answer = [
        *_ALLOW_ANY,
        (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
        (b"access-control-max-age", MAX_AGE.encode()),
        (b"content-length", b"0"),
    ]
    asked = headers.get(b"access-control-request-headers")
    if asked:  # `*` does not cover Authorization: the headers asked for, by name
        answer.append((b"access-control-allow-headers", asked))
    await send({"type": "http.response.start", "status": 204, "headers": answer})
    await send({"type": "http.response.body", "body": b""})


def _is_cors(name: bytes) -> bool:
    return name.lower().startswith(b"access-control-")
