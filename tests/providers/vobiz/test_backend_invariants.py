"""A Hypothesis state machine over the Vobiz backend: whatever the sequence of orders,
cancellations, verifications, confirmations, failure rules and clock jumps,

- every balance is its opening balance - debits + credits, to the unit, never negative;
- a phone number is ordered, verified or being verified by at most one account;
- a call that fails changes nothing (a wrong code counts an attempt: that is its job).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mockserver import ManualClock, Settings, create_app
from mockserver.domain.rules import Rule
from mockserver.errors import MockError
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.backend import VobizBackend
from mockserver.providers.vobiz.orders import OrderRequest

ACCOUNTS = [VobizPrincipal(f"MA_MACHINE{i}", f"machine_token_{i}", bearer=False) for i in range(3)]
PHONES = ["+14155550101", "+14155550102", "+919812345678"]
REGIONS = ["MH", "KA"]


class VobizMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        app = create_app(Settings(seed=5), clock=self.clock)
        self.vobiz: VobizBackend = app.state.mock.providers[1].backend
        # Unknown keys become tenants at authentication, before any operation runs: admit
        # them up front so the fingerprint compares the operation alone.
        for account in ACCOUNTS:
            self.vobiz.account(account)
        self.orders: list[tuple[VobizPrincipal, str]] = []
        self.numbers: list[str] = []

    @rule(
        account=st.sampled_from(ACCOUNTS),
        region=st.sampled_from(REGIONS),
        currency=st.sampled_from(["INR", "USD"]),
        preferred=st.booleans(),
        data=st.data(),
    )
    def order(
        self,
        account: VobizPrincipal,
        region: str,
        currency: str,
        preferred: bool,
        data: st.DataObject,
    ) -> None:
        wanted = data.draw(st.sampled_from(self.numbers)) if preferred and self.numbers else None
        request = OrderRequest("IN", region, "local", currency, wanted)
        order = self.attempt(lambda: self.vobiz.orders.create(account, request))
        if order is not None:
            self.orders.append((account, order.id))
            self.numbers.append(order.number.number)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if self.orders:
            account, order_id = data.draw(st.sampled_from(self.orders))
            self.attempt(lambda: self.vobiz.orders.cancel(account, order_id))

    @rule(account=st.sampled_from(ACCOUNTS), data=st.data())
    def verify(self, account: VobizPrincipal, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(PHONES + self.numbers[:3]))
        self.attempt(lambda: self.vobiz.byon.verify(account, phone, "sms"))

    @rule(account=st.sampled_from(ACCOUNTS), right=st.booleans(), data=st.data())
    def confirm(self, account: VobizPrincipal, right: bool, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from(PHONES))
        verification = self.vobiz.state.accounts.get(account.auth_id)
        sent = verification.verifications.get(phone) if verification else None
        code = sent.code if sent is not None and right else "0000"
        self.attempt(lambda: self.vobiz.byon.confirm(account, phone, code), may_change=not right)

    @rule(after=st.integers(0, 60))
    def failure_rule(self, after: int) -> None:
        self.vobiz.state.rules.add(
            Rule(f"f{after}", "order", "failed", 1, None, {"afterSeconds": after})
        )

    @rule(seconds=st.sampled_from([1, 10, 31, 120, 601, 3601]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.vobiz.settle()

    def attempt(self, operation: Any, may_change: bool = False) -> Any:
        self.vobiz.settle()
        before = self.fingerprint()
        try:
            return operation()
        except MockError:
            if not may_change:
                assert self.fingerprint() == before, "a failed call changed state"
            return None

    def fingerprint(self) -> Any:
        state = self.vobiz.state
        return (
            len(state.inventory),
            sorted((p, c.account_id, c.until) for p, c in state.claims.items()),
            sorted(
                (
                    a.auth_id,
                    cur,
                    w.balance.amount,
                    len(w.entries),
                    tuple(a.orders),
                    tuple(
                        (v.phone_number, v.code, v.attempts, v.verified_at)
                        for v in a.verifications.values()
                    ),
                )
                for a in state.accounts.values()
                for cur, w in a.wallets.items()
            ),
        )

    @invariant()
    def balances_balance_to_the_unit(self) -> None:
        for account in self.vobiz.state.accounts.values():
            for wallet in account.wallets.values():
                moved = sum(
                    e.amount.amount * (-1 if e.kind == "debit" else 1) for e in wallet.entries
                )
                assert wallet.balance.amount == wallet.opening_balance.amount + moved
                assert wallet.balance.amount >= 0

    @invariant()
    def a_number_has_one_holder(self) -> None:
        now = self.clock.now()
        holders: dict[str, set[str]] = {}
        for account in self.vobiz.state.accounts.values():
            for order in account.orders.values():
                if order.status(now) in ("pending", "completed"):
                    holders.setdefault(order.number.number, set()).add(account.auth_id)
            for verification in account.verifications.values():
                if verification.status(now) in ("pending", "verified", "locked"):
                    holders.setdefault(verification.phone_number, set()).add(account.auth_id)
        assert all(len(accounts) == 1 for accounts in holders.values()), holders


VobizMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
TestVobizMachine = VobizMachine.TestCase
