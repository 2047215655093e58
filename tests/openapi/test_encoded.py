"""Parts of a reply encoded once (exchange.Encoded): the same payload, the same verdict,
and bounded caches behind them (issue 19: the stock may hold millions of items)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from mockserver.domain.money import Money
from mockserver.errors import RequestInvalid
from mockserver.exchange import Encoded, Lru, decoded, to_json
from mockserver.openapi import compiled
from mockserver.openapi.compiled import CompiledValidator, _split_points
from mockserver.openapi.loader import load_spec
from mockserver.openapi.validation import Incoming
from mockserver.providers.bird import wire
from mockserver.providers.bird.items import StockItem
from mockserver.resources import spec_file
from tests.support.credentials import BIRD, STOCK

ITEM = StockItem(
    id="0b5b1c04-3c1e-4a3f-9d1f-7b6f3e1c2a10",
    country="US",
    type="local",
    number="+12025550143",
    features=frozenset({"sms-inbound", "voice-inbound"}),
    monthly_price=Money(100, 2, "USD"),
    provider_id="p1",
)


def test_an_encoded_part_is_written_as_it_stands() -> None:
    part = Encoded(orjson.dumps({"a": [1, 2]}))
    body = {"results": [part, part], "next": None}
    assert to_json(body) == b'{"results":[{"a":[1,2]},{"a":[1,2]}],"next":null}'
    assert decoded(body) == {"results": [{"a": [1, 2]}, {"a": [1, 2]}], "next": None}


def test_the_lru_forgets_the_least_recently_used_first() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


def test_a_stock_item_is_encoded_once_per_value() -> None:
    first = wire.stock_item_encoded(ITEM)
    assert orjson.loads(first.json) == wire.stock_item(ITEM)
    # Computed afresh as an equal object (a lazy stock does): the same encoding.
    assert wire.stock_item_encoded(replace(ITEM)) is first
    # The same id with anything else changed is encoded again, never served stale.
    repriced = replace(ITEM, monthly_price=Money(250, 2, "USD"))
    assert orjson.loads(wire.stock_item_encoded(repriced).json)["monthlyPrice"]["amount"] == 250


def test_the_stock_item_cache_is_bounded() -> None:
    for index in range(wire.STOCK_ITEMS_ENCODED + 10):
        wire.stock_item_encoded(replace(ITEM, id=f"{index:08d}-3c1e-4a3f-9d1f-7b6f3e1c2a10"))
    assert len(wire._stock_items) == wire.STOCK_ITEMS_ENCODED


def _stock_search() -> tuple[CompiledValidator, Incoming]:
    spec = load_spec("bird", spec_file("bird-numbers.yaml"))
    operation = next(
        o for o in spec.operations if o.operation_id == "listOrganizationNumbersStockItems"
    )
    return CompiledValidator(spec), Incoming(operation, operation.path, {}, [], [], "")


def test_a_page_of_encoded_items_gets_the_plain_pages_verdict_and_problems() -> None:
    validator, incoming = _stock_search()
    good = wire.stock_item(ITEM)
    bad = {**good, "countryCode": 7}
    for items in ([good, good], [good, bad], [bad]):
        plain = {"results": items, "nextPageToken": "t"}
        encoded = {"results": [Encoded(orjson.dumps(i)) for i in items], "nextPageToken": "t"}
        expected = validator.response(incoming, 200, plain, [])
        assert validator.response(incoming, 200, encoded, []) == expected
        # Asked again: what passed is remembered, what failed is checked (and reported) again.
        assert validator.response(incoming, 200, encoded, []) == expected
    assert validator.response(incoming, 200, {"results": [Encoded(b"{}")]}, [])
    # The envelope is still checked when its items are known to pass.
    envelope = {"results": [Encoded(orjson.dumps(good))], "nextPageToken": 5}
    assert validator.response(incoming, 200, envelope, [])


def test_the_encodings_a_validator_remembers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "PASSED_ENCODINGS", 3)
    validator, incoming = _stock_search()
    for index in range(10):
        item = replace(ITEM, id=f"{index:08d}-3c1e-4a3f-9d1f-7b6f3e1c2a10")
        page = {"results": [Encoded(orjson.dumps(wire.stock_item(item)))]}
        assert validator.response(incoming, 200, page, []) == []
    body = validator._operations[("GET", incoming.operation.path)].responses["200"]
    items = body.bodies["application/json"]._split()["results"]
    assert len(items) == 3


def _searched(validator: CompiledValidator, incoming: Incoming, *query: tuple[str, str]) -> Any:
    org = {"organizationId": "d0b85ccc-b63a-4e81-b698-c359d77d250e"}
    raw = "&".join(f"{name}={value}" for name, value in query).encode()
    asked = replace(incoming, path_params=org, query=list(query), raw_query=raw)
    return validator.request(asked)


def test_parameters_that_passed_pass_again_cast_alike_and_a_callers_own() -> None:
    validator, incoming = _stock_search()
    first = _searched(validator, incoming, ("countryCodes", "US"), ("limit", "5"))
    first.query["limit"] = 99  # a caller's copy: what is remembered is not changed
    again = _searched(validator, incoming, ("countryCodes", "US"), ("limit", "5"))
    assert again.query == {"countryCodes": ["US"], "limit": 5}
    assert again.path == {"organizationId": "d0b85ccc-b63a-4e81-b698-c359d77d250e"}
    # What fails is checked (and refused) each time; nothing of it is remembered.
    for _ in range(2):
        with pytest.raises(RequestInvalid):
            _searched(validator, incoming, ("countryCodes", "US"), ("limit", "0"))
    operation = validator._operations[("GET", incoming.operation.path)]
    assert len(operation.passed) == 1


def test_parameters_sent_with_their_query_string_are_remembered_by_path_and_string() -> None:
    validator, incoming = _stock_search()
    org = {"organizationId": "d0b85ccc-b63a-4e81-b698-c359d77d250e"}
    path = f"/organizations/{org['organizationId']}/numbers-stock-items"

    def sent(raw: bytes) -> Any:
        pairs = [tuple(pair.split("=")) for pair in raw.decode().split("&")]
        asked = replace(incoming, path=path, path_params=org, query=pairs, raw_query=raw)
        return validator.request(asked)

    assert sent(b"countryCodes=US&limit=5").query == {"countryCodes": ["US"], "limit": 5}
    assert sent(b"countryCodes=NL&limit=7").query == {"countryCodes": ["NL"], "limit": 7}
    assert sent(b"countryCodes=US&limit=5").query == {"countryCodes": ["US"], "limit": 5}
    operation = validator._operations[("GET", incoming.operation.path)]
    assert set(operation.passed) == {
        (path, b"countryCodes=US&limit=5"),
        (path, b"countryCodes=NL&limit=7"),
    }
    with pytest.raises(RequestInvalid):
        sent(b"limit=0")


def test_the_parameter_sets_remembered_are_bounded_and_long_ones_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiled, "PASSED_PARAMETERS", 3)
    validator, incoming = _stock_search()
    operation = validator._operations[("GET", incoming.operation.path)]
    for limit in range(1, 11):
        assert _searched(validator, incoming, ("limit", str(limit))).query["limit"] == limit
        assert len(operation.passed) <= 3
    operation.passed.clear()
    token = "t" * compiled.REMEMBERED_CHARS  # Bird takes page tokens of up to 8000
    _searched(validator, incoming, ("countryCodes", "US"), ("pageToken", token))
    assert operation.passed == {}


@pytest.mark.parametrize(
    ("schema", "points"),
    [
        ({"type": "object", "properties": {"r": {"type": "array", "items": {}}}}, {"r"}),
        ({"properties": {"r": {"type": ["array", "null"], "items": {}}}}, {"r"}),  # nullable
        ({"properties": {"r": {"type": "object", "items": {}}}}, set()),
        # Through allOf and references, as the stock page's schema is written.
        (
            {"allOf": [{"properties": {"r": {"$ref": "#/$defs/List"}}}, {"$ref": "#/$defs/P"}]},
            {"r"},
        ),
        # Anything that looks at the array as a whole, or at all of the object, is not split.
        ({"properties": {"r": {"type": "array", "items": {}, "minItems": 1}}}, set()),
        ({"properties": {"r": {"type": "array", "items": {}, "uniqueItems": True}}}, set()),
        ({"properties": {"r": {"type": "array", "items": {}}}, "anyOf": [{}]}, set()),
        (
            {
                "allOf": [
                    {"properties": {"r": {"type": "array", "items": {}}}},
                    {"properties": {"n": {}}, "additionalProperties": False},
                ]
            },
            set(),
        ),
        (
            {
                "allOf": [
                    {"properties": {"r": {"type": "array", "items": {}}}},
                    {"properties": {"r": {"type": "array", "items": {}}}},
                ]
            },
            set(),
        ),
    ],
)
def test_items_are_checked_alone_only_where_that_is_sound(
    schema: dict[str, Any], points: set[str]
) -> None:
    definitions = {
        "List": {"type": "array", "items": {"type": "object"}},
        "P": {"properties": {"next": {"type": "string"}}},
    }
    assert set(_split_points(schema, definitions)) == points


async def test_a_stock_page_sends_what_its_plain_rendering_would(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        response = await http.get(STOCK, params={"limit": 3, "countryCodes": "US"}, headers=BIRD)
        again = await http.get(STOCK, params={"limit": 3, "countryCodes": "US"}, headers=BIRD)
    assert response.status_code == 200
    assert response.content == again.content
    inventory = app.state.mock.providers[0].backend.state.inventory
    items = {i.id: i for i in inventory.scan([("US", "+")], lambda i: not i.testing, 50)[0]}
    plain = [wire.stock_item(items[r["id"]]) for r in response.json()["results"]]
    assert response.json()["results"] == plain
    assert not app.state.mock.failures
