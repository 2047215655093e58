"""Vobiz's backend: accounts and their balances, and the use cases by resource (orders.py:
WhatsApp availability and orders; byon.py: OTP verification; channels.py: channels;
numbers.py: the account API's inventory, purchases, releases and routing; ledger.py: its
transactions).

Handlers run one at a time on the event loop, so a use case is never interleaved with
another.
"""

from __future__ import annotations

import copy
from datetime import datetime

from mockserver.clock import Clock
from mockserver.domain.wallet import Wallet
from mockserver.errors import Unauthenticated
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.byon import Byon
from mockserver.providers.vobiz.channels import Channels
from mockserver.providers.vobiz.errors import AccountMismatch, BalanceNotFound
from mockserver.providers.vobiz.ledger import Ledger
from mockserver.providers.vobiz.models import Account, Due, VobizState
from mockserver.providers.vobiz.numbers import Numbers
from mockserver.providers.vobiz.orders import Orders
from mockserver.providers.vobiz.seed import AccountSetup, VobizConfig, ad_hoc_setup, new_account
from mockserver.rng import Rng


class VobizBackend:
    """Every use case starts with `settle()`, which applies the side effects that fell due
    (a failed order's refund) and returns the clock's now: statuses themselves are
    computed from timestamps."""

    def __init__(self, config: VobizConfig, state: VobizState, clock: Clock, rng: Rng) -> None:
        self.config = config
        self.state = state
        self.clock = clock
        self.ids = rng.stream("vobiz.ids")
        self.codes = rng.stream("vobiz.otp-codes")
        # The use cases, by resource (orders.py, byon.py, channels.py).
        self.orders = Orders(self)
        self.byon = Byon(self)
        self.channels = Channels(self)
        self.numbers = Numbers(self)
        self.ledger = Ledger(self)
        # The scenario's accounts as seeded, for resetting one of them.
        self._pristine = {
            auth_id: copy.deepcopy(account)
            for auth_id, account in state.accounts.items()
            if not account.ad_hoc
        }

    def settle(self) -> datetime:
        """Apply every side effect that fell due by the clock's now, in due order; return now."""
        now = self.clock.now()
        for at, due in self.state.schedule.due(now):
            if due.kind == "order-ended":
                self._order_ended(at, due)
            elif due.kind == "number-returned":
                self._number_returned(at, due)
        return now

    def _number_returned(self, at: datetime, due: Due) -> None:
        """A released number's quarantine is over: it is in inventory again, no one's."""
        account = self.state.accounts.get(due.account_id)
        number = None if account is None else account.numbers.get(due.subject_id)
        if account is None or number is None or number.returns_at != at:
            return  # the release was cancelled meanwhile
        del account.numbers[due.subject_id]
        self.state.inventory.give_back(number.number.id)
        claim = self.state.claims.get(number.e164)
        if claim is not None and claim.account_id == account.auth_id:
            del self.state.claims[number.e164]

    def _order_ended(self, at: datetime, due: Due) -> None:
        """A failed or cancelled order: refunded, its number back in stock and free."""
        account = self.state.accounts.get(due.account_id)
        order = None if account is None else account.orders.get(due.subject_id)
        if account is None or order is None or order.ended_at != at:
            return  # it ended otherwise meanwhile (cancelled before the failure fell due)
        account.wallets[order.currency].credit(
            order.setup_cost + order.monthly_cost,
            at=at,
            reference=order.id,
            description=f"Refund: order for {order.number.number} {order.ended_status}",
            reference_type="refund",
        )
        self.state.inventory.give_back(order.number.id)
        claim = self.state.claims.get(order.number.number)
        if claim is not None and claim.account_id == account.auth_id:
            del self.state.claims[order.number.number]

    def reset_account(self, auth_id: str) -> bool:
        """Back to the scenario as loaded for this account; an ad-hoc account is forgotten
        (with its credential). Its ordered and bought numbers return to stock (released ones
        too: their quarantine is the account's), its claims end, its pending effects and
        rules are dropped; other accounts are untouched."""
        now = self.settle()
        account = self.state.accounts.get(auth_id)
        if account is None:
            return False
        for order in account.orders.values():
            if order.status(now) in ("pending", "completed"):  # else refunded and restocked
                self.state.inventory.give_back(order.number.id)
        for bought in account.numbers.values():
            self.state.inventory.give_back(bought.number.id)
        for number, claim in list(self.state.claims.items()):
            if claim.account_id == auth_id:
                del self.state.claims[number]
        self.state.schedule.discard(lambda due: due.account_id == auth_id)
        self.state.rules.drop_scope(auth_id)
        self.state.forget_sent_codes(auth_id)
        pristine = self._pristine.get(auth_id)
        if pristine is None:
            del self.state.accounts[auth_id]
            for bindings in (self.state.tokens, self.state.bearers):
                for credential, bound in list(bindings.items()):
                    if bound == auth_id:
                        del bindings[credential]
        else:
            self.state.accounts[auth_id] = copy.deepcopy(pristine)
        return True

    def account(self, principal: VobizPrincipal) -> Account:
        """The caller's account. A credential no account lists opens a new ad-hoc account,
        bound to it, unless that auth id is taken or the scenario disables ad-hoc accounts."""
        bindings = self.state.bearers if principal.bearer else self.state.tokens
        bound = bindings.get(principal.credential)
        if bound is not None and (principal.bearer or bound == principal.auth_id):
            return self.state.accounts[bound]
        if (
            bound is not None
            or principal.auth_id in self.state.accounts
            or not self.config.ad_hoc_accounts
        ):
            raise Unauthenticated("Invalid or missing authentication credentials")
        account = new_account(
            principal.auth_id, self.config.ad_hoc_balances, self.ids, self.clock.now(), ad_hoc=True
        )
        self.state.accounts[principal.auth_id] = account
        bindings[principal.credential] = principal.auth_id
        return account

    def account_at(self, principal: VobizPrincipal, auth_id: str) -> Account:
        """The caller's account, which the path's authId must name (documented: it "Must
        match your X-Auth-ID header"; another account's is 403)."""
        account = self.account(principal)
        if auth_id != account.auth_id:
            raise AccountMismatch("Access denied: account ID mismatch")
        return account

    def setup_of(self, auth_id: str) -> AccountSetup:
        """What the scenario says of the account (trunks, applications, limits, fees)."""
        return self.config.accounts.get(auth_id) or ad_hoc_setup(auth_id)

    def balance(
        self, principal: VobizPrincipal, auth_id: str, currency: str
    ) -> tuple[Account, Wallet]:
        self.settle()
        account = self.account_at(principal, auth_id)
        wallet = account.wallets.get(currency)
        if wallet is None:
            raise BalanceNotFound("Balance", currency, f"The account holds no {currency} balance")
        return account, wallet
