"""A new provider is one registration: a small third provider, defined here with its own
tiny spec (tests/data/acme.yaml) and handlers, gets reset, tenant reset, the state dump
and restore, wallets, outcome rules, the journal and faults from the control plane with no
change to control/, snapshot.py or the edge (ARCHITECTURE.md, "Adding a provider")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.app import PROVIDERS
from mockserver.clock import Clock
from mockserver.domain.money import Money
from mockserver.domain.rules import Rules
from mockserver.domain.schedule import Schedule
from mockserver.domain.wallet import Wallet
from mockserver.dumps import Codec, Reader, keyed
from mockserver.errors import (
    Injected,
    InsufficientFunds,
    MockError,
    NotFound,
    RequestInvalid,
    Unauthenticated,
    by_kind,
)
from mockserver.exchange import Call, Handlers, Reply
from mockserver.providers.base import ErrorContext, Provider, Surface, TenantWallet
from mockserver.rng import Rng
from mockserver.scenario import Scenario
from tests.conftest import START

SPEC = Path(__file__).resolve().parents[1] / "data" / "acme.yaml"
WIDGETS = "/acme/accounts/widgetco/widgets"
KEY = {"X-Acme-Key": "key-widgetco"}
PRICE = Money(250, -2, "USD")
DELIVERY = timedelta(seconds=10)


# --- the provider: models, backend, handlers, dialect, contract ------------------------


@dataclass(slots=True)
class Widget:
    id: str
    colour: str
    bought_at: datetime
    delivered_at: datetime | None = None
    lost: bool = False

    def status(self, now: datetime) -> str:
        if self.lost:
            return "lost"
        return "delivered" if self.delivered_at and self.delivered_at <= now else "ordered"


@dataclass(slots=True)
class Account:
    name: str
    wallet: Wallet
    widgets: dict[str, Widget] = field(default_factory=dict, metadata=keyed("id"))


@dataclass(frozen=True, slots=True)
class Due:
    kind: str  # delivered
    account: str
    subject_id: str


@dataclass(slots=True)
class AcmeState:
    accounts: dict[str, Account] = field(default_factory=dict, metadata=keyed("name"))
    rules: Rules = field(default_factory=Rules)
    schedule: Schedule[Due] = field(default_factory=Schedule)


class AcmeBackend:
    def __init__(self, clock: Clock, rng: Rng) -> None:
        self.clock = clock
        self.ids = rng.stream("acme.ids")
        self.state = AcmeState()

    def settle(self) -> datetime:
        now = self.clock.now()
        for at, due in self.state.schedule.due(now):
            account = self.state.accounts.get(due.account)
            widget = None if account is None else account.widgets.get(due.subject_id)
            if widget is not None:
                widget.delivered_at = at
        return now

    def account(self, name: str) -> Account:
        found = self.state.accounts.get(name)
        if found is None:
            found = self.state.accounts[name] = Account(name, Wallet(Money(1000, -2, "USD")))
        return found

    def buy(self, name: str, colour: str) -> Widget:
        now = self.settle()
        account = self.account(name)
        account.wallet.ensure_can_pay(PRICE)
        widget = Widget(self.ids.uuid(), colour, now)
        widget.lost = self.state.rules.take("delivery", name) is not None
        account.wallet.debit(PRICE, at=now, reference=widget.id, description="A widget")
        account.widgets[widget.id] = widget
        if not widget.lost:
            self.state.schedule.add(now + DELIVERY, Due("delivered", name, widget.id))
        return widget


HANDLERS: Handlers[AcmeBackend, str] = Handlers()


def _widget(widget: Widget, now: datetime) -> dict[str, Any]:
    return {"id": widget.id, "colour": widget.colour, "status": widget.status(now)}


@HANDLERS.operation("listAcmeWidgets")
def list_acme_widgets(acme: AcmeBackend, call: Call[str]) -> Reply:
    now = acme.settle()
    widgets = acme.account(call.path["account"]).widgets.values()
    return Reply(200, {"widgets": [_widget(w, now) for w in widgets]})


@HANDLERS.operation("buyAcmeWidget")
def buy_acme_widget(acme: AcmeBackend, call: Call[str]) -> Reply:
    widget = acme.buy(call.path["account"], call.body["colour"])
    return Reply(201, _widget(widget, acme.clock.now()))


STATUS: dict[type[MockError], int] = {
    Unauthenticated: 401,
    InsufficientFunds: 402,
    NotFound: 404,
    RequestInvalid: 422,
}


def render(error: MockError, context: ErrorContext) -> Reply:
    status = error.status if isinstance(error, Injected) else by_kind(STATUS, error) or 400
    return Reply(status, {"oops": str(error)})


def authenticate(headers: Mapping[str, str]) -> str:
    key = headers.get("x-acme-key", "")
    if not key.startswith("key-"):
        raise Unauthenticated("send X-Acme-Key")
    return key


class AcmeProvider(Provider):
    name = "acme"
    rule_scope = "account"

    def __init__(self, scenario: Scenario, clock: Clock, rng: Rng) -> None:
        self.backend = AcmeBackend(clock, rng)
        self.surfaces = (
            Surface(
                name="acme",
                provider=self.name,
                spec_file=str(SPEC),
                path_prefixes=("/acme/",),
                handlers=HANDLERS.bind(self.backend),
                authenticate=authenticate,
                render_error=render,
                tenant_of=lambda principal, path: path.get("account"),
            ),
        )

    @property
    def rules(self) -> Rules:
        return self.backend.state.rules

    def settle(self) -> datetime:
        return self.backend.settle()

    def reset(self) -> None:
        self.backend.state = AcmeState()

    def reset_tenant(self, tenant: str) -> set[str]:
        self.backend.state.rules.drop_scope(tenant)
        self.backend.state.schedule.discard(lambda due: due.account == tenant)
        return {tenant} if self.backend.state.accounts.pop(tenant, None) is not None else set()

    def wallets(self) -> list[TenantWallet]:
        accounts = self.backend.state.accounts.values()
        return [TenantWallet(a.name, None, a.wallet) for a in accounts]

    def knows(self, tenant: str) -> bool:
        return tenant in self.backend.state.accounts

    def dump(self, tenant: str | None = None, *, secrets: bool = False) -> dict[str, Any]:
        state = self.backend.state
        if tenant is not None:
            state = AcmeState({tenant: state.accounts[tenant]})
        return Codec().write_fields(state)

    def prepare_restore(self, data: Mapping[str, Any], version: int) -> Callable[[], None]:
        restored: AcmeState = Codec().read(Reader(data, "$.acme"), AcmeState)

        def swap() -> None:
            self.backend.state = restored

        return swap


# --- the test ----------------------------------------------------------------------------


@pytest.fixture
async def acme() -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(
        Settings(validate_responses=True),
        clock=ManualClock(START),
        providers=(*PROVIDERS, AcmeProvider),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield app, client
    assert not app.state.mock.failures, [str(f) for f in app.state.mock.failures]


async def test_a_third_provider_is_served_and_listed(
    acme: tuple[Starlette, httpx.AsyncClient],
) -> None:
    _, client = acme
    health = (await client.get("/_mock/health")).json()
    assert health["providers"] == ["bird", "vobiz", "acme"]
    assert health["specs"]["acme"] == "/_mock/specs/acme.json"
    served = (await client.get("/_mock/specs/acme.json")).json()
    assert served["servers"] == [{"url": "http://mock"}]
    assert (await client.get(WIDGETS)).json() == {"oops": "send X-Acme-Key"}
    control = (await client.get("/_mock/specs/control.json")).json()["components"]["schemas"]
    assert control["ProviderName"]["enum"] == ["bird", "vobiz", "acme"]
    assert any(
        r["properties"]["provider"]["enum"] == ["acme"] for r in control["RuleInput"]["oneOf"]
    )


async def test_the_control_plane_steers_it_unchanged(
    acme: tuple[Starlette, httpx.AsyncClient],
) -> None:
    app, client = acme
    bought = await client.post(WIDGETS, json={"colour": "red"}, headers=KEY)
    assert bought.status_code == 201
    assert bought.json()["status"] == "ordered"
    taken = (await client.get("/_mock/state", params={"secrets": "true"})).json()
    assert [a["name"] for a in taken["acme"]["accounts"]] == ["widgetco"]

    # The clock moves its lifecycles: delivery falls due ten seconds on.
    await client.post("/_mock/clock/advance", json={"seconds": 10})
    [widget] = (await client.get(WIDGETS, headers=KEY)).json()["widgets"]
    assert widget["status"] == "delivered"

    # The journal records it under its name and tenant.
    entries = (await client.get("/_mock/journal", params={"provider": "acme"})).json()["entries"]
    assert {(e["operationId"], e["tenant"]) for e in entries} == {
        ("listAcmeWidgets", "widgetco"),
        ("buyAcmeWidget", "widgetco"),
    }

    # Outcome rules declared in its spec (x-mock-rules) are accepted and applied.
    rule = {"provider": "acme", "on": "delivery", "outcome": "lost", "account": "widgetco"}
    assert (await client.post("/_mock/rules", json=rule)).status_code == 201
    lost = await client.post(WIDGETS, json={"colour": "blue"}, headers=KEY)
    assert lost.json()["status"] == "lost"

    # Wallets: listed and set; a buy it cannot pay is its own 402.
    [wallet] = (await client.get("/_mock/wallets", params={"provider": "acme"})).json()["wallets"]
    assert (wallet["tenant"], wallet["balance"]) == ("widgetco", "5.00")
    put = await client.put("/_mock/wallets/acme/widgetco/USD", json={"balance": "1.00"})
    assert put.status_code == 200
    poor = await client.post(WIDGETS, json={"colour": "red"}, headers=KEY)
    assert poor.status_code == 402
    assert "insufficient funds" in poor.json()["oops"]

    # Faults hit it in its own dialect.
    fault = {"provider": "acme", "status": 503, "message": "down for a moment"}
    assert (await client.post("/_mock/faults", json=fault)).status_code == 201
    down = await client.get(WIDGETS, headers=KEY)
    assert (down.status_code, down.json()) == (503, {"oops": "down for a moment"})
    await client.delete("/_mock/faults")

    # A one-tenant dump, and a restore of the dump taken after the first buy.
    mine = await client.get("/_mock/state", params={"provider": "acme", "tenant": "widgetco"})
    assert len(mine.json()["acme"]["accounts"][0]["widgets"]) == 2  # the 402 bought nothing
    assert (await client.put("/_mock/state", json=taken)).status_code == 200
    [again] = (await client.get(WIDGETS, headers=KEY)).json()["widgets"]
    assert again["status"] == "ordered"

    # A tenant reset forgets the account; a full reset forgets everything.
    reset = {"provider": "acme", "tenant": "widgetco"}
    assert (await client.post("/_mock/reset", json=reset)).status_code == 200
    assert app.state.mock.providers[2].backend.state.accounts == {}
    await client.post(WIDGETS, json={"colour": "red"}, headers=KEY)
    assert (await client.post("/_mock/reset")).status_code == 200
    assert app.state.mock.providers[2].backend.state.accounts == {}
