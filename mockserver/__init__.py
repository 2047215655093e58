"""numbers-mock: a stateful, spec-validated mock of the Bird and Vobiz numbers APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.version import __version__

__all__ = [
    "AsyncMockControl",
    "Clock",
    "ManualClock",
    "MockControl",
    "MockTenant",
    "NumbersMockError",
    "Settings",
    "SystemClock",
    "__version__",
    "create_app",
]

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.client import AsyncMockControl, MockControl, MockTenant, NumbersMockError
    from mockserver.clock import Clock, ManualClock, SystemClock
    from mockserver.settings import Settings

# Loaded on first use (PEP 562): the pytest plugin imports `mockserver.pytest_plugin` in
# every pytest run of a project that installs numbers-mock, and must not pay for the app.
_LAZY = {
    "create_app": "mockserver.app",
    "Clock": "mockserver.clock",
    "ManualClock": "mockserver.clock",
    "SystemClock": "mockserver.clock",
    "Settings": "mockserver.settings",
    "MockControl": "mockserver.client",
    "AsyncMockControl": "mockserver.client",
    "MockTenant": "mockserver.client",
    "NumbersMockError": "mockserver.client",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
