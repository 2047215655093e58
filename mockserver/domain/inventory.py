"""A finite stock of phone numbers, indexed for keyset search.

Available items sit in buckets: one per country and per whatever else the owner groups
them by (Bird: number type, capabilities and the testing flag; Vobiz: region), each a
sorted list of numbers (in blocks: selling one number moves one block, not the stock). A
search picks the buckets its filters allow, bisects to the number prefix and the page
cursor, and merges the buckets in number order, so it touches about one page of items
whatever the size of the stock.

Every item stays known (`get`, `by_number`) whether in stock or not; what left the stock is
the set of taken ids, so putting the stock back as seeded, or as a dump lists it, costs
what changed, not the size of the stock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from heapq import merge
from typing import Generic, Protocol, TypeVar

from mockserver.domain.sortedlist import SortedStrings


class Stocked(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def country(self) -> str: ...

    @property
    def number(self) -> str: ...


T = TypeVar("T", bound=Stocked)
Cursor = tuple[str, str]  # (country, number) of the last item returned


def _one_bucket(item: object) -> Hashable:
    return ()


def _every_bucket(key: Hashable) -> bool:
    return True


class Inventory(Generic[T]):
    __slots__ = ("_bucket_of", "_buckets", "_by_number", "_items", "_keys", "_taken")

    def __init__(self, items: Iterable[T], bucket: Callable[[T], Hashable] = _one_bucket) -> None:
        self._bucket_of = bucket
        self._items: dict[str, T] = {}
        self._by_number: dict[str, T] = {}
        self._buckets: dict[tuple[str, Hashable], SortedStrings] = {}
        self._keys: dict[str, list[Hashable]] = {}  # bucket keys per country
        self._taken: set[str] = set()  # ids out of stock (sold, ordered)
        grouped: dict[tuple[str, Hashable], list[str]] = {}
        for item in items:
            if item.id in self._items or item.number in self._by_number:
                raise ValueError(f"duplicate stock item {item.id} / {item.number}")
            self._items[item.id] = item
            self._by_number[item.number] = item
            key = self._bucket_of(item)
            if (item.country, key) not in grouped:
                grouped[(item.country, key)] = []
                self._keys.setdefault(item.country, []).append(key)
            grouped[(item.country, key)].append(item.number)
        self._buckets = {bucket: SortedStrings(numbers) for bucket, numbers in grouped.items()}

    def __len__(self) -> int:
        return len(self._items) - len(self._taken)

    def get(self, item_id: str) -> T | None:
        """Any item that was ever in this stock, available or not."""
        return self._items.get(item_id)

    def by_number(self, number: str) -> T | None:
        return self._by_number.get(number)

    def is_available(self, item_id: str) -> bool:
        return item_id in self._items and item_id not in self._taken

    def take(self, item_id: str) -> T:
        """Remove an available item from stock (sold, ordered)."""
        item = self._items[item_id]
        if item_id in self._taken:
            raise KeyError(f"stock item {item_id} is not available")
        self._numbers(item).remove(item.number)
        self._taken.add(item_id)
        return item

    def give_back(self, item_id: str) -> None:
        """Return an item to stock (a refund, a deprovisioned number)."""
        item = self._items[item_id]
        if item_id in self._taken:
            self._numbers(item).add(item.number)
            self._taken.discard(item_id)

    def unavailable_ids(self) -> list[str]:
        """The items out of stock (sold, ordered), by id: with the seed, all a state dump
        needs to rebuild this inventory."""
        return sorted(self._taken)

    def reset_to(self, unavailable: Iterable[str]) -> None:
        """Exactly these items out of stock, every other one in (a restore; nothing taken:
        the stock as seeded). Costs the items that change, not the stock's size."""
        wanted = set(unavailable)
        # Not `wanted - self._items.keys()`: a set minus a dict view walks the whole view.
        unknown = [item_id for item_id in wanted if item_id not in self._items]
        if unknown:
            raise KeyError(f"not in this stock: {', '.join(sorted(unknown)[:3])}")
        for item_id in self._taken - wanted:
            self.give_back(item_id)
        for item_id in sorted(wanted - self._taken):
            self.take(item_id)

    def countries(self) -> list[str]:
        return sorted(self._keys)

    def scan(
        self,
        ranges: Sequence[tuple[str, str]],
        accept: Callable[[T], bool],
        limit: int,
        after: Cursor | None = None,
        buckets: Callable[[Hashable], bool] = _every_bucket,
    ) -> tuple[list[T], bool]:
        """Up to `limit` available items in (country, number) order, and whether more follow.

        `ranges` lists (country, E.164 prefix) pairs ("+" for the whole country);
        `buckets` says which bucket keys can hold a match; `accept` checks what is left
        (for Bird, holds by other tenants).
        """
        found: list[T] = []
        for country, prefix in sorted(ranges):
            if after is not None and country < after[0]:
                continue
            resume = after[1] if after is not None and country == after[0] else None
            spans = [
                _span(self._buckets[(country, key)], prefix, resume)
                for key in self._keys.get(country, ())
                if buckets(key)
            ]
            for number in _merged(spans, limit + 1 - len(found)):
                item = self._by_number[number]
                if accept(item):
                    if len(found) == limit:
                        return found, True
                    found.append(item)
        return found, False

    def count(
        self,
        ranges: Sequence[tuple[str, str]],
        buckets: Callable[[Hashable], bool] = _every_bucket,
    ) -> int:
        """How many available items lie in these (country, E.164 prefix) ranges, by
        bisection of each bucket: the size of the stock never matters. Overlapping ranges
        count their items twice."""
        return sum(
            self._buckets[(country, key)].count(*_bounds(prefix))
            for country, prefix in ranges
            for key in self._keys.get(country, ())
            if buckets(key)
        )

    def scan_before(
        self,
        country: str,
        prefix: str,
        accept: Callable[[T], bool],
        limit: int,
        before: str | None,
        buckets: Callable[[Hashable], bool] = _every_bucket,
    ) -> tuple[list[T], bool]:
        """The last `limit` available items of one country whose number starts with
        `prefix` and sorts before `before`, in number order, and whether more precede them:
        `scan` backwards, for a page that ends before a cursor."""
        low, high = prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
        descending = [
            self._buckets[(country, key)].descending(low, high, before)
            for key in self._keys.get(country, ())
            if buckets(key)
        ]
        found: list[T] = []
        for number in merge(*descending, reverse=True):
            item = self._by_number[number]
            if accept(item):
                if len(found) == limit:
                    return found[::-1], True
                found.append(item)
        return found[::-1], False

    def _numbers(self, item: T) -> SortedStrings:
        key = self._bucket_of(item)
        numbers = self._buckets.get((item.country, key))
        if numbers is None:
            numbers = self._buckets[(item.country, key)] = SortedStrings()
            self._keys.setdefault(item.country, []).append(key)
        return numbers


_Span = tuple[SortedStrings, str, str, "str | None"]


def _span(numbers: SortedStrings, prefix: str, resume: str | None) -> _Span:
    """The numbers of one bucket that start with `prefix` and follow `resume`: the
    half-open range [prefix, prefix's successor) of the sorted bucket."""
    return numbers, *_bounds(prefix), resume


def _bounds(prefix: str) -> tuple[str, str]:
    """[prefix, prefix's successor): every string that starts with `prefix`."""
    # Numbers are "+" and digits, so the prefix range ends before prefix[:-1] + next char.
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _merged(spans: list[_Span], wanted: int) -> Iterator[str]:
    """The spans' numbers in order. The first `wanted` (+ a margin for items the caller
    skips) come from sorting each bucket's head, which beats a lazy merge for a page;
    should the caller want more, the rest follow from a lazy merge."""
    head = wanted + 8
    heads = [numbers.first(low, high, after, head) for numbers, low, high, after in spans]
    taken = sorted(n for part in heads for n in part)[:head]
    yield from taken
    if not taken or all(len(part) < head for part in heads):
        return
    last = taken[-1]
    yield from merge(*(numbers.between(low, high, last) for numbers, low, high, _ in spans))
