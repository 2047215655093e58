"""The platform's typed ids: a prefix, `_` and 26 lower-case Crockford base32 characters
(a ULID's alphabet and length: bird/_generated.py patterns `^nda_[0-9a-hjkmnp-tv-z]{26}$`).

Ids the mock draws are ULIDs (48 bits of mock-clock milliseconds, 80 seeded random bits),
so they sort by creation as Bird's do. Ids of what a stock item becomes are derived from the
item: a held number's `nda_` is the stock item's 128-bit UUID written in base32, so the id
names the one stock item it holds (one holder per number by construction), and the same
number ordered again gets the same id back. Its voice number and SMS sender hash the item
id with their prefix.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from mockserver.rng import RandomStream

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
LENGTH = 26


def base32(value: int) -> str:
    """`value` (at most 130 bits) as 26 base32 characters."""
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def ulid(prefix: str, now: datetime, stream: RandomStream) -> str:
    """A fresh id of this type: creation time in milliseconds, then seeded randomness."""
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    return f"{prefix}_{base32((millis << 80) | int(stream.hex(20), 16))}"


def derived(prefix: str, *parts: str) -> str:
    """An id that `parts` always give: the same input, the same id (no state needed)."""
    digest = hashlib.blake2b("\x1f".join((prefix, *parts)).encode(), digest_size=16).digest()
    return f"{prefix}_{base32(int.from_bytes(digest, 'big'))}"


def number_id(stock_item_id: str, prefix: str = "nda") -> str:
    """A dedicated number's id: its stock item's UUID, in base32 (reversible)."""
    return f"{prefix}_{base32(uuid.UUID(stock_item_id).int)}"
