"""Bird credentials: `Authorization: AccessKey <key>` or a user's `Bearer <jwt>`.

https://docs.bird.com/api/api-access/api-authorization. Only the form is checked here;
whether a well-formed credential belongs to a tenant is the backend's question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mockserver.errors import Unauthenticated

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
    header = headers.get("authorization", "").strip()
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


def tenant_of(principal: BirdPrincipal | None, path: Mapping[str, str]) -> str | None:
    """Bird's unit of isolation, wallets and rate limits is the workspace (the organization
    for stock search)."""
    return path.get("workspaceId") or path.get("organizationId")
