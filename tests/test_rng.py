"""The drawn stock's stream (rng.FakerStream) draws what a seeded Faker draws."""

from __future__ import annotations

from faker import Generator
from faker.providers import BaseProvider
from faker.providers.misc import Provider as MiscProvider

from mockserver.rng import FakerStream, _faker_seed


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
