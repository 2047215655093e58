"""A Hypothesis state machine over the Bird backend: whatever sequence of searches,
reservations, purchases, cancellations, rules and clock jumps, the invariants hold.

- Every wallet balances to the unit: opening - debits + credits, never below zero.
- A stock item is held by at most one live number, and never both held and in stock.
- An operation that fails changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockserver import ManualClock, Settings, create_app
from mockserver.domain.rules import Rule
from mockserver.errors import MockError
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.auth import BirdPrincipal
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.bird.stock import StockQuery

TENANTS = [BirdPrincipal("AccessKey", f"machine_tenant_{i}_key") for i in range(3)]
USER = BirdPrincipal("Bearer", "a.b.c")
WORKSPACES = ["55555555-5555-4555-8555-55555555555" + str(i) for i in range(2)]
ORG = "66666666-6666-4666-8666-666666666666"


class BirdMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        app = create_app(Settings(seed=3), clock=self.clock)
        self.bird: BirdBackend = app.state.mock.providers[0].backend
        self.seen_items: list[str] = []
        self.bought: list[tuple[BirdPrincipal, str, str]] = []  # principal, workspace, number

    # --- moves ------------------------------------------------------------------------

    @rule(
        tenant=st.sampled_from(TENANTS),
        country=st.sampled_from(["US", "NL", "IN"]),
        limit=st.integers(1, 12),
    )
    def search(self, tenant: BirdPrincipal, country: str, limit: int) -> None:
        page = self.bird.stock.search(tenant, ORG, StockQuery(countries=(country,), limit=limit))
        self.seen_items.extend(item.id for item in page.items)

    @precondition(lambda self: self.seen_items)
    @rule(
        data=st.data(),
        tenant=st.sampled_from([*TENANTS, USER]),
        workspace=st.sampled_from(WORKSPACES),
    )
    def reserve(self, data: st.DataObject, tenant: BirdPrincipal, workspace: str) -> None:
        item = data.draw(st.sampled_from(self.seen_items))
        self.attempt(lambda: self.bird.stock.reserve(tenant, workspace, item))

    @precondition(lambda self: self.seen_items)
    @rule(data=st.data(), tenant=st.sampled_from(TENANTS), workspace=st.sampled_from(WORKSPACES))
    def release(self, data: st.DataObject, tenant: BirdPrincipal, workspace: str) -> None:
        item = data.draw(st.sampled_from(self.seen_items))
        self.attempt(lambda: self.bird.stock.release(tenant, workspace, item))

    @precondition(lambda self: self.seen_items)
    @rule(
        data=st.data(),
        tenant=st.sampled_from([*TENANTS, USER]),
        workspace=st.sampled_from(WORKSPACES),
    )
    def buy(self, data: st.DataObject, tenant: BirdPrincipal, workspace: str) -> None:
        items = data.draw(
            st.lists(st.sampled_from(self.seen_items), min_size=1, max_size=6, unique=True)
        )
        numbers = self.attempt(lambda: self.bird.stock.buy(tenant, workspace, items))
        for number in numbers or []:
            self.bought.append((tenant, workspace, number.id))

    @precondition(lambda self: self.bought)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        tenant, workspace, number_id = data.draw(st.sampled_from(self.bought))
        self.attempt(lambda: self.bird.subscriptions.cancel(tenant, workspace, number_id, "main"))

    @rule(outcome=st.sampled_from(["rejected", "cancelled"]), after=st.integers(0, 20))
    def order_rule(self, outcome: str, after: int) -> None:
        self.bird.state.rules.add(
            Rule(f"r{after}", "order", outcome, 1, None, {"afterSeconds": after})
        )

    @rule(seconds=st.sampled_from([1, 3, 5, 30, 600, 86_400 * 31]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.bird.settle()

    def attempt(self, operation: Any) -> Any:
        """Run an operation; if it fails, nothing may have changed."""
        self.bird.settle()  # effects due now are not the operation's doing
        before = self.fingerprint()
        try:
            return operation()
        except MockError:
            assert self.fingerprint() == before, "a failed operation changed state"
            return None

    # --- invariants ----------------------------------------------------------------------

    def fingerprint(self) -> Any:
        state = self.bird.state
        return (
            sorted(item for item in self.seen_items if state.inventory.is_available(item)),
            sorted((k, (r.holder, r.expires_at, r.ended)) for k, r in state.reservations.items()),
            # Ad-hoc workspaces exist from the start, each with its opening wallet; whether
            # one has been looked at yet (materialized) is not state.
            sorted(
                (name, ws_id, ws.wallet.balance.amount, len(ws.wallet.entries), tuple(ws.numbers))
                for name, tenant in state.tenants.items()
                for ws_id, ws in tenant.workspaces.items()
                if ws.wallet.entries or ws.numbers
            ),
        )

    @invariant()
    def wallets_balance_to_the_unit(self) -> None:
        for tenant in self.bird.state.tenants.values():
            for workspace in tenant.workspaces.values():
                wallet = workspace.wallet
                moved = sum(
                    e.amount.amount * (-1 if e.kind == "debit" else 1) for e in wallet.entries
                )
                assert wallet.balance.amount == wallet.opening_balance.amount + moved
                assert wallet.balance.amount >= 0

    @invariant()
    def an_item_is_held_once_and_then_not_in_stock(self) -> None:
        now = self.clock.now()
        holders: dict[str, int] = {}
        for tenant in self.bird.state.tenants.values():
            for workspace in tenant.workspaces.values():
                for number in workspace.numbers.values():
                    live = lifecycles.provisioning_status(number, now) != "deprovisioned"
                    if live:
                        holders[number.item.id] = holders.get(number.item.id, 0) + 1
        assert all(count == 1 for count in holders.values())
        for item_id in holders:
            assert not self.bird.state.inventory.is_available(item_id)


BirdMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
TestBirdMachine = BirdMachine.TestCase
