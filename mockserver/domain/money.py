"""Money as an integer amount scaled by a power of ten, as Bird's `Money` schema has it.

`Money(3500000, -6, "EUR")` is 3.50 EUR. Arithmetic keeps integers (no float rounding), so a
wallet ledger balances to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount: int
    exponent: int
    currency: str

    @classmethod
    def parse(cls, text: str | int | float, currency: str, exponent: int) -> Money:
        """Parse a decimal amount ("3.50") at the given precision; rejects finer amounts."""
        try:
            value = Decimal(str(text))
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a decimal amount") from None
        scaled = value.scaleb(-exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{text!r} has more precision than 10^{exponent} {currency}")
        return cls(int(scaled), exponent, currency)

    @classmethod
    def zero(cls, currency: str, exponent: int) -> Money:
        return cls(0, exponent, currency)

    def at_exponent(self, exponent: int) -> Money:
        if exponent > self.exponent:
            raise ValueError("converting to a coarser exponent would lose precision")
        return Money(self.amount * 10 ** (self.exponent - exponent), exponent, self.currency)

    def as_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(self.exponent)

    def __add__(self, other: Money) -> Money:
        a, b = self._aligned(other)
        return Money(a.amount + b.amount, a.exponent, a.currency)

    def __sub__(self, other: Money) -> Money:
        a, b = self._aligned(other)
        return Money(a.amount - b.amount, a.exponent, a.currency)

    def __lt__(self, other: Money) -> bool:
        a, b = self._aligned(other)
        return a.amount < b.amount

    def __le__(self, other: Money) -> bool:
        a, b = self._aligned(other)
        return a.amount <= b.amount

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.as_decimal():f} {self.currency}"

    def _aligned(self, other: Money) -> tuple[Money, Money]:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
        if other.exponent == self.exponent:
            return self, other
        exponent = min(self.exponent, other.exponent)
        return self.at_exponent(exponent), other.at_exponent(exponent)


def total(amounts: list[Money], currency: str, exponent: int) -> Money:
    result = Money.zero(currency, exponent)
    for amount in amounts:
        result = result + amount
    return result
