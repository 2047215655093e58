"""A Hypothesis state machine over the Vobiz backend, both its APIs: whatever the sequence
of WhatsApp orders, cancellations, verifications, confirmations, purchases from inventory,
releases (immediate or not) and their cancellations, trunk routing, drained wallets,
failure, payment and refund rules and clock jumps,

- every balance is its opening balance - debits + credits, to the unit, never negative;
- a phone number has at most one holder across the three ways of getting one (ordered,
  bought from inventory until it is back in stock, verified or being verified), and a
  stock number is out of stock exactly while someone holds it;
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
from mockserver.providers.vobiz.numbers import InventoryQuery
from mockserver.providers.vobiz.orders import OrderRequest
from mockserver.providers.vobiz.seed import money

ACCOUNTS = [VobizPrincipal(f"MA_MACHINE{i}", f"machine_token_{i}", bearer=False) for i in range(3)]
PHONES = ["+14155550101", "+14155550102", "+919812345678"]
REGIONS = ["MH", "KA"]
TRUNK = "e3e55a78-1234-5678-90ab-cdef12345678"


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

    @rule(
        account=st.sampled_from(ACCOUNTS), currency=st.sampled_from(["INR", "USD"]), data=st.data()
    )
    def purchase(self, account: VobizPrincipal, currency: str, data: st.DataObject) -> None:
        """A number for sale, or one someone ordered or bought (refused: not in inventory)."""
        query = InventoryQuery("IN", None, (), 1, 3)
        for_sale = [
            n.number for n in self.vobiz.numbers.inventory(account, account.auth_id, query).items
        ]
        number = data.draw(st.sampled_from(for_sale + self.numbers[-3:]))
        bought = self.attempt(
            lambda: self.vobiz.numbers.purchase(account, account.auth_id, number, currency)
        )
        if bought is not None:
            self.numbers.append(number)

    def pick(self, data: st.DataObject) -> tuple[VobizPrincipal, str] | None:
        """A number some call made (ordered or bought), and mostly the account holding it
        (else any account: refused, which must change nothing)."""
        if not self.numbers:
            return None
        number = data.draw(st.sampled_from(self.numbers))
        holder = self.vobiz.state.claimant(number, self.clock.now())
        mine = [a for a in ACCOUNTS if a.auth_id == holder]
        return data.draw(st.sampled_from(mine * 4 + ACCOUNTS)), number

    @rule(immediate=st.booleans(), data=st.data())
    def release(self, immediate: bool, data: st.DataObject) -> None:
        if picked := self.pick(data):
            account, number = picked
            self.attempt(
                lambda: self.vobiz.numbers.release(account, account.auth_id, number, immediate)
            )

    @rule(data=st.data())
    def cancel_release(self, data: st.DataObject) -> None:
        if picked := self.pick(data):
            account, number = picked
            self.attempt(
                lambda: self.vobiz.numbers.cancel_release(account, account.auth_id, number)
            )

    @rule(assign=st.booleans(), data=st.data())
    def route(self, assign: bool, data: st.DataObject) -> None:
        if picked := self.pick(data):
            account, number = picked
            numbers, auth_id = self.vobiz.numbers, account.auth_id
            if assign:
                self.attempt(lambda: numbers.assign_trunk(account, auth_id, number, TRUNK))
            else:
                self.attempt(lambda: numbers.unassign_trunk(account, auth_id, number))

    @rule(account=st.sampled_from(ACCOUNTS), left=st.sampled_from(["0", "749.99", "1450"]))
    def drain(self, account: VobizPrincipal, left: str) -> None:
        """The control plane sets the INR balance (booked as an adjustment)."""
        wallet = self.vobiz.state.accounts[account.auth_id].wallets["INR"]
        wallet.adjust_to(money(left, "INR"), at=self.clock.now(), reference="control:drain")

    @rule(on=st.sampled_from(["payment", "refund"]))
    def money_rule(self, on: str) -> None:
        outcome = "declined" if on == "payment" else "failed"
        self.vobiz.state.rules.add(Rule(f"{on}-rule", on, outcome, 1, None, {}))

    @rule(after=st.integers(0, 60))
    def failure_rule(self, after: int) -> None:
        self.vobiz.state.rules.add(
            Rule(f"f{after}", "order", "failed", 1, None, {"afterSeconds": after})
        )

    @rule(seconds=st.sampled_from([1, 10, 31, 120, 601, 3601, 86400, 45 * 86400]))
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
                    tuple(
                        (n.e164, n.released_at, n.returns_at, n.trunk_group_id)
                        for n in a.numbers.values()
                    ),
                    tuple(c.phone_number for c in a.channels.values()),
                )
                for a in state.accounts.values()
                for cur, w in a.wallets.items()
            ),
            len(state.schedule),
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
        self.vobiz.settle()
        now = self.clock.now()
        state = self.vobiz.state
        holders: dict[str, list[str]] = {}
        for account in state.accounts.values():
            for order in account.orders.values():
                if order.status(now) in ("pending", "completed"):
                    holders.setdefault(order.number.number, []).append(account.auth_id)
            for number in account.numbers.values():  # bought, until back in stock
                holders.setdefault(number.e164, []).append(account.auth_id)
            for verification in account.verifications.values():
                if verification.status(now) in ("pending", "verified", "locked"):
                    holders.setdefault(verification.phone_number, []).append(account.auth_id)
        assert all(len(accounts) == 1 for accounts in holders.values()), holders
        for number in self.numbers:  # stock numbers: out of stock exactly while held
            item = state.inventory.by_number(number)
            assert item is not None
            assert state.inventory.is_available(item.id) == (number not in holders), number
            if number in holders:
                assert state.claimant(number, now) == holders[number][0], number


VobizMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
TestVobizMachine = VobizMachine.TestCase
