import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, strategies as st

from mockserver.domain.money import Money
from mockserver.domain.wallet import Wallet
from mockserver.errors import InsufficientFunds

AT = datetime(2026, 1, 1, tzinfo=UTC)


def eur(amount: int) -> Money:
    return Money(amount, -6, "EUR")


def test_a_debit_the_wallet_cannot_cover_changes_nothing() -> None:
    wallet = Wallet(eur(100))
    with pytest.raises(InsufficientFunds) as raised:
        wallet.debit(eur(101), at=AT, reference="n1", description="x")
    assert raised.value.required == eur(101)
    assert raised.value.available == eur(100)
    assert wallet.balance == eur(100)
    assert wallet.entries == []


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=500)), max_size=40))
def test_balance_is_opening_minus_debits_plus_credits(moves: list[tuple[bool, int]]) -> None:
    wallet = Wallet(eur(1_000))
    for is_debit, amount in moves:
        if is_debit:
            with contextlib.suppress(InsufficientFunds):
                wallet.debit(eur(amount), at=AT, reference="r", description="d")
        else:
            wallet.credit(eur(amount), at=AT, reference="r", description="c")
    debits = sum(e.amount.amount for e in wallet.entries if e.kind == "debit")
    credits = sum(e.amount.amount for e in wallet.entries if e.kind == "credit")
    assert wallet.balance.amount == 1_000 - debits + credits
    assert not wallet.balance.is_negative()
    if wallet.entries:
        assert wallet.entries[-1].balance_after == wallet.balance
