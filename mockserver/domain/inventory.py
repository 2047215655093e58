"""A finite stock of phone numbers, indexed for keyset search.

Items sit on shelves: one per country and per whatever else the owner groups them by (Bird:
number type, capabilities and the testing flag; Vobiz: region), each the sorted numbers it
was stocked with. Listed items are stored (a shelf is a sorted list); a computed stock
(seeded_stock.py) brings shelves that compute their numbers, and a catalog that makes an
item from its id or number, so that its size costs nothing until an item is touched. A
search picks the shelves its filters allow, bisects to the number prefix and the page
cursor, and merges them in number order, so it touches about one page of items whatever
the size of the stock.

Shelves never change: what left the stock (sold, ordered) is an overlay of taken items,
skipped as a search walks past them, so putting the stock back as seeded, or as a dump
lists it, costs what changed, not the size of the stock.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from heapq import merge
from typing import Generic, Protocol, TypeVar

from mockserver.domain.sortedlist import SortedStrings

T_co = TypeVar("T_co", covariant=True)


class Stocked(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def country(self) -> str: ...

    @property
    def number(self) -> str: ...


class Shelf(Protocol):
    """One bucket's numbers in stock, in order: those it was stocked with, less those the
    inventory removed (a computed shelf keeps them as runs of ranks, a listed one drops
    them from its sorted list), so a walk never steps over what was sold."""

    def count(self, low: str, high: str) -> int: ...

    def remove(self, number: str) -> None: ...

    def add(self, number: str) -> None: ...

    def between(self, low: str, high: str, after: str | None = None) -> Iterator[str]: ...

    def descending(self, low: str, high: str, before: str | None = None) -> Iterator[str]: ...


T = TypeVar("T", bound=Stocked)
Cursor = tuple[str, str]  # (country, number) of the last item returned


class Catalog(Protocol[T_co]):
    """Items computed rather than stored (seeded_stock.Catalog): found by id or by number."""

    def __len__(self) -> int: ...

    def get(self, item_id: str) -> T_co | None: ...

    def by_number(self, number: str) -> T_co | None: ...


def _one_bucket(item: object) -> Hashable:
    return ()


def _every_bucket(key: Hashable) -> bool:
    return True


class Inventory(Generic[T]):
    """The listed items (stored) and, optionally, a computed catalog with its shelves by
    (country, bucket key); what is out of stock is an overlay of taken items."""

    __slots__ = (
        "_bucket_of",
        "_by_number",
        "_computed",
        "_computed_shelves",
        "_hidden",
        "_items",
        "_listed_shelves",
        "_shelves",
        "_size",
        "_taken",
    )

    def __init__(
        self,
        items: Iterable[T],
        bucket: Callable[[T], Hashable] = _one_bucket,
        computed: Catalog[T] | None = None,
        shelves: Iterable[tuple[str, Hashable, Shelf]] = (),
    ) -> None:
        self._bucket_of = bucket
        self._computed = computed
        self._items: dict[str, T] = {}
        self._by_number: dict[str, T] = {}
        self._shelves: dict[str, list[tuple[Hashable, Shelf]]] = {}  # by country
        self._listed_shelves: dict[tuple[str, Hashable], SortedStrings] = {}
        # By country: an item's bucket need not be its computed shelf's key (a Bird shelf's
        # key names the features its items may have), so the shelf is the one that holds it.
        self._computed_shelves: dict[str, list[Shelf]] = {}
        self._taken: dict[str, T] = {}  # out of stock (sold, ordered), by id
        self._hidden: set[str] = set()  # computed items a listed one stands in for
        grouped: dict[tuple[str, Hashable], list[str]] = {}
        for item in items:
            if item.id in self._items or item.number in self._by_number:
                raise ValueError(f"duplicate stock item {item.id} / {item.number}")
            self._items[item.id] = item
            self._by_number[item.number] = item
            grouped.setdefault((item.country, self._bucket_of(item)), []).append(item.number)
            if computed is not None and computed.by_number(item.number) is not None:
                self._hidden.add(item.number)
        for (country, key), numbers in grouped.items():
            listed = self._listed_shelves[(country, key)] = SortedStrings(numbers)
            self._shelves.setdefault(country, []).append((key, listed))
        for country, key, shelf in shelves:
            self._shelves.setdefault(country, []).append((key, shelf))
            self._computed_shelves.setdefault(country, []).append(shelf)
        for number in self._hidden:  # never walked nor counted: the listed item is
            shadowed = computed.by_number(number) if computed is not None else None
            if shadowed is not None:
                self._shelve(self._shelves_of(shadowed), number, back=False)
        computed_size = 0 if computed is None else len(computed) - len(self._hidden)
        self._size = len(self._items) + computed_size

    def __len__(self) -> int:
        return self._size - len(self._taken)

    def get(self, item_id: str) -> T | None:
        """Any item that was ever in this stock, available or not."""
        item = self._items.get(item_id)
        if item is None and self._computed is not None:
            item = self._computed.get(item_id)
            if item is not None and item.number in self._hidden:
                return None
        return item

    def by_number(self, number: str) -> T | None:
        item = self._by_number.get(number)
        if item is None and self._computed is not None and number not in self._hidden:
            item = self._computed.by_number(number)
        return item

    def is_available(self, item_id: str) -> bool:
        return item_id not in self._taken and self.get(item_id) is not None

    def take(self, item_id: str) -> T:
        """Remove an available item from stock (sold, ordered)."""
        item = self.get(item_id)
        if item is None:
            raise KeyError(f"no stock item {item_id}")
        if item_id in self._taken:
            raise KeyError(f"stock item {item_id} is not available")
        self._shelve(self._shelves_of(item), item.number, back=False)
        self._taken[item_id] = item
        return item

    def give_back(self, item_id: str) -> None:
        """Return an item to stock (a refund, a deprovisioned number)."""
        item = self._taken.pop(item_id, None)
        if item is not None:
            self._shelve(self._shelves_of(item), item.number, back=True)

    def _shelves_of(self, item: T) -> Sequence[Shelf]:
        if item.id in self._items:
            return [self._listed_shelves[(item.country, self._bucket_of(item))]]
        return self._computed_shelves.get(item.country, ())

    @staticmethod
    def _shelve(shelves: Iterable[Shelf], number: str, *, back: bool) -> None:
        """Off (or `back` on) the one of these shelves that holds the number."""
        for shelf in shelves:
            try:
                if back:
                    shelf.add(number)
                else:
                    shelf.remove(number)
            except KeyError:
                continue
            return
        raise KeyError(f"no shelf holds {number}")

    def unavailable_ids(self) -> list[str]:
        """The items out of stock (sold, ordered), by id: with the seed, all a state dump
        needs to rebuild this inventory."""
        return sorted(self._taken)

    def reset_to(self, unavailable: Iterable[str]) -> None:
        """Exactly these items out of stock, every other one in (a restore; nothing taken:
        the stock as seeded). Costs the items that change, not the stock's size."""
        wanted = set(unavailable)
        unknown = [item_id for item_id in wanted if self.get(item_id) is None]
        if unknown:
            raise KeyError(f"not in this stock: {', '.join(sorted(unknown)[:3])}")
        for item_id in set(self._taken) - wanted:
            self.give_back(item_id)
        for item_id in sorted(wanted - self._taken.keys()):
            self.take(item_id)

    def countries(self) -> list[str]:
        return sorted(self._shelves)

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
            low, high = _bounds(prefix)
            walks = [
                shelf.between(low, high, resume)
                for key, shelf in self._shelves.get(country, ())
                if buckets(key)
            ]
            for item in self._available(_merged(walks)):
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
        """How many available items lie in these (country, E.164 prefix) ranges: each
        shelf counts what it holds by bisection. Overlapping ranges count their items
        twice."""
        total = 0
        for country, prefix in ranges:
            low, high = _bounds(prefix)
            for key, shelf in self._shelves.get(country, ()):
                if buckets(key):
                    total += shelf.count(low, high)
        return total

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
        low, high = _bounds(prefix)
        descending = [
            shelf.descending(low, high, before)
            for key, shelf in self._shelves.get(country, ())
            if buckets(key)
        ]
        found: list[T] = []
        for item in self._available(merge(*descending, reverse=True)):
            if accept(item):
                if len(found) == limit:
                    return found[::-1], True
                found.append(item)
        return found[::-1], False

    def _available(self, numbers: Iterable[str]) -> Iterator[T]:
        """The items of these numbers, in order (shelves hold only what is in stock)."""
        listed, computed = self._by_number.get, self._computed
        for number in numbers:
            item = listed(number)
            if item is None and computed is not None:
                item = computed.by_number(number)
            if item is not None:
                yield item


def _bounds(prefix: str) -> tuple[str, str]:
    """[prefix, prefix's successor): every string that starts with `prefix`."""
    # Numbers are "+" and digits, so the prefix range ends before prefix[:-1] + next char.
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _merged(walks: list[Iterator[str]]) -> Iterator[str]:
    """The shelves' walks in number order, merged lazily: a page computes about a page of
    numbers (and one more per shelf), however many the shelves hold."""
    if len(walks) == 1:
        return walks[0]
    return merge(*walks)
