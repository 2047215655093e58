"""Vobiz WhatsApp numbers API (api.vobiz.ai/api/v1/messaging) and account balance."""

from __future__ import annotations

from mockserver.clock import Clock
from mockserver.providers.base import Provider
from mockserver.providers.vobiz import auth, errors
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.handlers import HANDLERS
from mockserver.providers.vobiz.seed import seed_state
from mockserver.rng import Rng
from mockserver.scenario import Scenario


def provider(scenario: Scenario, clock: Clock, rng: Rng) -> Provider:
    config, state = seed_state(scenario, rng, clock.now())
    backend = VobizBackend(config, state, clock, rng)
    return Provider(
        name="vobiz",
        spec_file="vobiz-numbers.yaml",
        path_prefixes=("/api/",),
        handlers=HANDLERS.bind(backend),
        authenticate=auth.authenticate,
        render_error=errors.render,
        backend=backend,
        tenant_of=auth.tenant_of,
    )
