"""README's "Webhooks" example is docs/webhooks_example.py, word for word, and it works: run
against a live mock on a manual clock, it subscribes, buys, moves the clock and verifies
each delivery's signature as Bird documents it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.live import serve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "webhooks_example.py"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhooks_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_example_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert EXAMPLE.read_text(encoding="utf-8") in blocks


@pytest.mark.socket
def test_the_example_runs_against_a_live_mock(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(seed=1, validate_responses=True), clock=ManualClock(START))
    module = example()
    with serve(app) as url:
        monkeypatch.setattr(module, "MOCK", url)
        seen = module.main()
    assert seen == ["submitted/provisioning", "processing/provisioning", "fulfilled/provisioned"]
    assert app.state.mock.failures == []
