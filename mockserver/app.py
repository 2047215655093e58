"""create_app: the only place that wires settings, clock, randomness, scenario, providers,
the validating edge and the control plane together (DESIGN.md, decision 7).

`PROVIDERS` is the one registration of each mocked provider (DESIGN.md, decision 11).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import control, ui
from mockserver.clock import Clock, ManualClock, MockClock, SystemClock, manual_from_now
from mockserver.control import wire
from mockserver.cors import Cors
from mockserver.faults import Faults
from mockserver.journal import Journal
from mockserver.openapi.compiled import CompiledValidator
from mockserver.openapi.edge import Edge, Site
from mockserver.openapi.limits import EdgeLimits
from mockserver.openapi.loader import Spec, load_spec
from mockserver.openapi.routing import Router
from mockserver.openapi.validation import SpecValidator
from mockserver.providers import bird, vobiz
from mockserver.providers.base import Provider, ProviderFactory, Surface
from mockserver.resources import spec_file
from mockserver.rng import Rng
from mockserver.scenario import Scenario, load_scenario
from mockserver.settings import Settings
from mockserver.state import MockState
from mockserver.version import __version__
from mockserver.webhooks.engine import Webhooks, intervals
from mockserver.webhooks.inbox import Inboxes
from mockserver.webhooks.models import Policy

# Every provider the mock serves, in the order the control plane lists them.
PROVIDERS: tuple[ProviderFactory, ...] = (bird.provider, vobiz.provider)


class MockApp(Starlette):
    """Starlette, handing each HTTP request straight to the front of its middleware (the
    edge, or CORS before it). The edge answers every failure itself, in the provider's
    dialect; Starlette's outermost error middleware would only wrap each of a request's
    sends in one more coroutine (~3 us a request). Lifespan and anything else go through
    Starlette's whole stack, the same middleware instances."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        scope["app"] = self
        front: ASGIApp = self.middleware_stack.app  # type: ignore[attr-defined]
        await front(scope, receive, send)


class BindingError(RuntimeError):
    """The spec and the handlers disagree: an operation without a handler, or the reverse."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    scenario: Scenario | None = None,
    providers: Sequence[ProviderFactory] = PROVIDERS,
) -> Starlette:
    """A fresh mock: its own state, clock and seeded randomness; no module globals."""
    settings = settings or Settings.from_env()
    clock = clock or clock_for(settings)
    scenario = scenario or load_scenario(settings.scenario_source)
    rng = Rng(settings.seed)
    built = [factory(scenario, clock, rng) for factory in providers]
    check_names(built)
    sites = [_site(surface, settings.validator) for p in built for surface in p.surfaces]
    faults = Faults(rng.stream("faults"))
    webhooks = Webhooks(
        clock, rng.stream("webhooks.ids"), webhook_policy(settings, scenario), faults
    )
    for provider in built:
        provider.bind_webhooks(webhooks)
    state = MockState(
        version=__version__,
        settings=settings,
        clock=clock,
        rng=rng,
        scenario=scenario,
        providers=built,
        specs={site.surface.name: site.spec.document for site in sites},
        journal=Journal(settings.journal_size),
        faults=faults,
        webhooks=webhooks,
        inboxes=Inboxes(webhooks.keys_for),
        initial_rng=rng.dump(),
    )
    # The control plane, with the dashboard's pages (a client of its operations) beside it.
    control_surface = ui.dashboard(control.surface(state))
    control_site = _site(control_surface, settings.validator, _vocabulary(built, sites))
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
        limits=EdgeLimits.of(settings),
        after_request=webhooks.wake,
        strict_unknown=settings.strict_unknown,
        # Which outcome rules a request took, for its access line (a provider's rules may be
        # replaced by a reset or a restore: read through the provider each time).
        rules_taken={p.name: _rules_taken(p) for p in built},
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await webhooks.aclose()  # stopping: what is in flight is abandoned, not leaked

    # --cors: outside the edge, so that a preflight never reaches a provider's router.
    cors = [Middleware(Cors)] if settings.cors else []
    app = MockApp(middleware=[*cors, edge], lifespan=lifespan)
    app.state.mock = state
    webhooks.bind(built, app)
    return app


def scenario_credentials(
    settings: Settings,
    scenario: Scenario,
    providers: Sequence[ProviderFactory] = PROVIDERS,
) -> dict[str, Any]:
    """What `GET /_mock/credentials` answers for this scenario, without serving it
    (`mockserver credentials`): the providers built, asked through their contract."""
    built = [factory(scenario, clock_for(settings), Rng(settings.seed)) for factory in providers]
    return wire.credentials(scenario.name, built)


def webhook_policy(settings: Settings, scenario: Scenario) -> Policy:
    """How webhooks are delivered: the scenario's retry schedule and signature time, the
    settings' egress, timeout, concurrency and history (README "Webhooks")."""
    section = scenario.section("webhooks")
    policy = Policy(
        signature_time=section.get("signatureTime", "wall"),
        timeout=settings.webhook_timeout,
        concurrency=settings.webhook_concurrency,
        egress=settings.webhook_egress,
        history=settings.webhook_history,
    )
    if "retryIntervalsSeconds" in section:
        policy = replace(policy, retry_intervals=intervals(section["retryIntervalsSeconds"]))
    return policy


def _rules_taken(provider: Provider) -> Callable[[], tuple[str, ...]]:
    return lambda: provider.rules.drain_taken()


def clock_for(settings: Settings) -> MockClock:
    """--clock system runs with the wall clock; manual starts frozen (at --clock-start)."""
    if settings.clock == "manual":
        return ManualClock(settings.clock_start) if settings.clock_start else manual_from_now()
    return SystemClock(settings.clock_start)


def check_names(providers: Sequence[Provider]) -> None:
    """Providers, and surfaces, are named once each: the control plane finds providers by
    name, the served specs are found by surface name; `control` is the control plane's."""
    for kind, names in (
        ("provider", [p.name for p in providers]),
        ("surface", [s.name for p in providers for s in p.surfaces]),
    ):
        twice = sorted({name for name in names if names.count(name) > 1 or name == "control"})
        if twice:
            raise BindingError(f"{kind} names must be unique and not 'control': {twice}")


def _vocabulary(
    providers: Sequence[Provider], sites: Sequence[Site]
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """What the control spec names of the providers: their names, rules and profiles."""
    names = [p.name for p in providers]
    rules = [rule for site in sites for rule in site.spec.document.get("x-mock-rules", [])]
    profiles = [name for p in providers for name in p.fault_profiles]
    return lambda document: control.filled(document, names, rules, profiles)


def _site(
    surface: Surface,
    validator: str,
    adapt: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> Site:
    spec = load_spec(surface.name, spec_file(surface.spec_file), adapt)
    check_binding(spec, surface)
    return Site(surface, spec, Router(spec.operations), build_validator(spec, validator))


def build_validator(spec: Spec, name: str) -> SpecValidator:
    if name == "openapi-core":
        # Imported only when chosen: openapi-core and its dependencies cost ~0.5 s of start-up.
        from mockserver.openapi.reference import OpenAPICoreValidator

        return OpenAPICoreValidator(spec)
    return CompiledValidator(spec)


def check_binding(spec: Spec, surface: Surface) -> None:
    """The spec is the routing table: every operation has a handler and vice versa."""
    operations = {op.operation_id for op in spec.operations}
    unbound = sorted(operations - set(surface.handlers))
    unknown = sorted(set(surface.handlers) - operations)
    if unbound or unknown:
        raise BindingError(
            f"{surface.spec_file}: operations without a handler: {unbound or 'none'}; "
            f"handlers without an operation: {unknown or 'none'}"
        )
