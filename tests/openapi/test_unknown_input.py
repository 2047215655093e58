"""Warnings instead of silence: what a request sends that its operation does not declare.

A query parameter (`countryCodes[]=US`, the bracket style of `qs` and axios; `countryCode`,
the singular of one Bird page) or a body field the schema lets through is ignored, as the
provider ignores it, and warned of: an `X-Mock-Warning` header each, the journal entry's
`warnings`, a warning-level access line. `--strict-unknown` refuses them with the
provider's validation error instead. A body whose schema forbids other fields keeps its
422, and Bird's platform API keeps refusing undeclared query parameters (its docs say so).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from mockserver import ManualClock, Settings, create_app
from mockserver.app import PROVIDERS
from mockserver.logs import ACCESS_LOGGER
from mockserver.openapi.loader import load_spec
from mockserver.providers.base import ProviderFactory, Surface
from mockserver.resources import spec_file
from tests.conftest import START
from tests.contract import test_registration as acme
from tests.support.credentials import AVAILABILITY, BIRD, INVENTORY, LONG_CODES, STOCK, VOBIZ

PLATFORM = {"Authorization": "Bearer bk_eu1_unknown_input_key_00000001"}


async def serve(
    settings: Settings, providers: tuple[ProviderFactory, ...] = PROVIDERS
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=ManualClock(START), providers=providers)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures, [str(f) for f in app.state.mock.failures]


@pytest.fixture
async def strict() -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(Settings(strict_unknown=True)):
        yield client


def warnings_of(response: httpx.Response) -> list[str]:
    return response.headers.get_list("x-mock-warning")


async def test_an_unknown_query_parameter_is_ignored_and_warned_of(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=ACCESS_LOGGER)
    plain = await client.get(STOCK, params={"limit": "5"}, headers=BIRD)
    bracketed = await client.get(
        STOCK,
        params=[("countryCodes[]", "US"), ("countryCode", "US"), ("limit", "5")],
        headers=BIRD,
    )
    # What the provider does: the filter it does not know is no filter at all.
    assert bracketed.status_code == 200
    assert bracketed.json() == plain.json()
    assert warnings_of(plain) == []
    assert warnings_of(bracketed) == [
        'unknown query parameter "countryCodes[]"',
        'unknown query parameter "countryCode"',
    ]
    journal = (await client.get("/_mock/journal", params={"limit": 2})).json()["entries"]
    assert [entry["warnings"] for entry in journal] == [warnings_of(bracketed), []]
    [line] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert line.levelno == logging.WARNING
    assert line.access["warnings"] == warnings_of(bracketed)  # type: ignore[attr-defined]


async def test_each_name_is_warned_of_once_quoted_and_bounded(client: httpx.AsyncClient) -> None:
    many = [("limit", "1"), ("a b", "1"), ("a b", "2"), ("\u00e9\n", "x"), ("x" * 500, "1")]
    many += [(f"extra{i}", "1") for i in range(20)]
    found = await client.get(STOCK, params=tuple(many), headers=BIRD)
    assert found.status_code == 200
    warned = warnings_of(found)
    assert warned[:2] == ['unknown query parameter "a b"', 'unknown query parameter "\\u00e9\\n"']
    assert warned[2] == f'unknown query parameter "{"x" * 100}..."'
    assert len(warned) == 10
    assert warned[-1] == "and 14 more unknown parameters or fields"


async def test_the_other_providers_warn_too(client: httpx.AsyncClient) -> None:
    available = await client.get(
        AVAILABILITY, params={"country": "IN", "countryCode": "IN"}, headers=VOBIZ
    )
    assert available.status_code == 200
    assert warnings_of(available) == ['unknown query parameter "countryCode"']
    inventory = await client.get(INVENTORY, params={"country_code": "IN"}, headers=VOBIZ)
    assert inventory.status_code == 200
    assert warnings_of(inventory) == ['unknown query parameter "country_code"']
    # Bird's platform API refuses them itself ("a query parameter the endpoint does not
    # declare", bird/_generated.py ErrorDetail.param): its 422, no warning.
    platform = await client.get(
        "/v1/numbers/available", params={"country_code": "US", "country": "US"}, headers=PLATFORM
    )
    assert platform.status_code == 422
    assert platform.json()["error"]["details"] == [
        {"param": "country", "message": "is not a parameter of this operation"}
    ]
    assert warnings_of(platform) == []


async def test_strict_unknown_refuses_them_in_each_providers_dialect(
    strict: httpx.AsyncClient,
) -> None:
    bird = await strict.get(STOCK, params={"countryCodes[]": "US"}, headers=BIRD)
    assert (bird.status_code, bird.json()) == (
        422,
        {
            "code": "InvalidPayload",
            "message": "One or more request parameters are malformed",
            "details": {".countryCodes[]": ["is not a parameter of this operation"]},
        },
    )
    vobiz = await strict.get(
        AVAILABILITY, params={"country": "IN", "countryCode": "IN"}, headers=VOBIZ
    )
    assert vobiz.status_code == 422
    assert vobiz.json()["error"]["details"]["errors"] == [
        {
            "field": "countryCode",
            "message": "is not a parameter of this operation",
            "code": "UNKNOWN_FIELD",
        }
    ]
    # The account API answers every validation failure 400 "invalid request" (its docs).
    account = await strict.get(INVENTORY, params={"country_code": "IN"}, headers=VOBIZ)
    assert (account.status_code, account.json()) == (
        400,
        {
            "error": "invalid request",
            "message": "country_code: is not a parameter of this operation",
        },
    )
    assert warnings_of(bird) == warnings_of(vobiz) == warnings_of(account) == []
    # A request that declares everything it sends is served as before.
    assert (await strict.get(STOCK, params={"countryCodes": "US"}, headers=BIRD)).status_code == 200


async def test_a_body_that_forbids_other_fields_keeps_its_422(
    client: httpx.AsyncClient, strict: httpx.AsyncClient
) -> None:
    """Every provider body in the specs says additionalProperties false: the 422 stands."""
    for http in (client, strict):
        refused = await http.post(
            LONG_CODES, json={"numberStockItemIds": ["x"], "extra": 1}, headers=BIRD
        )
        assert refused.status_code == 422
        assert warnings_of(refused) == []
    for name in ("bird-numbers", "bird-platform", "vobiz-numbers", "vobiz-account"):
        spec = load_spec(name, spec_file(f"{name}.yaml"))
        assert [op.operation_id for op in spec.operations if op.body_fields is not None] == []


# --- a body that lets other fields through: the third provider of test_registration, with
# its schema opened -----------------------------------------------------------------------


@pytest.fixture
def open_spec(tmp_path: Path) -> Path:
    document = yaml.safe_load(acme.SPEC.read_text())
    body = document["paths"]["/acme/accounts/{account}/widgets"]["post"]["requestBody"]
    del body["content"]["application/json"]["schema"]["additionalProperties"]
    path = tmp_path / "acme-open.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def open_acme(spec: Path) -> type[acme.AcmeProvider]:
    class OpenAcme(acme.AcmeProvider):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            [surface] = self.surfaces
            fields = {f: getattr(surface, f) for f in Surface.__dataclass_fields__}
            self.surfaces = (Surface(**{**fields, "spec_file": str(spec)}),)

    return OpenAcme


@pytest.mark.parametrize("strict_unknown", [False, True])
async def test_an_undeclared_body_field_is_warned_of_or_refused(
    open_spec: Path, strict_unknown: bool
) -> None:
    providers: tuple[ProviderFactory, ...] = (*PROVIDERS, open_acme(open_spec))
    async for client in serve(Settings(strict_unknown=strict_unknown), providers):
        bought = await client.post(
            acme.WIDGETS, json={"colour": "red", "color": "blue"}, headers=acme.KEY
        )
        if strict_unknown:
            assert bought.status_code == 422
            assert warnings_of(bought) == []
        else:
            assert bought.status_code == 201
            assert bought.json()["colour"] == "red"
            assert warnings_of(bought) == ['unknown body field "color"']
