"""Platform credentials: `Authorization: Bearer <api key>`.

Workspace API keys are `bk_{region}_{payload}{checksum}` and the SDK also accepts
`bm_{region}_...` (https://bird.com/id-id/dokumentasi/api/authentication/;
bird/_client.py `_REGION_PREFIX`). The checksum's algorithm is not published, so the mock
checks the form only: `bk_` or `bm_`, a region (`eu1`), and 16 to 80 letters, digits or `_`.

Organization wallets need a delegated user OAuth token with `org:billing:read`, never an
API key (bird/resources/billing_wallets_gen.py). Bird's tokens are issued by a browser
consent screen, which a mock cannot stand in for; the mock's stand-in is `boa_` followed
by an API key: the token of that key's organization (invented, docs/fidelity.md).

The principal also carries the request's `Idempotency-Key` (the header the SDK sends on
every write): a handler sees no headers, and the key belongs to who is asking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from mockserver.errors import Unauthenticated
from mockserver.providers.base import AdHocCredentials, Credential
from mockserver.providers.bird.platform import ids

API_KEY = re.compile(r"^(?:bk|bm)_[a-z]{2}[0-9]{1,3}_[A-Za-z0-9_]{16,80}$")
OAUTH_PREFIX = "boa_"
_HINT = "send 'Authorization: Bearer bk_{region}_...' (a workspace API key)"


@dataclass(frozen=True, slots=True)
class PlatformPrincipal:
    api_key: str  # the key itself, or the key a `boa_` token stands for
    kind: Literal["api_key", "oauth_token"]
    idempotency_key: str | None = None  # as sent (None: no header)

    @property
    def workspace_id(self) -> str:
        return workspace_of(self.api_key)


@lru_cache(maxsize=4096)  # every request asks (the journal's tenant, the backend's)
def workspace_of(api_key: str) -> str:
    """The id of the workspace an API key opens (`ws_`): stable, and without the key in it
    (it shows in the journal, faults and the control plane)."""
    return ids.derived("ws", api_key)


def oauth_token(api_key: str) -> str:
    """The mock's delegated user OAuth token of the organization `api_key` belongs to."""
    return f"{OAUTH_PREFIX}{api_key}"


def authenticate(headers: Mapping[str, str]) -> PlatformPrincipal:
    header = headers.get("authorization", "").strip()
    if not header:
        raise Unauthenticated(f"The Authorization header is missing: {_HINT}")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer":  # schemes are case-insensitive (RFC 9110, 11.1)
        raise Unauthenticated(f"Unsupported authorization scheme {scheme[:32]!r}: {_HINT}")
    key = headers.get("idempotency-key")
    if credential.startswith(OAUTH_PREFIX):
        inner = credential.removeprefix(OAUTH_PREFIX)
        if not API_KEY.match(inner):
            raise Unauthenticated("The OAuth token is malformed (the mock's are boa_<api key>)")
        return PlatformPrincipal(inner, "oauth_token", key)
    if not API_KEY.match(credential):
        raise Unauthenticated(
            "The API key is malformed: expected bk_{region}_ (or bm_{region}_) and 16-80 "
            "letters, digits or _"
        )
    return PlatformPrincipal(credential, "api_key", key)


def tenant_of(principal: PlatformPrincipal | None, path: Mapping[str, str]) -> str | None:
    """The platform's unit of isolation, wallets and rate limits: the key's workspace."""
    return None if principal is None else principal.workspace_id


# --- the scenario's credentials, as the control plane lists them ----------------------------

SURFACES = ("bird-platform",)


def credentials(bird: Mapping[str, Any]) -> list[Credential]:
    """The API keys `bird.platform.apiKeys` lists, each with its billing OAuth stand-in."""
    found = []
    for key in bird.get("platform", {}).get("apiKeys", []):
        ids = {"workspaceId": workspace_of(key)}
        for kind, token in (("API key", key), ("OAuth token (billing)", oauth_token(key))):
            headers = {"Authorization": f"Bearer {token}"}
            found.append(Credential(SURFACES, workspace_of(key), kind, headers, ids))
    return found


def ad_hoc_credentials(bird: Mapping[str, Any]) -> list[AdHocCredentials]:
    ad_hoc = bird["adHocTenants"]
    if not ad_hoc["enabled"]:
        return []
    wallet = bird.get("platform", {}).get("wallet", ad_hoc["wallet"])
    accepts = (
        "any 'Authorization: Bearer bk_{region}_...' API key (16-80 letters, digits or _ "
        f"after the region), and its billing token '{OAUTH_PREFIX}<key>'"
    )
    return [AdHocCredentials(SURFACES, accepts, f"a {wallet} {bird['currency']} wallet")]
