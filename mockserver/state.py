"""MockState: everything one mock holds, hung off the app (DESIGN.md, decision 7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.clock import Clock
from mockserver.errors import ContractBroken
from mockserver.faults import Faults
from mockserver.journal import Journal
from mockserver.providers.base import Provider
from mockserver.rng import Rng
from mockserver.scenario import Scenario
from mockserver.settings import Settings
from mockserver.webhooks.engine import Webhooks
from mockserver.webhooks.inbox import Inboxes


@dataclass(slots=True)
class MockState:
    version: str
    settings: Settings
    clock: Clock
    rng: Rng
    scenario: Scenario
    providers: list[Provider]
    specs: Mapping[str, Mapping[str, Any]]  # by surface name (bird, vobiz, control)
    journal: Journal
    faults: Faults
    webhooks: Webhooks  # the delivery engine (mockserver/webhooks/)
    inboxes: Inboxes  # /_mock/inbox/<name>
    # The random streams as they stood once the providers were seeded: a full reset puts
    # them back, so the same calls give the same answers again.
    initial_rng: Mapping[str, Any] = field(default_factory=dict)
    # Responses that broke the spec (bugs in the mock); tests assert this stays empty.
    failures: list[ContractBroken] = field(default_factory=list)
