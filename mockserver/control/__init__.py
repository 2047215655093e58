"""The control plane (/_mock/): the mock's own API, served and validated like a provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.control import errors
from mockserver.control.backend import ControlBackend
from mockserver.control.handlers import HANDLERS
from mockserver.control.vocabulary import filled
from mockserver.providers.base import Surface

if TYPE_CHECKING:
    from mockserver.state import MockState

__all__ = ["PREFIX", "SPEC_FILE", "filled", "surface"]

PREFIX = "/_mock/"
SPEC_FILE = "control.yaml"


def surface(mock: MockState) -> Surface:
    backend = ControlBackend(mock)
    return Surface(
        name="control",
        provider="control",
        spec_file=SPEC_FILE,
        path_prefixes=(PREFIX,),
        handlers=HANDLERS.bind(backend),
        authenticate=_nobody,
        render_error=errors.render,
        tenant_of=_no_tenant,
        journaled=False,
    )


def _nobody(headers: Mapping[str, str]) -> None:
    """No authentication: the control plane is for the tests that run the mock."""


def _no_tenant(principal: Any, path: Mapping[str, str]) -> None:
    return None
