"""The drawn stock's stream (rng.FakerStream) draws what a seeded Faker draws, and the
streams' UUIDs are the standard library's."""

from __future__ import annotations

import random
import uuid

from faker import Generator
from faker.providers import BaseProvider
from faker.providers.misc import Provider as MiscProvider
from hypothesis import given, strategies as st

from mockserver.rng import FakerStream, RandomStream, _faker_seed, _uuid4


def test_the_stream_draws_what_a_seeded_faker_draws() -> None:
    seed = b"bird.stock.US" * 3
    fake = Generator()
    fake.add_provider(BaseProvider)
    fake.add_provider(MiscProvider)
    fake.seed_instance(_faker_seed(seed))
    ours = FakerStream(seed)
    options = ["212", "646", "718", "917"]
    for _ in range(200):
        assert ours.element(options) == fake.random.choice(options)
        assert ours.digit(2, 9) == str(2 + fake.random.randrange(8))
        assert ours.digits(7) == f"{fake.random.randrange(10**7):07d}"
        assert ours.uuid() == fake.uuid4()
        assert ours.chance(0.3) == (fake.random.random() < 0.3)


@given(bits=st.integers(min_value=0, max_value=2**128 - 1))
def test_a_stream_uuid_is_the_standard_library_version_4_uuid_of_the_same_bits(bits: int) -> None:
    assert _uuid4(bits) == str(uuid.UUID(int=bits, version=4))


@given(seed=st.binary(min_size=1, max_size=32), count=st.integers(min_value=0, max_value=40))
def test_a_streams_digits_are_what_randrange_10_draws(seed: bytes, count: int) -> None:
    reference = random.Random(seed)
    expected = "".join(str(reference.randrange(10)) for _ in range(count))
    stream = RandomStream(seed)
    assert stream.digits(count) == expected
    # And the stream goes on where randrange would have left it.
    assert stream.uuid() == _uuid4(reference.getrandbits(128))
