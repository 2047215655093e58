"""The edge's query parsing is parse_qsl's (keep_blank_values), fast path included."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given, strategies as st

from mockserver.openapi.edge import parse_query

# What a query string is made of: the separators, `+`, blanks, the latin-1 characters a
# raw byte decodes to, and percent-escapes (whole or not).
PIECES = st.lists(
    st.sampled_from(["&", "=", "+", "a", "b", " ", ";", "é", "\x00", "%", "%41", "%e9"])
).map("".join)


@given(PIECES)
def test_the_pairs_are_parse_qsls(raw: str) -> None:
    assert parse_query(raw) == parse_qsl(raw, keep_blank_values=True)


def test_a_huge_query_string_without_escapes_takes_the_fast_path() -> None:
    raw = "countryCodes=US&" + "&".join(f"p{i}=v+w" for i in range(100_000))
    assert parse_query(raw) == parse_qsl(raw, keep_blank_values=True)
