"""One seeded source of randomness (DESIGN.md, decision 6).

Every id, number, price, OTP code and Faker value comes from a named stream of one `Rng`.
Streams are independent: drawing more request ids never shifts the generated stock, so the
same seed and the same calls give the same responses, byte for byte.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class RandomStream:
    """A deterministic stream of random values, derived from the seed and a name."""

    __slots__ = ("_random",)

    def __init__(self, seed: bytes) -> None:
        self._random = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def digits(self, count: int) -> str:
        return "".join(str(self._random.randrange(10)) for _ in range(count))

    def hex(self, count: int) -> str:
        return f"{self._random.getrandbits(4 * count):0{count}x}"

    def token(self, length: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def below(self, bound: int) -> int:
        return self._random.randrange(bound)

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability

    def choice(self, options: Sequence[T]) -> T:
        return options[self._random.randrange(len(options))]

    def shuffled(self, options: Sequence[T]) -> list[T]:
        out = list(options)
        self._random.shuffle(out)
        return out


class FakerStream:
    """A seeded Faker generator, typed to the calls the mock makes of it.

    Only the locale-free providers (digits, elements, uuids) are loaded: a full localized
    `Faker()` costs a quarter of a second of start-up, and numbers get their structure from
    real numbering plans (numbering.py), not from Faker's locale formats.
    """

    __slots__ = ("_fake", "_random")

    def __init__(self, seed: bytes) -> None:
        from faker import Generator
        from faker.providers import BaseProvider
        from faker.providers.misc import Provider as MiscProvider

        fake: Any = Generator()
        fake.add_provider(BaseProvider)
        fake.add_provider(MiscProvider)
        fake.seed_instance(int.from_bytes(seed[:8], "big"))
        self._fake = fake
        self._random: random.Random = fake.random

    # The hot calls go straight to the generator's seeded `random` (Faker's own
    # random_element builds an OrderedDict per call: 10x slower for 100,000 numbers).
    def element(self, options: Sequence[T]) -> T:
        chosen: T = self._random.choice(options)
        return chosen

    def digit(self, low: int = 0, high: int = 9) -> str:
        return str(low + self._random.randrange(high - low + 1))

    def digits(self, count: int) -> str:
        """`count` digits 0-9 in one draw."""
        return f"{self._random.randrange(10**count):0{count}d}"

    def uuid(self) -> str:
        return str(self._fake.uuid4())

    def chance(self, probability: float) -> bool:
        return bool(self._random.random() < probability)


class Rng:
    """The seed, and the named streams and Faker instances derived from it."""

    __slots__ = ("_fakers", "_streams", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, RandomStream] = {}
        self._fakers: dict[str, FakerStream] = {}

    def stream(self, name: str) -> RandomStream:
        if name not in self._streams:
            self._streams[name] = RandomStream(self._derive(name))
        return self._streams[name]

    def faker(self, name: str) -> FakerStream:
        if name not in self._fakers:
            self._fakers[name] = FakerStream(self._derive(f"faker:{name}"))
        return self._fakers[name]

    def secret(self, name: str) -> bytes:
        """A stable secret (e.g. for signing page tokens), the same for the same seed."""
        return self._derive(f"secret:{name}")

    def _derive(self, name: str) -> bytes:
        return hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
