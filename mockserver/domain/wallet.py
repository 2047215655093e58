"""A prepaid wallet with a ledger: every debit and credit is recorded, so
balance == opening balance - debits + credits, to the unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from mockserver.domain.money import Money
from mockserver.errors import InsufficientFunds


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    at: datetime
    kind: Literal["debit", "credit"]
    amount: Money
    balance_after: Money
    reference: str
    description: str
    # What the entry is for, in the provider's words (Vobiz's transactions show it as
    # `reference_type`: did_rental, refund, ...); empty in entries of older dumps.
    reference_type: str = ""


@dataclass(slots=True)
class Wallet:
    opening_balance: Money
    balance: Money = field(init=False)
    entries: list[LedgerEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.balance = self.opening_balance

    @property
    def currency(self) -> str:
        return self.balance.currency

    def ensure_can_pay(self, amount: Money) -> None:
        """Raise InsufficientFunds (changing nothing) unless the wallet covers `amount`."""
        if self.balance < amount:
            raise InsufficientFunds(required=amount, available=self.balance)

    def debit(
        self,
        amount: Money,
        *,
        at: datetime,
        reference: str,
        description: str,
        reference_type: str = "",
    ) -> None:
        self.ensure_can_pay(amount)
        self.balance = self.balance - amount
        self.entries.append(
            LedgerEntry(at, "debit", amount, self.balance, reference, description, reference_type)
        )

    def credit(
        self,
        amount: Money,
        *,
        at: datetime,
        reference: str,
        description: str,
        reference_type: str = "",
    ) -> None:
        self.balance = self.balance + amount
        self.entries.append(
            LedgerEntry(at, "credit", amount, self.balance, reference, description, reference_type)
        )

    def adjust_to(self, balance: Money, *, at: datetime, reference: str) -> None:
        """Set the balance, booking the difference as a manual adjustment so the ledger
        still adds up (the control plane's "set balance")."""
        difference = balance - self.balance
        description = f"Adjustment to {balance}"
        kind = "manual_adjustment"
        if difference.is_negative():
            amount = self.balance - balance
            self.debit(
                amount, at=at, reference=reference, description=description, reference_type=kind
            )
        elif difference.amount:
            self.credit(
                difference, at=at, reference=reference, description=description, reference_type=kind
            )
