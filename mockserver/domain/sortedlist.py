"""A sorted list of unique strings kept in blocks, so that adding or removing one entry
moves at most one block of references instead of half of a 100,000-number stock."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator

BLOCK = 512


class SortedStrings:
    __slots__ = ("_blocks", "_maxes", "_size")

    def __init__(self, values: Iterable[str] = ()) -> None:
        ordered = sorted(values)
        self._blocks = [ordered[i : i + BLOCK] for i in range(0, len(ordered), BLOCK)]
        self._maxes = [block[-1] for block in self._blocks]
        self._size = len(ordered)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[str]:
        for block in self._blocks:
            yield from block

    def add(self, value: str) -> None:
        if not self._blocks:
            self._blocks.append([value])
            self._maxes.append(value)
        else:
            index = min(bisect_left(self._maxes, value), len(self._blocks) - 1)
            block = self._blocks[index]
            insort(block, value)
            self._maxes[index] = block[-1]
            if len(block) > 2 * BLOCK:
                self._blocks[index : index + 1] = [block[:BLOCK], block[BLOCK:]]
                self._maxes[index : index + 1] = [block[BLOCK - 1], block[-1]]
        self._size += 1

    def remove(self, value: str) -> None:
        index = bisect_left(self._maxes, value)
        block = self._blocks[index] if index < len(self._blocks) else []
        position = bisect_left(block, value)
        if position == len(block) or block[position] != value:
            raise KeyError(value)
        del block[position]
        if block:
            self._maxes[index] = block[-1]
        else:
            del self._blocks[index], self._maxes[index]
        self._size -= 1

    def count(self, low: str, high: str) -> int:
        """How many entries e have low <= e < high, by bisection (no entry is visited)."""
        return max(0, self._rank(high) - self._rank(low))

    def _rank(self, value: str) -> int:
        """How many entries are below `value`."""
        index = bisect_left(self._maxes, value)
        before = sum(len(block) for block in self._blocks[:index])
        if index < len(self._blocks):
            before += bisect_left(self._blocks[index], value)
        return before

    def between(self, low: str, high: str, after: str | None = None) -> Iterator[str]:
        """Entries e with low <= e < high and, if `after` is given, e > after, in order."""
        if after is not None and after >= low:
            index = bisect_right(self._maxes, after)
            position = bisect_right(self._blocks[index], after) if index < len(self._maxes) else 0
        else:
            index = bisect_left(self._maxes, low)
            position = bisect_left(self._blocks[index], low) if index < len(self._maxes) else 0
        while index < len(self._blocks):
            block = self._blocks[index]
            for offset in range(position, len(block)):
                value = block[offset]
                if value >= high:
                    return
                yield value
            index += 1
            position = 0

    def descending(self, low: str, high: str, before: str | None = None) -> Iterator[str]:
        """Entries e with low <= e < high and, if `before` is given, e < before, from the
        largest down (a page that ends before a cursor)."""
        top = high if before is None else min(high, before)
        index = bisect_left(self._maxes, top)  # the first block holding an entry >= top
        if index == len(self._blocks):
            if not self._blocks:
                return
            index -= 1
            position = len(self._blocks[index]) - 1
        else:
            position = bisect_left(self._blocks[index], top) - 1
        while index >= 0:
            block = self._blocks[index]
            for offset in range(position, -1, -1):
                value = block[offset]
                if value < low:
                    return
                yield value
            index -= 1
            position = len(self._blocks[index]) - 1 if index >= 0 else -1

    def first(self, low: str, high: str, after: str | None, count: int) -> list[str]:
        """The first `count` entries of `between(low, high, after)`."""
        found: list[str] = []
        if count <= 0:
            return found
        for value in self.between(low, high, after):
            found.append(value)
            if len(found) == count:
                break
        return found
