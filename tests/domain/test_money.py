from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from mockserver.domain.money import Money, total


def test_parse_scales_to_the_exponent() -> None:
    assert Money.parse("3.50", "EUR", -6) == Money(3_500_000, -6, "EUR")
    assert Money.parse("250", "INR", -2).as_decimal() == Decimal("250.00")


@pytest.mark.parametrize("text", ["1.001", "abc", "1e-9"])
def test_parse_rejects_what_the_precision_cannot_hold(text: str) -> None:
    with pytest.raises(ValueError, match="precision|decimal"):
        Money.parse(text, "INR", -2)


def test_arithmetic_aligns_exponents_without_rounding() -> None:
    assert Money(1, -2, "EUR") + Money(5, -6, "EUR") == Money(10_005, -6, "EUR")
    assert Money(1, -2, "EUR") - Money(10_000, -6, "EUR") == Money(0, -6, "EUR")
    assert Money(9, -6, "EUR") < Money(1, -5, "EUR")


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(ValueError, match="EUR with USD"):
        _ = Money(1, -2, "EUR") + Money(1, -2, "USD")


@given(st.lists(st.integers(min_value=0, max_value=10**12), max_size=30))
def test_total_is_the_exact_sum(amounts: list[int]) -> None:
    assert total([Money(a, -6, "EUR") for a in amounts], "EUR", -6).amount == sum(amounts)
