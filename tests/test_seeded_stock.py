"""The stock computed from the seed (mockserver/seeded_stock.py): every walk, count,
bisection and lookup agrees with the plain sorted list of the numbers it stocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from hypothesis import given, settings, strategies as st

from mockserver.domain.inventory import Inventory
from mockserver.numbering import Digits
from mockserver.seeded_stock import Block, Catalog, Gone, Ids, Keyed, Shelf, allot

KEYED = Keyed(b"a seed")

# Blocks as a numbering plan has them: prefixes of one length, prefixes that nest (their
# numbers interleave in order: NL's 0800 has 4- and 7-digit numbers), and a run of N.
PLANS = [
    [("+1205", "NXX"), ("+1206", "NXX"), ("+1212", "NXX")],
    [("+31800", "XX"), ("+31800", "XXXX")],
    [("+44", "XX"), ("+441", "XXX"), ("+4413", "XXX")],
    [("+61", "N")],
]


def shelf(plan: list[tuple[str, str]], count: int, keyed: Keyed = KEYED) -> Shelf:
    sizes = [Digits.of(pattern).size for _, pattern in plan]
    blocks, offset = [], 0
    for index, ((head, pattern), share) in enumerate(
        zip(plan, allot(count, sizes, keyed, "test"), strict=True)
    ):
        blocks.append(Block(head, Digits.of(pattern), share, offset, f"test:{index}"))
        offset += share
    return Shelf(blocks, keyed)


def everything(stocked: Shelf) -> list[str]:
    return list(stocked.between("+", "+\x7f"))


@st.composite
def shelves(draw: st.DrawFn) -> tuple[Shelf, list[str]]:
    plan = draw(st.sampled_from(PLANS))
    capacity = sum(Digits.of(pattern).size for _, pattern in plan)
    stocked = shelf(plan, draw(st.integers(0, min(capacity, 300))))
    return stocked, everything(stocked)


def bounds(numbers: list[str]) -> st.SearchStrategy[str]:
    """Bounds a search uses: stocked numbers, prefixes of them and their successors, and
    strings no number has."""
    made = [n[:cut] for n in numbers[:20] for cut in (2, 4, 5, 6)]
    successors = [p[:-1] + chr(ord(p[-1]) + 1) for p in made]
    return st.sampled_from([*numbers[:20], *made, *successors, "+", "+0", "+9", "+\x7f"])


def test_a_pattern_numbers_its_strings_in_order() -> None:
    digits = Digits.of("N1X")
    strings = [digits.at(i) for i in range(digits.size)]
    assert strings == sorted(strings)
    assert len(set(strings)) == digits.size == 80
    assert strings[:2] == ["210", "211"]
    assert [digits.index(s) for s in strings] == list(range(80))
    assert digits.index("110") is None
    assert digits.index("21") is None
    for bound in ["", "2", "21", "215", "2150", "3", "0", "99", "21\x00", "22"]:
        assert digits.below(bound) == sum(1 for s in strings if s < bound)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), stocked=shelves())
def test_walks_and_counts_agree_with_the_sorted_numbers(
    data: st.DataObject, stocked: tuple[Shelf, list[str]]
) -> None:
    shelf_, numbers = stocked
    assert numbers == sorted(set(numbers))
    assert len(numbers) == shelf_.size
    low, high = data.draw(bounds(numbers)), data.draw(bounds(numbers))
    inside = [n for n in numbers if low <= n < high]
    assert list(shelf_.between(low, high)) == inside
    assert list(shelf_.descending(low, high)) == inside[::-1]
    assert shelf_.count(low, high) == len(inside)
    if numbers:
        cursor = data.draw(st.sampled_from(numbers))
        assert list(shelf_.between(low, high, cursor)) == [n for n in inside if n > cursor]
        assert list(shelf_.descending(low, high, cursor)) == [n for n in inside if n < cursor][::-1]


@settings(max_examples=30, deadline=None)
@given(stocked=shelves())
def test_every_rank_reads_back_to_its_number(stocked: tuple[Shelf, list[str]]) -> None:
    shelf_, numbers = stocked
    assert sorted(shelf_.at(rank) or "" for rank in range(shelf_.size)) == numbers
    ranks = {}
    for rank in range(shelf_.size):
        number = shelf_.at(rank)
        assert number is not None
        assert shelf_.rank(number) == rank  # remembered from at()
        ranks[number] = rank
    shelf_._ranks.clear()  # found afresh, as for a number never shown
    assert {number: shelf_.rank(number) for number in ranks} == ranks
    assert shelf_.at(shelf_.size) is None
    assert shelf_.at(-1) is None
    assert shelf_.rank("+12050000000") is None


def test_the_same_key_stocks_the_same_numbers_and_another_key_others() -> None:
    plan = PLANS[0]
    assert everything(shelf(plan, 50)) == everything(shelf(plan, 50))
    assert everything(shelf(plan, 50)) != everything(shelf(plan, 50, Keyed(b"another seed")))


def test_a_full_plan_stocks_every_number_and_each_prefix_gets_an_equal_share() -> None:
    assert everything(shelf([("+61", "N")], 8)) == [f"+61{d}" for d in range(2, 10)]
    assert sorted(allot(10, [100, 300, 600], KEYED, "x")) == [3, 3, 4]
    assert allot(10, [2, 300, 600], KEYED, "x") == [2, 4, 4]
    assert allot(9, [2, 0, 7], KEYED, "x") == [2, 0, 7]
    assert sum(allot(3, [9] * 20, KEYED, "x")) == 3
    shares = allot(7, [5, 5, 5], KEYED, "x")
    assert sum(shares) == 7
    assert all(2 <= s <= 3 for s in shares)


def test_ranges_that_make_the_same_number_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        shelf([("+44", "XX"), ("+441", "X")], 5)


@given(shelf_no=st.integers(0, 2**16 - 1), rank=st.integers(0, 2**40 - 1))
def test_an_id_reads_back_to_its_place(shelf_no: int, rank: int) -> None:
    ids = Ids(KEYED)
    item_id = ids.write(shelf_no, rank)
    assert uuid.UUID(item_id).version == 4
    assert str(uuid.UUID(item_id)) == item_id
    assert ids.read(item_id) == (shelf_no, rank)
    assert Ids(Keyed(b"another seed")).read(item_id) is None


def test_ids_of_neighbours_look_unrelated_and_made_up_ones_read_as_nothing() -> None:
    ids = Ids(KEYED)
    first, second = ids.write(0, 0), ids.write(0, 1)
    assert first[:8] != second[:8]
    assert ids.read(str(uuid.UUID(int=0, version=4))) is None
    for made_up in ["", "not-a-uuid", first.upper(), first[:-1] + "x", str(uuid.uuid4())]:
        assert ids.read(made_up) is None


@dataclass(frozen=True)
class Item:
    id: str
    country: str
    number: str


def test_an_inventory_over_a_catalog_takes_gives_back_and_lets_a_listed_item_stand_in() -> None:
    """Computed and listed items on one inventory: a listed number the shelf also computes
    is given once, as the listed item (the computed one is not in this stock at all)."""
    whole = shelf(PLANS[0], 40)
    catalog = Catalog([whole], Ids(KEYED), lambda _, item_id, number: Item(item_id, "US", number))
    numbers = everything(whole)
    listed = [Item("listed-1", "US", numbers[3]), Item("listed-2", "US", "+12125550100")]
    inventory = Inventory(listed, computed=catalog, shelves=[("US", (), whole)])
    assert len(inventory) == 40 + 1
    page, more = inventory.scan([("US", "+")], lambda _: True, 50)
    assert not more
    assert [i.number for i in page] == sorted([*numbers, "+12125550100"])
    assert page[3] == listed[0]
    shadowed = catalog.by_number(numbers[3])
    assert shadowed is not None
    assert inventory.get(shadowed.id) is None
    assert inventory.by_number(numbers[3]) == listed[0]
    first = page[0]
    assert inventory.get(first.id) == first
    inventory.take(first.id)
    assert not inventory.is_available(first.id)
    assert inventory.scan([("US", "+")], lambda _: True, 1)[0] == [page[1]]
    assert inventory.count([("US", "+1205")]) == sum(
        1 for n in numbers[1:] if n.startswith("+1205")
    )
    inventory.reset_to([])
    assert inventory.scan([("US", "+")], lambda _: True, 1)[0] == [first]
    with pytest.raises(KeyError):
        inventory.reset_to(["not-an-id"])


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=80))
def test_gone_keeps_runs_that_agree_with_a_set_of_ranks(steps: list[tuple[bool, int]]) -> None:
    gone, model = Gone(), set[int]()
    for out, rank in steps:
        if out and rank not in model:
            gone.add(rank)
            model.add(rank)
        elif not out:
            gone.discard(rank)
            model.discard(rank)
    assert len(gone) == len(model)
    for rank in range(-1, 43):
        assert gone.next_in(rank) == next(r for r in range(rank, 100) if r not in model)
        assert gone.previous_in(rank) == next(r for r in range(rank, -2, -1) if r not in model)
        assert gone.within(0, rank) == sum(1 for r in model if r < rank)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), stocked=shelves())
def test_a_shelf_walks_and_counts_without_what_was_removed(
    data: st.DataObject, stocked: tuple[Shelf, list[str]]
) -> None:
    shelf_, numbers = stocked
    removed = set(data.draw(st.lists(st.sampled_from(numbers), max_size=30))) if numbers else set()
    for number in removed:
        shelf_.remove(number)
    left = [n for n in numbers if n not in removed]
    assert everything(shelf_) == left
    assert list(shelf_.descending("+", "+\x7f")) == left[::-1]
    assert shelf_.count("+", "+\x7f") == len(left)
    with pytest.raises(KeyError):
        shelf_.remove("+0")
    for number in removed:
        shelf_.add(number)
    assert everything(shelf_) == numbers


def test_a_stock_sold_from_its_first_number_on_is_one_run() -> None:
    whole = shelf(PLANS[0], 600)
    numbers = everything(whole)
    for number in numbers[:500]:
        whole.remove(number)
    assert list(whole.between("+", "+\x7f"))[:1] == [numbers[500]]
    # The plan's prefixes sort in their own order here, so ranks follow numbers: one run.
    assert (whole._gone.next_in(0), len(whole._gone), whole._gone.within(0, 600)) == (500, 500, 500)


def test_a_walk_passes_blocks_sold_out_from_its_start_and_finds_the_rest() -> None:
    whole = shelf(PLANS[0], 600)
    numbers = everything(whole)
    assert len(whole._groups) == 3  # 200 numbers each: the first two sell out
    for number in numbers[:450]:
        whole.remove(number)
    assert list(whole.between("+", "+\x7f")) == numbers[450:]
    # From inside a sold-out block, and with a cursor on a sold number.
    assert list(whole.between(numbers[100], "+\x7f")) == numbers[450:]
    assert list(whole.between("+", "+\x7f", numbers[200])) == numbers[450:]
    whole.add(numbers[10])  # back in stock, in a block otherwise sold out
    assert list(whole.between("+", "+\x7f"))[:2] == [numbers[10], numbers[450]]
