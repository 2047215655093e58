"""A finite stock of phone numbers, indexed for keyset search.

Available items are kept per country in a list sorted by E.164 number, so a search with a
country and a number prefix starts with a bisect and stops at the first number past the
prefix: the cost grows with the page size, not the stock size.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar


class Stocked(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def country(self) -> str: ...

    @property
    def number(self) -> str: ...


T = TypeVar("T", bound=Stocked)
Cursor = tuple[str, str]  # (country, number) of the last item returned


class Inventory(Generic[T]):
    __slots__ = ("_available", "_by_country", "_by_number", "_items")

    def __init__(self, items: Iterable[T]) -> None:
        self._items: dict[str, T] = {}
        self._by_number: dict[str, T] = {}
        self._by_country: dict[str, list[str]] = {}
        self._available: set[str] = set()
        for item in items:
            if item.id in self._items or item.number in self._by_number:
                raise ValueError(f"duplicate stock item {item.id} / {item.number}")
            self._items[item.id] = item
            self._by_number[item.number] = item
            self._by_country.setdefault(item.country, []).append(item.number)
            self._available.add(item.id)
        for numbers in self._by_country.values():
            numbers.sort()

    def __len__(self) -> int:
        return len(self._available)

    def get(self, item_id: str) -> T | None:
        """Any item that was ever in this stock, available or not."""
        return self._items.get(item_id)

    def by_number(self, number: str) -> T | None:
        return self._by_number.get(number)

    def is_available(self, item_id: str) -> bool:
        return item_id in self._available

    def take(self, item_id: str) -> T:
        """Remove an available item from stock (sold, ordered)."""
        item = self._items[item_id]
        if item_id not in self._available:
            raise KeyError(f"stock item {item_id} is not available")
        numbers = self._by_country[item.country]
        del numbers[bisect_left(numbers, item.number)]
        self._available.discard(item_id)
        return item

    def give_back(self, item_id: str) -> None:
        """Return an item to stock (a refund, a deprovisioned number)."""
        item = self._items[item_id]
        if item_id in self._available:
            return
        insort(self._by_country.setdefault(item.country, []), item.number)
        self._available.add(item_id)

    def countries(self) -> list[str]:
        return sorted(self._by_country)

    def scan(
        self,
        ranges: Sequence[tuple[str, str]],
        accept: Callable[[T], bool],
        limit: int,
        after: Cursor | None = None,
    ) -> tuple[list[T], bool]:
        """Up to `limit` available items in (country, number) order, and whether more follow.

        `ranges` lists (country, E.164 prefix) pairs; "+" as the prefix means the whole
        country. `accept` filters the rest (type, features, holds by other tenants).
        """
        found: list[T] = []
        for country, prefix in sorted(ranges):
            if after is not None and country < after[0]:
                continue
            numbers = self._by_country.get(country, [])
            start = bisect_left(numbers, prefix)
            if after is not None and country == after[0]:
                start = max(start, bisect_right(numbers, after[1]))
            for index in range(start, len(numbers)):
                number = numbers[index]
                if not number.startswith(prefix):
                    break
                item = self._by_number[number]
                if accept(item):
                    if len(found) == limit:
                        return found, True
                    found.append(item)
        return found, False
