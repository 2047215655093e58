"""One seeded source of randomness (DESIGN.md, decision 6).

Every id, number, price, OTP code and Faker value comes from a named stream of one `Rng`.
Streams are independent: drawing more request ids never shifts the generated stock, so the
same seed and the same calls give the same responses, byte for byte. A state dump carries
every stream's position (`Rng.dump`), so a restored mock draws the same values next.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# random.Random's Mersenne Twister state: 624 32-bit words and a position in them.
_WORDS = 624
_DIGITS = "0123456789"
_HEX_WORDS = re.compile(f"[0-9a-f]{{{8 * _WORDS}}}")
StreamState = dict[str, Any]  # JSON-ready: {"words": hex, "index": int, "gauss": float|None}


class RandomStream:
    """A deterministic stream of random values, derived from the seed and a name."""

    __slots__ = ("_random",)

    def __init__(self, seed: bytes) -> None:
        self._random = random.Random(seed)

    def reseed(self, seed: bytes) -> None:
        """Back to where a stream made from `seed` starts (keeps this object: backends
        hold streams)."""
        self._random.seed(seed)

    def uuid(self) -> str:
        return _uuid4(self._random.getrandbits(128))

    def digits(self, count: int) -> str:
        """`count` decimal digits, each what `randrange(10)` draws: CPython draws 4 bits and
        draws again while they pass 9 (Random._randbelow_with_getrandbits), done here
        without its two calls a digit (a WhatsApp id takes 16)."""
        draw, found = self._random.getrandbits, []
        for _ in range(count):
            digit = draw(4)
            while digit > 9:
                digit = draw(4)
            found.append(_DIGITS[digit])
        return "".join(found)

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
    """What a seeded Faker generator draws, for the calls the drawn stock makes of it
    (numbering.py draws numbers from real plans, not from Faker's locale formats).

    Faker's generator seeds its own `random.Random` with the seed (`seed_instance`) and its
    uuid4 is 128 bits of it as a version-4 UUID: the same calls on the same Random give
    the same values without importing Faker, which costs a tenth of a second of start-up
    (tests/test_rng.py holds the two side by side).
    """

    __slots__ = ("_random",)

    def __init__(self, seed: bytes) -> None:
        self._random = random.Random(_faker_seed(seed))

    def reseed(self, seed: bytes) -> None:
        self._random.seed(_faker_seed(seed))

    def element(self, options: Sequence[T]) -> T:
        chosen: T = self._random.choice(options)
        return chosen

    def digit(self, low: int = 0, high: int = 9) -> str:
        return str(low + self._random.randrange(high - low + 1))

    def digits(self, count: int) -> str:
        """`count` digits 0-9 in one draw."""
        return f"{self._random.randrange(10**count):0{count}d}"

    def uuid(self) -> str:
        return _uuid4(self._random.getrandbits(128))

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

    def dump(self) -> dict[str, dict[str, StreamState]]:
        """Every stream's position, JSON-ready. Faker streams are included although only
        seeding draws from them today, so a later use of them after seeding stays safe."""
        return {
            "streams": {name: _state_of(s._random) for name, s in sorted(self._streams.items())},
            "fakers": {name: _state_of(f._random) for name, f in sorted(self._fakers.items())},
        }

    def restore(self, data: Mapping[str, Any], keep: Collection[str] = ()) -> None:
        """Put every stream where `data` (from `dump`) says, in place (backends and the edge
        hold stream objects), but the streams named in `keep`; a stream the dump does not
        list had not been drawn from then, so it goes back to its start. Raises ValueError,
        changing nothing, if `data` is malformed."""
        streams = {n: s for n, s in _read_states(data, "streams").items() if n not in keep}
        fakers = _read_states(data, "fakers")
        for name, stream in self._streams.items():
            if name not in streams and name not in keep:
                stream.reseed(self._derive(name))
        for name, faker in self._fakers.items():
            if name not in fakers:
                faker.reseed(self._derive(f"faker:{name}"))
        for name, state in streams.items():
            self.stream(name)._random.setstate(state)
        for name, state in fakers.items():
            self.faker(name)._random.setstate(state)

    def secret(self, name: str) -> bytes:
        """A stable secret (e.g. for signing page tokens), the same for the same seed."""
        return self._derive(f"secret:{name}")

    def _derive(self, name: str) -> bytes:
        return hashlib.sha256(f"{self.seed}:{name}".encode()).digest()


_VERSION_MASK = ~(0xF << 76 | 0x3 << 62)
_VERSION_4 = 4 << 76 | 0x2 << 62


def _uuid4(bits: int) -> str:
    """str(uuid.UUID(int=bits, version=4)) without building the UUID (a buy of 25 draws
    a hundred): the version nibble 4 and the variant bits 10 set over the same bits."""
    text = f"{bits & _VERSION_MASK | _VERSION_4:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _faker_seed(seed: bytes) -> int:
    return int.from_bytes(seed[:8], "big")


def _state_of(generator: random.Random) -> StreamState:
    version, internal, gauss = generator.getstate()
    *words, index = internal
    # One hex string instead of 624 numbers keeps a dump short and readable around it.
    return {"words": "".join(f"{word:08x}" for word in words), "index": index, "gauss": gauss}


def _read_states(data: Mapping[str, Any], kind: str) -> dict[str, tuple[Any, ...]]:
    raw = data.get(kind) if isinstance(data, Mapping) else None
    if not isinstance(raw, Mapping):
        raise ValueError(f"rng.{kind} must be an object of stream states")
    return {str(name): _read_state(state, f"rng.{kind}.{name}") for name, state in raw.items()}


def _read_state(raw: object, where: str) -> tuple[Any, ...]:
    """random.Random.setstate's tuple from a dumped state, checked first: setstate itself
    would accept some malformed states and fail on others half-way."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be an object with words, index and gauss")
    words, index, gauss = raw.get("words"), raw.get("index"), raw.get("gauss")
    if not isinstance(words, str) or not _HEX_WORDS.fullmatch(words):
        raise ValueError(f"{where}.words must be {_WORDS} words as {8 * _WORDS} hex digits")
    if type(index) is not int or not 0 <= index <= _WORDS:
        raise ValueError(f"{where}.index must be an integer from 0 to {_WORDS}")
    if gauss is not None and (type(gauss) not in (int, float)):
        raise ValueError(f"{where}.gauss must be a number or null")
    state = tuple(int(words[i : i + 8], 16) for i in range(0, len(words), 8)) + (index,)
    return (random.Random.VERSION, state, None if gauss is None else float(gauss))
