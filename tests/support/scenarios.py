"""Scenario files for tests: the default scenario with some settings changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import yaml
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.resources import data_dir


def default_scenario() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((data_dir("fixtures") / "default.yaml").read_text())
    return data


def write_scenario(folder: Path, changes: dict[str, dict[str, object]]) -> Path:
    """The default scenario with `changes` merged into its provider sections, e.g.
    {"bird": {"rules": [...]}}."""
    data = default_scenario()
    for section, values in changes.items():
        target = data[section]
        assert isinstance(target, dict)
        target.update(values)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@asynccontextmanager
async def serve(
    path: Path, clock: ManualClock
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """A mock on `path`'s scenario, with an httpx client; fails if a response broke the spec."""
    app = create_app(Settings(fixtures=path), clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield app, client
    failures = app.state.mock.failures
    assert not failures, f"responses broke the spec: {[str(f) for f in failures]}"
