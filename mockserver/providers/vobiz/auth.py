"""Vobiz credentials: `X-Auth-ID` + `X-Auth-Token`, or `Authorization: Bearer <JWT>`; on
the account API also HTTP Basic `auth_id:auth_token`.

https://docs.vobiz.ai/whatsapp/api/authentication: "Both headers are required unless a
Bearer is used"; the account pages (transactions, cancel-release) show `curl -u
'AUTH_ID:AUTH_TOKEN'`. Only the form is checked here; the backend decides whose account it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.errors import Unauthenticated
from mockserver.providers.base import AdHocCredentials, Credential

AUTH_ID = re.compile(r"^MA_[A-Z0-9]{8}$")
TOKEN = re.compile(r"^[!-~]{8,256}$")
JWT = re.compile(r"^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$")
_HINT = "send both X-Auth-ID and X-Auth-Token, or Authorization: Bearer <JWT>"


@dataclass(frozen=True, slots=True)
class VobizPrincipal:
    auth_id: str
    credential: str
    bearer: bool


def authenticate(headers: Mapping[str, str]) -> VobizPrincipal:
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthenticated(f"Unsupported Authorization scheme: {_HINT}")
        return _bearer(token.strip())
    auth_id, token = headers.get("x-auth-id", "").strip(), headers.get("x-auth-token", "").strip()
    if not auth_id or not token:
        raise Unauthenticated(f"Invalid or missing authentication credentials: {_HINT}")
    if not AUTH_ID.match(auth_id):
        raise Unauthenticated(
            "X-Auth-ID is malformed: expected MA_ followed by 8 letters or digits"
        )
    if not TOKEN.match(token):
        raise Unauthenticated("X-Auth-Token is malformed: expected 8-256 printable characters")
    return VobizPrincipal(auth_id, token, bearer=False)


def authenticate_account(headers: Mapping[str, str]) -> VobizPrincipal:
    """The account API's credentials: the WhatsApp API's, or HTTP Basic with the auth id
    and token (the same principal as the two headers)."""
    scheme, _, encoded = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return authenticate(headers)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, binascii.Error):
        raise Unauthenticated(
            "The Basic credentials are not base64 of auth_id:auth_token"
        ) from None
    auth_id, colon, token = decoded.partition(":")
    if not colon:
        raise Unauthenticated("The Basic credentials are not auth_id:auth_token")
    return authenticate({"x-auth-id": auth_id, "x-auth-token": token})


def _bearer(token: str) -> VobizPrincipal:
    match = JWT.match(token)
    if match is None:
        raise Unauthenticated("The Bearer token is not a JWT (header.payload.signature)")
    return VobizPrincipal(_account_of(token, match.group(2)), token, bearer=True)


def _account_of(token: str, payload: str) -> str:
    """The account a JWT speaks for: its `account_id` or `sub` claim when that is an auth
    id, otherwise one derived from the token (invented: Vobiz's JWT claims are not published)."""
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        claims = {}
    if isinstance(claims, dict):
        for claim in ("account_id", "sub"):
            value = claims.get(claim)
            if isinstance(value, str) and AUTH_ID.match(value):
                return value
    digest = base64.b32encode(hashlib.sha256(token.encode()).digest()).decode()
    return f"MA_{digest[:8]}"


def tenant_of(principal: VobizPrincipal | None, path: Mapping[str, str]) -> str | None:
    """The account; unknown until the credentials are read."""
    return principal.auth_id if principal is not None else None


# --- the scenario's credentials, as the control plane lists them ----------------------------

# The WhatsApp numbers API and the account API take the same credentials.
SURFACES = ("vobiz", "vobiz-account")


def credentials(vobiz: Mapping[str, Any]) -> list[Credential]:
    """The auth id and token pairs, and the bearer tokens, of the scenario's accounts."""
    found = []
    for account in vobiz["accounts"]:
        auth_id = account["authId"]
        ids = {"authId": auth_id}
        for token in account.get("authTokens", []):
            headers = {"X-Auth-ID": auth_id, "X-Auth-Token": token}
            found.append(Credential(SURFACES, auth_id, "auth id and token", headers, ids))
        for token in account.get("bearerTokens", []):
            headers = {"Authorization": f"Bearer {token}"}
            found.append(Credential(SURFACES, auth_id, "bearer token", headers, ids))
    return found


def ad_hoc_credentials(vobiz: Mapping[str, Any]) -> list[AdHocCredentials]:
    ad_hoc = vobiz["adHocAccounts"]
    if not ad_hoc["enabled"]:
        return []
    accepts = (
        "any other X-Auth-ID of MA_ and 8 upper-case letters or digits with an X-Auth-Token "
        "of 8+ characters (the pair is bound on first use), or a JWT-shaped Bearer"
    )
    balances = ", ".join(f"{amount} {currency}" for currency, amount in ad_hoc["balances"].items())
    return [AdHocCredentials(SURFACES, accepts, f"an account holding {balances}")]
