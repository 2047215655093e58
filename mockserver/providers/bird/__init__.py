"""Bird (api.bird.com) Numbers API."""

from __future__ import annotations

from mockserver.clock import Clock
from mockserver.providers.base import Provider
from mockserver.providers.bird import auth, errors
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.bird.handlers import HANDLERS
from mockserver.providers.bird.seed import seed_state
from mockserver.rng import Rng
from mockserver.scenario import Scenario


def provider(scenario: Scenario, clock: Clock, rng: Rng) -> Provider:
    config, state = seed_state(scenario, rng, clock.now())
    backend = BirdBackend(config, state, clock, rng)
    return Provider(
        name="bird",
        spec_file="bird-numbers.yaml",
        path_prefixes=("/organizations/", "/workspaces/"),
        handlers=HANDLERS.bind(backend),
        authenticate=auth.authenticate,
        render_error=errors.render,
        backend=backend,
        tenant_of=auth.tenant_of,
    )
