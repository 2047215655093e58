"""The dashboard at /_mock/ui/ (README "Dashboard"; DESIGN.md, decision 16).

Server-rendered HTML pages (Jinja2 templates under templates/) and one small script and
style sheet (static/), shipped in the package: no build step, nothing loaded from anywhere
else. The pages are operations of the control spec (specs/control.yaml, tag `dashboard`),
served by the control plane's site, so the edge routes, authenticates (the same control
token, or the session createSession sets) and validates them like every other operation.

The dashboard is a client of the control plane: `dashboard()` adds its pages to the control
surface, and they read the state only through the control surface's own operations
(api.py), never through a provider or the mock's state.
"""

from __future__ import annotations

from dataclasses import replace

from mockserver.providers.base import Surface
from mockserver.ui.api import ControlApi
from mockserver.ui.pages import PAGES, Dashboard

__all__ = ["OPEN", "PAGES", "dashboard"]

# Served without the control token: the sign-in page and the script and style sheet it needs.
OPEN = frozenset({"getDashboardLogin", "getDashboardStatic"})


def dashboard(control: Surface) -> Surface:
    """The control surface with the dashboard's pages added, reading through its handlers."""
    pages = PAGES.bind(Dashboard(ControlApi(control.handlers)))
    clash = sorted(set(pages) & set(control.handlers))
    if clash:
        raise ValueError(f"dashboard operations the control plane already serves: {clash}")
    return replace(
        control,
        handlers={**control.handlers, **pages},
        open_operations=control.open_operations | OPEN,
    )
