"""Bird credentials: `Authorization: AccessKey <key>` or a user's `Bearer <jwt>`.

https://docs.bird.com/api/api-access/api-authorization. Only the form is checked here;
whether a well-formed credential belongs to a tenant is the backend's question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from mockserver.errors import Unauthenticated
from mockserver.providers.base import AdHocCredentials, Credential

ACCESS_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_HINT = "send 'Authorization: AccessKey <access-key>' or 'Authorization: Bearer <jwt>'"


@dataclass(frozen=True, slots=True)
class BirdPrincipal:
    scheme: Literal["AccessKey", "Bearer"]
    credential: str

    @property
    def key(self) -> str:
        """The credential as one string: page tokens are bound to it, so a token handed
        to another caller is refused."""
        return f"{self.scheme} {self.credential}"

    @property
    def is_user(self) -> bool:
        """A user's dashboard token: Bird requires reserved stock items when a user buys."""
        return self.scheme == "Bearer"


def authenticate(headers: Mapping[str, str]) -> BirdPrincipal:
    authorization = headers.get("authorization", "")
    if len(authorization) > _CACHED_CHARS:
        return _principal(authorization)
    return _cached_principal(authorization)


def _principal(authorization: str) -> BirdPrincipal:
    header = authorization.strip()
    if not header:
        raise Unauthenticated(f"The Authorization header is missing: {_HINT}")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    # HTTP authentication schemes are case-insensitive (RFC 9110, 11.1).
    if scheme.lower() == "accesskey":
        if not ACCESS_KEY.match(credential):
            raise Unauthenticated(
                "The access key is malformed: expected 8-128 letters, digits, _ or -"
            )
        return BirdPrincipal("AccessKey", credential)
    if scheme.lower() == "bearer":
        if not JWT.match(credential):
            raise Unauthenticated("The bearer token is not a JWT (header.payload.signature)")
        return BirdPrincipal("Bearer", credential)
    raise Unauthenticated(f"Unsupported authorization scheme {scheme[:32]!r}: {_HINT}")


# Every request asks, with the few credentials a test suite uses: each header read once.
# A header that fails is not kept (lru_cache keeps no exception), nor one longer than an
# access key or a common JWT: at most 4,096 of 512 characters.
_CACHED_CHARS = 512
_cached_principal = lru_cache(maxsize=4096)(_principal)


def tenant_of(principal: BirdPrincipal | None, path: Mapping[str, str]) -> str | None:
    """Bird's unit of isolation, wallets and rate limits is the workspace (the organization
    for stock search)."""
    return path.get("workspaceId") or path.get("organizationId")


# --- the scenario's credentials, as the control plane lists them ----------------------------

SURFACES = ("bird",)


def credentials(bird: Mapping[str, Any]) -> list[Credential]:
    """The access keys and user tokens of the scenario's `bird` section, one entry per
    workspace each opens."""
    found = []
    for tenant in bird["tenants"]:
        given = [("access key", f"AccessKey {key}") for key in tenant.get("accessKeys", [])]
        given += [("user token", f"Bearer {token}") for token in tenant.get("userTokens", [])]
        for kind, header in given:
            for workspace in tenant["workspaces"]:
                ids = {"organizationId": tenant["organizationId"], "workspaceId": workspace["id"]}
                found.append(
                    Credential(SURFACES, tenant["name"], kind, {"Authorization": header}, ids)
                )
    return found


def ad_hoc_credentials(bird: Mapping[str, Any]) -> list[AdHocCredentials]:
    ad_hoc = bird["adHocTenants"]
    if not ad_hoc["enabled"]:
        return []
    accepts = (
        "any other 'Authorization: AccessKey <key>' of 8-128 letters, digits, _ or - (or a "
        "JWT-shaped Bearer), with organization and workspace ids of your choosing"
    )
    opens = f"each workspace with a {ad_hoc['wallet']} {bird['currency']} wallet"
    return [AdHocCredentials(SURFACES, accepts, opens)]
