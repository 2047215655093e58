import pytest
from hypothesis import given, strategies as st

from mockserver.domain import pagination
from mockserver.domain.pagination import PageTokens
from mockserver.errors import Invalid

TOKENS = PageTokens(b"secret")


def test_a_token_reads_back_its_position() -> None:
    token = TOKENS.issue("scope", ("US", "+12125550100"))
    assert TOKENS.read("scope", token) == ("US", "+12125550100")


def test_a_token_issued_again_is_the_same_and_what_is_remembered_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pagination, "ISSUED_TOKENS", 4)
    tokens = PageTokens(b"secret")
    first = [tokens.issue("scope", ("US", f"+1212555010{i}")) for i in range(10)]
    fresh = PageTokens(b"secret")  # nothing remembered: computed afresh, alike
    assert [fresh.issue("scope", ("US", f"+1212555010{i}")) for i in range(10)] == first
    assert tokens.issue("scope", ("US", "+12125550109")) == first[9]
    assert len(tokens._issued) <= 4
    assert tokens.issue("other", ("US", "+12125550109")) != first[9]


def test_a_tampered_token_is_rejected_with_the_field_named() -> None:
    token = TOKENS.issue("scope", ("US", "+1212"))
    body, _, signature = token.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    with pytest.raises(Invalid) as raised:
        TOKENS.read("scope", forged)
    assert ".pageToken" in raised.value.fields


def test_a_token_of_another_query_is_rejected() -> None:
    token = TOKENS.issue("countries=US", ("US", "+1"))
    with pytest.raises(Invalid, match="not valid") as raised:
        TOKENS.read("countries=NL", token)
    assert raised.value.fields[".pageToken"] == ["the page token belongs to a different query"]


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    with pytest.raises(Invalid):
        PageTokens(b"other").read("scope", TOKENS.issue("scope", ("x",)))


@given(
    rows=st.lists(st.text(alphabet="abcdef", min_size=1, max_size=6), unique=True, max_size=40),
    limit=st.integers(min_value=1, max_value=7),
    reverse=st.booleans(),
)
def test_paging_a_list_returns_every_row_once_in_order(
    rows: list[str], limit: int, reverse: bool
) -> None:
    seen: list[str] = []
    token = None
    for _ in range(len(rows) + 2):
        page = TOKENS.page_sorted("s", rows, lambda r: (r,), token, limit, reverse)
        assert len(page.items) <= limit
        seen.extend(page.items)
        token = page.next_token
        if token is None:
            break
    assert seen == sorted(rows, reverse=reverse)
