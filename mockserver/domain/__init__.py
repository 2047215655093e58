"""The pure domain: state machines, stores, pagination, money.

Imports nothing from Starlette, openapi-core, Faker or the wall clock; time comes in as an
argument and randomness as a `RandomStream`-like object.
"""
