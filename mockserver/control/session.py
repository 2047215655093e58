"""The dashboard's browser session: the control token traded for a cookie (createSession).

A browser cannot send `Authorization: Bearer <token>` when it opens a page, so the sign-in
page posts the token once and the control plane sets a cookie holding a value derived from
it (never the token itself). The cookie is HttpOnly, SameSite=Strict and scoped to /_mock/,
and the control plane takes it only on requests the browser marks as its own: Fetch
Metadata's `Sec-Fetch-Site: same-origin` (the dashboard's own calls) or `none` (a page the
user opened), so another site (or another port of localhost, the same "site") cannot spend
it. Requests without that header use the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie

COOKIE = "numbers_mock_control"
_CONTEXT = b"numbers-mock dashboard session v1"
_OWN_REQUESTS = frozenset({"same-origin", "none"})


def value_for(token: str) -> str:
    """The cookie's value for a token: an HMAC of a fixed text, keyed by the token."""
    return hmac.new(token.encode(), _CONTEXT, hashlib.sha256).hexdigest()


def set_cookie(token: str) -> str:
    return f"{COOKIE}={value_for(token)}; Path=/_mock/; HttpOnly; SameSite=Strict"


def signed_in(headers: Mapping[str, str], token: str) -> bool:
    """Whether the request carries this token's session cookie, from the browser's own
    page (Sec-Fetch-Site same-origin or none)."""
    if headers.get("sec-fetch-site", "").strip().lower() not in _OWN_REQUESTS:
        return False
    raw = headers.get("cookie")
    if not raw:
        return False
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return False
    morsel = jar.get(COOKIE)
    if morsel is None:
        return False
    return hmac.compare_digest(morsel.value.encode(), value_for(token).encode())
