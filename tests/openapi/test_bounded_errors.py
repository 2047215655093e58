"""The compiled validator reports at most 50 problems of an invalid request, collected from
a copy with its arrays cut short (mockserver/openapi/compiled.py, `_first_errors`), and the
cut changes no answer: what the copy reports is what the whole breaks, array sizes
included, and a problem past the cut is still found when it is the only one."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.errors import MalformedBody, RequestInvalid
from mockserver.openapi.compiled import MAX_ERRORS, CompiledValidator
from mockserver.openapi.loader import Operation, Spec
from mockserver.openapi.validation import Incoming

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        # no maxItems: cut to 51 items when longer
        "codes": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
        "few": {"type": "array", "maxItems": 80, "items": {"type": "integer"}},
        "many": {"type": "array", "minItems": 60, "items": {"type": "integer"}},
        "unique": {"type": "array", "uniqueItems": True, "items": {"type": "integer"}},
    },
}
OPERATION = Operation("post", "POST", "/things", ("application/json",), True)
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "cut", "version": "1"},
    "paths": {
        "/things": {
            "post": {
                "operationId": "post",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": SCHEMA}},
                },
                "responses": {"204": {"description": "done"}},
            }
        }
    },
}


def validate(body: dict[str, Any]) -> None:
    validator = CompiledValidator(Spec("cut", DOCUMENT, (OPERATION,)))
    validator.request(Incoming(OPERATION, "/things", {}, [], [], "application/json", b"", body))


def problems(body: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(RequestInvalid) as refused:
        validate(body)
    return [(v.path, v.message) for v in refused.value.violations]


def test_a_problem_past_the_cut_is_found_when_it_is_the_only_one() -> None:
    codes = ["NL"] * 300
    codes[250] = "nl"
    assert problems({"codes": codes}) == [
        (("codes", 250), 'value "nl" does not match the pattern ^[A-Z]{2}$')
    ]


def test_thousands_of_problems_are_reported_as_the_first_fifty() -> None:
    found = problems({"codes": ["x"] * 5000})
    assert len(found) == MAX_ERRORS
    assert [path for path, _ in found] == [("codes", i) for i in range(MAX_ERRORS)]


def test_an_array_cut_short_still_breaks_its_max_items() -> None:
    found = problems({"few": ["x"] * 500})
    assert (("few",), "value must contain at most 80 items") in found


def test_no_array_is_cut_below_a_min_items_it_keeps() -> None:
    found = problems({"many": [0] * 299 + ["x"]})
    assert found == [(("many", 299), "value must be an integer")]


def test_a_duplicate_past_the_cut_is_found_when_it_is_the_only_problem() -> None:
    found = problems({"unique": [*range(300), 5]})
    assert found == [(("unique",), "value must not contain duplicate items")]


def test_a_chain_too_deep_to_validate_keeps_its_depth_in_the_copy() -> None:
    """jsonschema-rs reports on no value nested 256 levels deep (the edge answers it as a
    body too deep to parse). A chain of one-item arrays that long uses up the copy's
    budget; the copy keeps one item of each all the same, so the answer is the same as
    without the cut."""
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(MalformedBody):
        validate({"codes": deep})
