"""create_app: the only place that wires settings, clock, randomness, scenario, providers,
the validating edge and the control plane together (DESIGN.md, decision 7)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from mockserver import control, snapshot
from mockserver.clock import Clock, ManualClock, MockClock, SystemClock, manual_from_now
from mockserver.faults import Faults
from mockserver.journal import Journal
from mockserver.openapi.compiled import CompiledValidator
from mockserver.openapi.edge import Edge, Site
from mockserver.openapi.loader import Spec, load_spec
from mockserver.openapi.routing import Router
from mockserver.openapi.validation import SpecValidator
from mockserver.providers import bird, vobiz
from mockserver.providers.base import Provider
from mockserver.resources import spec_file
from mockserver.rng import Rng
from mockserver.scenario import Scenario, load_scenario
from mockserver.settings import Settings
from mockserver.state import MockState


class BindingError(RuntimeError):
    """The spec and the handlers disagree: an operation without a handler, or the reverse."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    scenario: Scenario | None = None,
) -> Starlette:
    """A fresh mock: its own state, clock and seeded randomness; no module globals."""
    from mockserver import __version__

    settings = settings or Settings.from_env()
    clock = clock or clock_for(settings)
    scenario = scenario or load_scenario(settings.fixtures)
    rng = Rng(settings.seed)
    providers = [bird.provider(scenario, clock, rng), vobiz.provider(scenario, clock, rng)]
    sites = [_site(provider, settings.validator) for provider in providers]
    state = MockState(
        version=__version__,
        settings=settings,
        clock=clock,
        rng=rng,
        scenario=scenario,
        providers=providers,
        specs={site.provider.name: site.spec.document for site in sites},
        journal=Journal(settings.journal_size),
        faults=Faults(rng.stream("faults")),
    )
    state.initial = snapshot.take(state)
    control_site = _site(control.provider(state), settings.validator)
    state.specs = {**state.specs, "control": control_site.spec.document}
    edge = Middleware(
        Edge,
        sites=[*sites, control_site],
        clock=clock,
        request_ids=rng.stream("request-ids"),
        validate_responses=settings.validate_responses,
        max_body_bytes=settings.max_body_bytes,
        failures=state.failures,
        journal=state.journal,
        faults=state.faults,
    )
    app = Starlette(middleware=[edge])
    app.state.mock = state
    return app


def clock_for(settings: Settings) -> MockClock:
    """--clock system runs with the wall clock; manual starts frozen (at --clock-start)."""
    if settings.clock == "manual":
        return ManualClock(settings.clock_start) if settings.clock_start else manual_from_now()
    return SystemClock(settings.clock_start)


def _site(provider: Provider, validator: str) -> Site:
    spec = load_spec(provider.name, spec_file(provider.spec_file))
    check_binding(spec, provider)
    return Site(provider, spec, Router(spec.operations), build_validator(spec, validator))


def build_validator(spec: Spec, name: str) -> SpecValidator:
    if name == "openapi-core":
        # Imported only when chosen: openapi-core and its dependencies cost ~0.5 s of start-up.
        from mockserver.openapi.reference import OpenAPICoreValidator

        return OpenAPICoreValidator(spec)
    return CompiledValidator(spec)


def check_binding(spec: Spec, provider: Provider) -> None:
    """The spec is the routing table: every operation has a handler and vice versa."""
    operations = {op.operation_id for op in spec.operations}
    unbound = sorted(operations - set(provider.handlers))
    unknown = sorted(set(provider.handlers) - operations)
    if unbound or unknown:
        raise BindingError(
            f"{provider.spec_file}: operations without a handler: {unbound or 'none'}; "
            f"handlers without an operation: {unknown or 'none'}"
        )
