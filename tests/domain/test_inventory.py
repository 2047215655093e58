from dataclasses import dataclass

import pytest
from hypothesis import given, strategies as st

from mockserver.domain.inventory import Inventory


@dataclass(frozen=True)
class Item:
    id: str
    country: str
    number: str


def stock(numbers: list[tuple[str, str]]) -> Inventory[Item]:
    return Inventory(Item(f"id{n}", c, n) for c, n in numbers)


def test_scan_filters_by_country_and_prefix_in_number_order() -> None:
    inv = stock(
        [
            ("US", "+12125550101"),
            ("US", "+14155550100"),
            ("US", "+12125550100"),
            ("NL", "+31201234567"),
        ]
    )
    found, more = inv.scan([("US", "+1212")], lambda _: True, limit=10)
    assert [i.number for i in found] == ["+12125550100", "+12125550101"]
    assert not more


def test_taken_items_leave_the_search_and_come_back() -> None:
    inv = stock([("US", "+1"), ("US", "+2")])
    inv.take("id+1")
    assert not inv.is_available("id+1")
    assert [i.id for i in inv.scan([("US", "+")], lambda _: True, 5)[0]] == ["id+2"]
    with pytest.raises(KeyError):
        inv.take("id+1")
    inv.give_back("id+1")
    assert [i.id for i in inv.scan([("US", "+")], lambda _: True, 5)[0]] == ["id+1", "id+2"]


def test_duplicate_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        stock([("US", "+1"), ("US", "+1")])


@given(
    numbers=st.sets(st.text(alphabet="0123", min_size=1, max_size=4), max_size=40),
    taken=st.sets(st.text(alphabet="0123", min_size=1, max_size=4), max_size=10),
    limit=st.integers(min_value=1, max_value=6),
    prefix=st.sampled_from(["+", "+1", "+12", "+3"]),
)
def test_paging_backwards_from_the_end_visits_each_accepted_item_once(
    numbers: set[str], taken: set[str], limit: int, prefix: str
) -> None:
    """scan_before walks a country's stock from its end (a page before a cursor); taken
    items, other prefixes and refused items are skipped, and each page is in number order."""
    inv = Inventory(
        (Item(f"id+{n}", "US", "+" + n) for n in numbers), bucket=lambda item: item.number[1]
    )
    for n in taken & numbers:
        inv.take(f"id+{n}")
    accept = lambda item: not item.number.endswith("3")  # noqa: E731
    seen: list[Item] = []
    before = None
    while True:
        found, more = inv.scan_before("US", prefix, accept, limit, before)
        assert found == sorted(found, key=lambda i: i.number)
        seen[:0] = found
        if not more:
            break
        before = found[0].number
    expected = sorted(
        (
            Item(f"id+{n}", "US", "+" + n)
            for n in numbers - taken
            if ("+" + n).startswith(prefix) and not n.endswith("3")
        ),
        key=lambda i: i.number,
    )
    assert seen == expected


@given(
    numbers=st.sets(st.text(alphabet="0123", min_size=1, max_size=4), max_size=40),
    limit=st.integers(min_value=1, max_value=6),
)
def test_paging_with_a_cursor_visits_each_accepted_item_once(numbers: set[str], limit: int) -> None:
    inv = stock([("US" if n[0] in "01" else "NL", "+" + n) for n in numbers])
    ranges = [("US", "+"), ("NL", "+")]
    accept = lambda item: not item.number.endswith("3")  # noqa: E731
    seen: list[Item] = []
    after = None
    while True:
        found, more = inv.scan(ranges, accept, limit, after)
        seen.extend(found)
        if not more:
            break
        after = (found[-1].country, found[-1].number)
    expected = sorted(
        (
            i
            for i in (Item(f"id+{n}", "US" if n[0] in "01" else "NL", "+" + n) for n in numbers)
            if accept(i)
        ),
        key=lambda i: (i.country, i.number),
    )
    assert seen == expected


@given(
    st.sets(st.integers(0, 39), max_size=40),
    st.sets(st.integers(0, 39), max_size=40),
)
def test_reset_to_gives_the_stock_a_fresh_one_with_those_taken_would_have(
    taken_before: set[int], wanted: set[int]
) -> None:
    numbers = [("US" if i % 3 else "NL", f"+{1000 + i}") for i in range(40)]
    inv = stock(numbers)
    for i in sorted(taken_before):
        inv.take(f"id+{1000 + i}")
    inv.reset_to(f"id+{1000 + i}" for i in wanted)
    fresh = stock(numbers)
    for i in sorted(wanted):
        fresh.take(f"id+{1000 + i}")
    assert (
        inv.unavailable_ids() == fresh.unavailable_ids() == sorted(f"id+{1000 + i}" for i in wanted)
    )
    assert len(inv) == len(fresh)
    everything = [("NL", "+"), ("US", "+")]
    assert inv.scan(everything, lambda _: True, 50) == fresh.scan(everything, lambda _: True, 50)


def test_reset_to_refuses_what_the_stock_never_had() -> None:
    inv = stock([("US", "+1")])
    with pytest.raises(KeyError, match="nothing"):
        inv.reset_to(["nothing"])
    assert inv.is_available("id+1")


@given(
    numbers=st.sets(st.text(alphabet="0129", min_size=1, max_size=5), max_size=60),
    taken=st.sets(st.integers(0, 59), max_size=20),
    prefix=st.text(alphabet="0129", max_size=3),
)
def test_count_is_the_number_of_available_items_with_the_prefix(
    numbers: set[str], taken: set[int], prefix: str
) -> None:
    ordered = sorted(numbers)
    inv = stock([("US" if n[0] in "01" else "NL", "+" + n) for n in ordered])
    for index in sorted(taken):
        if index < len(ordered):
            inv.take(f"id+{ordered[index]}")
    ranges = [("US", "+" + prefix), ("NL", "+" + prefix)]
    expected = len(inv.scan(ranges, lambda _: True, limit=len(ordered) + 1)[0])
    assert inv.count(ranges) == expected
