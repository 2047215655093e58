"""The control plane (/_mock/): the mock's own API, served and validated like a provider."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.control import errors, session, webhooks
from mockserver.control.backend import ControlBackend
from mockserver.control.handlers import HANDLERS
from mockserver.control.vocabulary import filled
from mockserver.errors import Unauthenticated
from mockserver.providers.base import Surface

if TYPE_CHECKING:
    from mockserver.state import MockState

__all__ = ["PREFIX", "SPEC_FILE", "filled", "surface", "webhooks"]

PREFIX = "/_mock/"
SPEC_FILE = "control.yaml"
# What a health check, and a tool fetching a spec, may read without the control token;
# the sign-in that trades the token for the dashboard's session (it checks the token
# itself); and the inbox's receiving end (a provider's delivery carries no control token).
OPEN = frozenset({"getHealth", "getSpec", "createSession", "receiveInbox"})


def surface(mock: MockState) -> Surface:
    backend = ControlBackend(mock)
    token = mock.settings.control_token
    return Surface(
        name="control",
        provider="control",
        spec_file=SPEC_FILE,
        path_prefixes=(PREFIX,),
        handlers=HANDLERS.bind(backend),
        authenticate=lambda headers: _check_token(headers, token),
        render_error=errors.render,
        tenant_of=_no_tenant,
        journaled=False,
        open_operations=OPEN,
    )


def _check_token(headers: Mapping[str, str], token: str | None) -> None:
    """The control token, when the mock has one (README, "Threat model"): the control
    plane is for the test harness, and reads and changes every tenant's state. In a
    browser, the dashboard's session cookie stands for it (session.py)."""
    if token is None or session.signed_in(headers, token):
        return
    scheme, _, given = headers.get("authorization", "").partition(" ")
    # Bytes: compare_digest refuses non-ASCII str, and the header is the caller's text.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise Unauthenticated(
            "This mock's control plane needs its token: send 'Authorization: Bearer <token>' "
            "(the --control-token / MOCKSERVER_CONTROL_TOKEN it was started with); in a "
            "browser, sign in at /_mock/ui/login"
        )


def _no_tenant(principal: Any, path: Mapping[str, str]) -> None:
    return None
