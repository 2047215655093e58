"""Billing wallets: the organization's, one per currency; a delegated user OAuth token with
`org:billing:read` reads them, "workspace and master API keys cannot"
(bird/resources/billing_wallets_gen.py). The mock's stand-in for such a token is `boa_`
and the workspace's API key (auth.py); the wallet is the one the workspace's orders and
renewals are paid from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.errors import Forbidden
from mockserver.providers.bird.platform.auth import PlatformPrincipal
from mockserver.providers.bird.platform.models import PlatformTenant

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md).
    from mockserver.providers.bird.platform.backend import PlatformBackend


class Wallets:
    def __init__(self, platform: PlatformBackend) -> None:
        self.platform = platform

    def of(self, principal: PlatformPrincipal) -> PlatformTenant:
        """The tenant whose wallets the token reads (403 for an API key)."""
        self.platform.settle()
        if principal.kind != "oauth_token":
            raise Forbidden(
                "Organization wallets need a delegated user OAuth token with "
                "org:billing:read; workspace and master API keys cannot read them"
            )
        return self.platform.tenant(principal)
