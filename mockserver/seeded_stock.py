"""A stock that is a function of the seed: any item, and any page in number order, is
computed when asked for, so a stock of 10,000,000 numbers costs what a page costs.

A shelf holds the numbers of one country and number type. Its numbering plan's ranges
(numbering.py) split into blocks, one per prefix: the strings a block's pattern makes are
numbered in order (`Digits`), the shelf's count is shared out equally over the blocks (as
far as each has numbers), and a block of n numbers out of M cuts its M places into n equal
strata and stocks one place of each, chosen by a keyed hash of the stratum. So the k-th
number of a block is computed from k alone, in order, and a number's rank from the number
alone: a page, a bisection to a prefix or a cursor, and a lookup by number cost O(page).

Ids are the item's place (shelf, rank), enciphered with the seed's key and tagged, written
as a version-4 UUID: they look like any other, and an id reads back to its item (or to
nothing: the tag of a made-up id does not check) without any table.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from heapq import merge
from itertools import chain
from typing import Any, Generic, TypeVar

from mockserver.numbering import Digits, NumberRange

T = TypeVar("T")

_RANK_BITS = 40  # ranks within one shelf: up to 10^12 numbers
_PLACE_BITS = 56  # shelf number (16 bits) and rank
_HALF = _PLACE_BITS // 2
_HALF_MASK = (1 << _HALF) - 1
_TAG_BITS = 122 - _PLACE_BITS  # a UUID v4 has 122 free bits
_NO_RUN = float("inf")  # where the next run of gone ranks starts when none follows
_CACHED = 16_384  # numbers a shelf keeps computed, items a catalog keeps made


class Keyed:
    """Keyed hashing (BLAKE2b) for one seed and purpose: the same parts, the same value."""

    __slots__ = ("_hashers", "_key")

    def __init__(self, key: bytes) -> None:
        self._key = key[:64]
        # Keyed hashers by digest size: copying one skips hashing the key again.
        self._hashers: dict[int, Any] = {}

    def bits(self, size: int, *parts: object) -> int:
        """`size` (<= 512) bits determined by the key and the parts."""
        return self.text_bits(size, "\x1f".join(map(str, parts)))

    def text_bits(self, size: int, text: str) -> int:
        """`bits` of parts already joined (the hot path: a block's salt and a rank)."""
        length = (size + 7) // 8
        hasher = self._hashers.get(length)
        if hasher is None:
            hasher = self._hashers[length] = hashlib.blake2b(key=self._key, digest_size=length)
        copy = hasher.copy()
        copy.update(text.encode())
        return int.from_bytes(copy.digest(), "big") >> (-size % 8)

    def unit(self, *parts: object) -> float:
        """A number in [0, 1), uniform over the parts."""
        return self.bits(53, *parts) / (1 << 53)

    def uuid(self, *parts: object) -> str:
        """A version-4 UUID determined by the key and the parts."""
        return _uuid4(self.bits(122, *parts))


@dataclass(frozen=True, slots=True)
class Block:
    """`count` numbers of the `size` strings `head` + `digits` makes, one per stratum."""

    head: str  # "+1205": the calling code and the range's prefix
    digits: Digits
    count: int
    offset: int  # the shelf's ranks before this block's
    salt: str
    size: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", self.digits.size)

    def place(self, k: int, keyed: Keyed) -> int:
        """The place (0 <= place < size) of the block's k-th number."""
        start = k * self.size // self.count
        width = (k + 1) * self.size // self.count - start
        return start if width == 1 else start + keyed.text_bits(48, f"{self.salt}\x1f{k}") % width

    def number(self, k: int, keyed: Keyed) -> str:
        return self.head + self.digits.at(self.place(k, keyed))

    def first_at_least(self, bound: str, keyed: Keyed) -> int:
        """The first k whose number is >= bound (`count` if none)."""
        if bound <= self.head or not self.count:
            return 0  # every number starts with the head, so none is below it
        if not bound.startswith(self.head):
            return self.count  # above the head, and no extension of it: above every number
        place = self.digits.below(bound[len(self.head) :])
        if place >= self.size:
            return self.count
        k = self._stratum(place)
        return k if self.place(k, keyed) >= place else k + 1

    def rank(self, number: str, keyed: Keyed) -> int | None:
        """k if the block stocks `number`, else None."""
        if not number.startswith(self.head):
            return None
        place = self.digits.index(number[len(self.head) :])
        if place is None or not self.count:
            return None
        k = self._stratum(place)
        return k if self.place(k, keyed) == place else None

    def _stratum(self, place: int) -> int:
        """The k whose stratum holds `place`: start(k) <= place < start(k + 1)."""
        return ((place + 1) * self.count - 1) // self.size

    def ascending(
        self,
        low: str,
        high: str,
        keyed: Keyed,
        number: Callable[[Block, int], str],
        gone: Gone,
        start: int | None = None,
    ) -> Iterator[str]:
        """The numbers n with low <= n < high in stock, in order; from rank `start` when the
        caller has found `first_at_least(low)` already."""
        k = self.first_at_least(low, keyed) if start is None else start
        count, offset = self.count, self.offset
        while k < count:
            k = gone.next_in(offset + k) - offset  # over a run of sold ones at once
            # Up to the next run of sold ones, every rank is in stock: no look-up each.
            free = min(count, gone.next_start(offset + k) - offset)
            while k < free:
                found = number(self, k)
                if found >= high:
                    return
                yield found
                k += 1

    def descending(
        self,
        low: str,
        high: str,
        keyed: Keyed,
        number: Callable[[Block, int], str],
        gone: Gone,
    ) -> Iterator[str]:
        k = self.first_at_least(high, keyed) - 1
        while k >= 0:
            k = gone.previous_in(self.offset + k) - self.offset
            if k < 0:
                return
            found = number(self, k)
            if found < low:
                return
            yield found
            k -= 1


class Gone:
    """The ranks out of a shelf (sold, ordered), as sorted disjoint runs [start, end): a walk
    steps over a run at once, so a stock sold from its first number on (as clients buy the
    first of a page) still costs a page."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def __len__(self) -> int:
        return sum(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def _run(self, rank: int) -> int:
        """The index of the run holding `rank`, else -1."""
        i = bisect_right(self._starts, rank) - 1
        return i if i >= 0 and rank < self._ends[i] else -1

    def add(self, rank: int) -> None:
        if self._run(rank) >= 0:
            raise KeyError(rank)
        i = bisect_right(self._starts, rank)  # the run after it
        after = i < len(self._starts) and self._starts[i] == rank + 1
        before = i > 0 and self._ends[i - 1] == rank
        if before and after:
            self._ends[i - 1] = self._ends[i]
            del self._starts[i], self._ends[i]
        elif before:
            self._ends[i - 1] = rank + 1
        elif after:
            self._starts[i] = rank
        else:
            self._starts.insert(i, rank)
            self._ends.insert(i, rank + 1)

    def discard(self, rank: int) -> None:
        i = self._run(rank)
        if i < 0:
            return
        start, end = self._starts[i], self._ends[i]
        if (start, end) == (rank, rank + 1):
            del self._starts[i], self._ends[i]
        elif start == rank:
            self._starts[i] = rank + 1
        elif end == rank + 1:
            self._ends[i] = rank
        else:
            self._ends[i] = rank
            self._starts.insert(i + 1, rank + 1)
            self._ends.insert(i + 1, end)

    def next_in(self, rank: int) -> int:
        """The least rank >= `rank` that is not gone."""
        i = self._run(rank)
        return rank if i < 0 else self._ends[i]

    def next_start(self, rank: int) -> int | float:
        """Where the first run after `rank` starts (infinity if none does)."""
        i = bisect_right(self._starts, rank)
        return self._starts[i] if i < len(self._starts) else _NO_RUN

    def previous_in(self, rank: int) -> int:
        """The greatest rank <= `rank` that is not gone (-1 if none)."""
        i = self._run(rank)
        return rank if i < 0 else self._starts[i] - 1

    def within(self, low: int, high: int) -> int:
        """How many ranks in [low, high) are gone."""
        total, i = 0, max(0, bisect_right(self._starts, low) - 1)
        while i < len(self._starts) and self._starts[i] < high:
            total += max(0, min(high, self._ends[i]) - max(low, self._starts[i]))
            i += 1
        return total


class Shelf:
    """The numbers of one country and type, in order: the blocks, grouped where one head
    starts with another (their numbers interleave, so they are merged), the groups in
    order (their numbers do not)."""

    __slots__ = (
        "_blocks",
        "_ends",
        "_gone",
        "_groups",
        "_heads",
        "_keyed",
        "_numbers",
        "_offsets",
        "_ranks",
        "size",
    )

    def __init__(self, blocks: Sequence[Block], keyed: Keyed) -> None:
        self._keyed = keyed
        self._gone = Gone()  # what left the stock (the inventory's take and give_back)
        # Numbers computed lately, by rank: the pages clients ask again cost no hashing; and
        # their ranks, by number: a number shown or looked up by id is bought (taken off
        # the shelf by its rank) without finding its rank again.
        self._numbers: dict[int, str] = {}
        self._ranks: dict[str, int] = {}
        self._blocks = tuple(blocks)  # in rank order
        self._offsets = [block.offset for block in self._blocks]
        self.size = sum(block.count for block in self._blocks)
        groups: list[list[Block]] = []
        for block in sorted(blocks, key=lambda b: b.head):
            if groups and block.head.startswith(groups[-1][0].head):
                if any(_overlap(block, other) for other in groups[-1]):
                    raise ValueError(f"the ranges at {block.head} can make the same number")
                groups[-1].append(block)
            else:
                groups.append([block])
        self._groups = [tuple(group) for group in groups]
        self._heads = [group[0].head for group in self._groups]
        self._ends = [_successor(head) for head in self._heads]

    def at(self, rank: int) -> str | None:
        """The number of this rank (None beyond the shelf)."""
        if not 0 <= rank < self.size:
            return None
        # An empty block has the offset of the next: bisect_right passes over it.
        block = self._blocks[bisect_right(self._offsets, rank) - 1]
        return self._number(block, rank - block.offset)

    def rank(self, number: str) -> int | None:
        known = self._ranks.get(number)
        if known is not None:
            return known
        for group in self._matching(number, _successor(number)):
            for block in group:
                k = block.rank(number, self._keyed)
                if k is not None:
                    return block.offset + k
        return None

    def remove(self, number: str) -> None:
        """Out of stock: walks and counts pass it. KeyError if the shelf has no such number
        or it is out already."""
        rank = self.rank(number)
        if rank is None:
            raise KeyError(number)
        self._gone.add(rank)

    def add(self, number: str) -> None:
        """Back in stock."""
        rank = self.rank(number)
        if rank is None:
            raise KeyError(number)
        self._gone.discard(rank)

    def count(self, low: str, high: str) -> int:
        total = 0
        for group in self._matching(low, high):
            for block in group:
                first = block.first_at_least(low, self._keyed)
                last = block.first_at_least(high, self._keyed)
                if last > first:
                    offset = block.offset
                    total += last - first - self._gone.within(offset + first, offset + last)
        return total

    def between(self, low: str, high: str, after: str | None = None) -> Iterator[str]:
        """The numbers n with low <= n < high (and n > after), in order."""
        if after is not None and after >= low:
            low = after + "\x00"  # the least string above `after`
        return self._walk(self._matching(low, high), low, high)

    def descending(self, low: str, high: str, before: str | None = None) -> Iterator[str]:
        top = high if before is None else min(high, before)
        groups = reversed(self._matching(low, top))
        return chain.from_iterable(self._descending(group, low, top) for group in groups)

    def _matching(self, low: str, high: str) -> list[tuple[Block, ...]]:
        """The groups whose numbers can lie in [low, high)."""
        first = bisect_right(self._ends, low)
        last = bisect_left(self._heads, high)
        return self._groups[first:last]

    def _number(self, block: Block, k: int) -> str:
        rank = block.offset + k
        number = self._numbers.get(rank)
        if number is None:
            if len(self._numbers) >= _CACHED:
                self._numbers.clear()  # bounded: a shelf of millions is walked, not kept
                self._ranks.clear()
            number = self._numbers[rank] = block.number(k, self._keyed)
            self._ranks[number] = rank
        return number

    def _walk(self, groups: list[tuple[Block, ...]], low: str, high: str) -> Iterator[str]:
        """The groups' numbers in [low, high), in order. A lone block sold out from `low` on
        is passed at the cost of a look-up (a stock sold from its first number on has a
        sold-out block for every few hundred numbers bought, each walked past by every
        search from the start)."""
        keyed, number, gone = self._keyed, self._number, self._gone
        for group in groups:
            if len(group) > 1:
                yield from merge(*(b.ascending(low, high, keyed, number, gone) for b in group))
                continue
            block = group[0]
            first = block.first_at_least(low, keyed)
            if gone.next_in(block.offset + first) < block.offset + block.count:
                yield from block.ascending(low, high, keyed, number, gone, first)

    def _descending(self, group: tuple[Block, ...], low: str, high: str) -> Iterator[str]:
        keyed, number, gone = self._keyed, self._number, self._gone
        if len(group) == 1:
            return group[0].descending(low, high, keyed, number, gone)
        parts = (block.descending(low, high, keyed, number, gone) for block in group)
        return merge(*parts, reverse=True)


def plan_shelf(
    calling_code: str, ranges: Sequence[NumberRange], count: int, keyed: Keyed, salt: str
) -> Shelf:
    """`count` numbers of these ranges (one block per prefix), shared out over the blocks
    (`allot`). Raises ValueError if the ranges have fewer numbers, or make the same one."""
    heads = [(f"+{calling_code}{p}", r.digits()) for r in ranges for p in r.prefixes]
    sizes = [digits.size for _, digits in heads]
    if count > sum(sizes):
        raise ValueError(
            f"the numbering plan has {sum(sizes):,} such numbers, fewer than {count:,}"
        )
    blocks, offset = [], 0
    shares = allot(count, sizes, keyed, salt)
    for index, ((head, digits), share) in enumerate(zip(heads, shares, strict=True)):
        blocks.append(Block(head, digits, share, offset, f"{salt}:{index}"))
        offset += share
    return Shelf(blocks, keyed)


def allot(count: int, sizes: Sequence[int], keyed: Keyed, salt: str) -> list[int]:
    """`count` shared out equally over blocks of these sizes, none past its size (a full
    block's part goes to the others); what does not divide goes one each to blocks in a
    keyed order, so which prefixes get the odd ones is seeded too. Every prefix of a plan
    gets about as many numbers, as a provider stocks each area code. Needs
    count <= sum(sizes)."""
    shares = [0] * len(sizes)
    order = sorted(range(len(sizes)), key=lambda i: keyed.bits(32, salt, i))
    left, open_ = count, [i for i in order if sizes[i]]
    while left and open_:
        fair = left // len(open_)
        if fair == 0:
            for i in open_[:left]:
                shares[i] += 1
            break
        for i in open_:
            given = min(fair, sizes[i] - shares[i])
            shares[i] += given
            left -= given
        open_ = [i for i in open_ if shares[i] < sizes[i]]
    return shares


class Ids:
    """Ids for (shelf, rank) places: a 4-round Feistel cipher over the 56-bit place,
    keyed, and a 66-bit tag of the place, as a version-4 UUID."""

    __slots__ = ("_keyed",)

    def __init__(self, keyed: Keyed) -> None:
        self._keyed = keyed

    def write(self, shelf: int, rank: int) -> str:
        place = shelf << _RANK_BITS | rank
        left, right = place >> _HALF, place & _HALF_MASK
        for round_ in range(4):
            left, right = right, left ^ self._keyed.bits(_HALF, "round", round_, right)
        cipher = left << _HALF | right
        return _uuid4(cipher << _TAG_BITS | self._keyed.bits(_TAG_BITS, "tag", place))

    def read(self, item_id: str) -> tuple[int, int] | None:
        """(shelf, rank) of an id `write` made, else None."""
        bits = _uuid4_bits(item_id)
        if bits is None:
            return None
        cipher, tag = bits >> _TAG_BITS, bits & ((1 << _TAG_BITS) - 1)
        left, right = cipher >> _HALF, cipher & _HALF_MASK
        for round_ in range(3, -1, -1):
            left, right = right ^ self._keyed.bits(_HALF, "round", round_, left), left
        place = left << _HALF | right
        if self._keyed.bits(_TAG_BITS, "tag", place) != tag:
            return None
        return place >> _RANK_BITS, place & ((1 << _RANK_BITS) - 1)


class Catalog(Generic[T]):
    """Items of computed shelves: by id, by number, and made on demand by `make(shelf,
    item_id, number)` (the provider's: what else an item has follows from its number)."""

    __slots__ = ("_by_id", "_by_number", "_ids", "_make", "_shelves")

    def __init__(
        self, shelves: Sequence[Shelf], ids: Ids, make: Callable[[int, str, str], T]
    ) -> None:
        self._shelves = tuple(shelves)
        self._ids = ids
        self._make = make
        # The items made lately, by id and by number: a page asked again costs no hashing.
        # Items follow from the seed alone, so a kept one is the one `make` would give.
        self._by_id: dict[str, T] = {}
        self._by_number: dict[str, T] = {}

    def __len__(self) -> int:
        return sum(shelf.size for shelf in self._shelves)

    def get(self, item_id: str) -> T | None:
        item = self._by_id.get(item_id)
        if item is not None:
            return item
        place = self._ids.read(item_id)
        if place is None or place[0] >= len(self._shelves):
            return None
        number = self._shelves[place[0]].at(place[1])
        return None if number is None else self._keep(place[0], item_id, number)

    def by_number(self, number: str) -> T | None:
        item = self._by_number.get(number)
        if item is not None:
            return item
        for index, shelf in enumerate(self._shelves):
            rank = shelf.rank(number)
            if rank is not None:
                return self._keep(index, self._ids.write(index, rank), number)
        return None

    def _keep(self, shelf: int, item_id: str, number: str) -> T:
        if len(self._by_id) >= _CACHED:
            self._by_id.clear()  # bounded: a stock of millions is walked, not kept
            self._by_number.clear()
        item = self._by_id[item_id] = self._by_number[number] = self._make(shelf, item_id, number)
        return item


def _overlap(one: Block, other: Block) -> bool:
    """Whether two blocks, one head starting with the other's, can make the same number:
    only if their numbers have the same length."""
    return len(one.head) + len(one.digits.sizes) == len(other.head) + len(other.digits.sizes)


def _successor(prefix: str) -> str:
    """The least string above every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _uuid4(bits: int) -> str:
    """122 bits as a version-4 (variant 1) UUID."""
    value = (bits >> 74) << 80 | 4 << 76 | (bits >> 62 & 0xFFF) << 64 | 2 << 62
    value |= bits & ((1 << 62) - 1)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _uuid4_bits(text: str) -> int | None:
    """The 122 bits of a lower-case version-4 UUID `_uuid4` wrote, else None."""
    if len(text) != 36 or text[8] != "-" or text[13] != "-" or text[18] != "-" or text[23] != "-":
        return None
    digits = text.replace("-", "")
    if len(digits) != 32 or digits != digits.lower():
        return None
    try:
        value = int(digits, 16)
    except ValueError:
        return None
    if value >> 76 & 0xF != 4 or value >> 62 & 0x3 != 2:
        return None
    return (value >> 80) << 74 | (value >> 64 & 0xFFF) << 62 | value & ((1 << 62) - 1)
