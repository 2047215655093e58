from bisect import bisect_left

import pytest
from hypothesis import given, strategies as st

from mockserver.domain import sortedlist
from mockserver.domain.sortedlist import SortedStrings

NUMBERS = st.text(alphabet="+0123", min_size=1, max_size=5)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 so that splits and empty blocks happen within small examples."""
    monkeypatch.setattr(sortedlist, "BLOCK", 4)


@given(
    start=st.sets(NUMBERS, max_size=40),
    moves=st.lists(st.tuples(st.booleans(), NUMBERS), max_size=60),
    low=NUMBERS,
    high=NUMBERS,
    after=st.none() | NUMBERS,
)
def test_behaves_like_a_sorted_list(
    start: set[str], moves: list[tuple[bool, str]], low: str, high: str, after: str | None
) -> None:
    blocks, model = SortedStrings(start), sorted(start)
    for adding, value in moves:
        if adding and value not in model:
            blocks.add(value)
            model.insert(bisect_left(model, value), value)
        elif not adding and value in model:
            blocks.remove(value)
            model.remove(value)
    assert list(blocks) == model
    assert len(blocks) == len(model)
    expected = [v for v in model if low <= v < high and (after is None or v > after)]
    assert list(blocks.between(low, high, after)) == expected
    assert blocks.first(low, high, after, 3) == expected[:3]
    assert blocks.count(low, high) == len([v for v in model if low <= v < high])
    below = [v for v in model if low <= v < high and (after is None or v < after)]
    assert list(blocks.descending(low, high, after)) == below[::-1]


def test_removing_what_is_not_there_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        SortedStrings(["+1", "+2"]).remove("+3")
    with pytest.raises(KeyError):
        SortedStrings().remove("+1")
