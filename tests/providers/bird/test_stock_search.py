"""Stock search: every documented filter and its rules, through the HTTP surface."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.scenario import ScenarioError
from tests.conftest import START
from tests.support.credentials import BIRD, LONG_CODES, STOCK, bird_key
from tests.support.scenarios import serve, write_scenario

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


async def search(client: httpx.AsyncClient, **params: object) -> httpx.Response:
    return await client.get(STOCK, params=params, headers=BIRD)  # type: ignore[arg-type]


async def all_pages(client: httpx.AsyncClient, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    token = None
    for _ in range(500):
        query = dict(params, **({"pageToken": token} if token else {}))
        response = await search(client, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["results"])
        token = body.get("nextPageToken")
        if token is None:
            assert "nextPageToken" not in body  # absent on the last page, not null
            return items
    raise AssertionError("paging did not end")


async def test_default_page_has_ten_realistic_items_and_a_next_token(
    client: httpx.AsyncClient,
) -> None:
    body = (await search(client)).json()
    assert len(body["results"]) == 10
    assert isinstance(body["nextPageToken"], str)
    for item in body["results"]:
        assert E164.match(item["numberString"])
        assert item["type"] in ("local", "national", "mobile", "toll-free")
        assert set(item["capabilities"]) >= {"voice", "sms", "mms"}
        price = item["monthlyPrice"]
        assert price["currencyCode"] == "EUR"
        assert price["exponent"] == -6
        assert price["amount"] > 0


async def test_country_codes_take_repeated_query_parameters(client: httpx.AsyncClient) -> None:
    items = await all_pages(client, countryCodes=["US", "NL"], limit=99)
    assert {i["countryCode"] for i in items} == {"US", "NL"}
    us = [i for i in items if i["countryCode"] == "US"]
    assert all(
        str(i["numberString"]).startswith("+1") and len(str(i["numberString"])) == 12 for i in us
    )


async def test_types_filter_is_any_of(client: httpx.AsyncClient) -> None:
    items = await all_pages(client, countryCodes=["GB"], types=["mobile", "toll-free"], limit=99)
    assert {i["type"] for i in items} == {"mobile", "toll-free"}
    assert all(str(i["numberString"]).startswith(("+447", "+44800", "+44808")) for i in items)


async def test_features_filter_requires_all_of_them(client: httpx.AsyncClient) -> None:
    items = await all_pages(
        client, countryCodes=["NL"], features=["whatsapp", "sms-outbound"], limit=99
    )
    assert items
    for item in items:
        caps = item["capabilities"]
        assert caps["whatsapp"] == {"inbound": True, "outbound": True}  # type: ignore[index]
        assert caps["sms"]["outbound"] is True  # type: ignore[index]


@pytest.mark.parametrize("prefix", ["212", "+1212"])
async def test_prefix_accepts_bare_area_code_or_e164(
    client: httpx.AsyncClient, prefix: str
) -> None:
    items = await all_pages(client, countryCodes=["US"], prefix=prefix, limit=99)
    assert items
    assert all(str(i["numberString"]).startswith("+1212") for i in items)


async def test_partial_prefix_matches_every_area_code_below_it(client: httpx.AsyncClient) -> None:
    items = await all_pages(client, countryCodes=["US"], prefix="+121", limit=99)
    area_codes = {str(i["numberString"])[2:5] for i in items}
    assert area_codes
    assert all(code.startswith("21") for code in area_codes)
    assert len(area_codes) > 1


async def test_prefix_without_country_codes_is_422(client: httpx.AsyncClient) -> None:
    response = await search(client, prefix="212")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "InvalidPayload"
    assert body["details"] == {".prefix": ["prefix must be used together with countryCodes"]}


async def test_prefix_that_is_not_digits_is_422(client: httpx.AsyncClient) -> None:
    response = await search(client, prefix="12a", countryCodes="US")
    assert response.status_code == 422
    assert ".prefix" in response.json()["details"]


async def test_testing_numbers_are_only_listed_when_asked_for(client: httpx.AsyncClient) -> None:
    testing = await all_pages(client, countryCodes=["US"], testing="true", limit=99)
    assert testing
    # NANP 555-0100..0199: reserved for fiction (fixtures/reference/numbering.yaml).
    assert all(re.match(r"^\+1[0-9]{3}55501[0-9]{2}$", str(i["numberString"])) for i in testing)
    regular = await all_pages(client, countryCodes=["US"], limit=99)
    assert not {i["id"] for i in testing} & {i["id"] for i in regular}
    assert regular == await all_pages(client, countryCodes=["US"], testing="false", limit=99)


@pytest.mark.parametrize(("limit", "count"), [("1", 1), ("99", 99)])
async def test_limit_bounds(client: httpx.AsyncClient, limit: str, count: int) -> None:
    assert len((await search(client, limit=limit)).json()["results"]) == count


@pytest.mark.parametrize("limit", ["0", "100", "-1", "ten"])
async def test_limit_out_of_bounds_is_422_naming_it(client: httpx.AsyncClient, limit: str) -> None:
    response = await search(client, limit=limit)
    assert response.status_code == 422
    assert list(response.json()["details"]) == [".limit"]


async def test_pages_cover_the_stock_once_in_order(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    items = await all_pages(client, countryCodes=["GB"], limit=7)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    keys = [(i["countryCode"], i["numberString"]) for i in items]
    assert keys == sorted(keys)
    inventory = app.state.mock.providers[0].backend.state.inventory
    expected = inventory.scan([("GB", "+")], lambda item: not item.testing, 10_000)[0]
    assert ids == [item.id for item in expected]


async def test_some_items_need_a_back_order(client: httpx.AsyncClient) -> None:
    items = await all_pages(client, limit=99)
    back = [i for i in items if i["backOrderRequired"]]
    assert back
    assert all(isinstance(i["backOrderStockId"], str) for i in back)
    assert all(i["backOrderStockId"] is None for i in items if not i["backOrderRequired"])


async def test_a_tampered_page_token_is_422(client: httpx.AsyncClient) -> None:
    token = (await search(client, countryCodes="US")).json()["nextPageToken"]
    tampered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    response = await search(client, countryCodes="US", pageToken=tampered)
    assert response.status_code == 422
    assert list(response.json()["details"]) == [".pageToken"]


async def test_a_page_token_of_another_query_is_422(client: httpx.AsyncClient) -> None:
    token = (await search(client, countryCodes="US")).json()["nextPageToken"]
    response = await search(client, countryCodes="NL", pageToken=token)
    assert response.status_code == 422
    assert response.json()["details"][".pageToken"] == [
        "the page token belongs to a different query"
    ]


async def test_unknown_organization_of_a_scenario_tenant_is_404(client: httpx.AsyncClient) -> None:
    other = "/organizations/11111111-1111-4111-8111-111111111111/numbers-stock-items"
    response = await client.get(other, headers=BIRD)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


async def test_an_ad_hoc_tenant_searches_with_any_organization(client: httpx.AsyncClient) -> None:
    other = "/organizations/11111111-1111-4111-8111-111111111111/numbers-stock-items"
    response = await client.get(other, headers=bird_key("searcher"))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 10


async def test_a_stock_of_ten_million_costs_what_is_touched(tmp_path: Path) -> None:
    """A computed stock (seeded_stock.py): 10,000,000 US local numbers start as fast as a
    hundred, page in order, narrow by prefix, sell, and come back at a reset, exactly."""
    countries = {
        "US": {"local": {"count": 10_000_000, "monthlyPrice": "1.00", "features": ["voice"]}},
        "GB": {"mobile": {"count": 1_000_000, "monthlyPrice": "2.00", "features": ["sms"]}},
    }
    path = write_scenario(tmp_path, {"bird": {"stock": {"countries": countries}}})
    async with serve(path, ManualClock(START)) as (app, client):
        inventory = app.state.mock.providers[0].backend.state.inventory
        assert len(inventory) == 11_000_000
        pages = [(await search(client, countryCodes="US", limit=99)).json()]
        pages.append(
            (
                await search(
                    client, countryCodes="US", limit=99, pageToken=pages[0]["nextPageToken"]
                )
            ).json()
        )
        numbers = [i["numberString"] for page in pages for i in page["results"]]
        assert numbers == sorted(set(numbers))
        assert len(numbers) == 198
        assert numbers[0].startswith("+1206")  # the plan's lowest area code
        narrow = (await search(client, countryCodes="US", prefix="917", limit=5)).json()
        assert [i["numberString"][:5] for i in narrow["results"]] == ["+1917"] * 5
        first = pages[0]["results"][0]
        bought = await client.post(
            LONG_CODES, json={"numberStockItemIds": [first["id"]]}, headers=BIRD
        )
        assert bought.status_code == 201, bought.text
        assert len(inventory) == 11_000_000 - 1
        after = (await search(client, countryCodes="US", limit=1)).json()["results"]
        assert after[0]["id"] == pages[0]["results"][1]["id"]
        assert (await client.post("/_mock/reset")).status_code == 200
        assert (await search(client, countryCodes="US", limit=1)).json()["results"][0] == first
        assert len(inventory) == 11_000_000


async def test_a_scenario_asking_more_numbers_than_the_plan_has_is_refused(tmp_path: Path) -> None:
    countries = {"AU": {"toll-free": {"count": 10**8, "monthlyPrice": "1", "features": ["voice"]}}}
    path = write_scenario(tmp_path, {"bird": {"stock": {"countries": countries}}})
    with pytest.raises(ScenarioError, match="toll-free.*fewer than 100,000,000"):
        create_app(Settings(fixtures=path))
