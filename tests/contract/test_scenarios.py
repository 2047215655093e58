"""Scenarios by name (`--scenario ci-strict`), one-provider scenario files, the built-in
`empty` scenario, and a schema error report that lists every problem at its own line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from mockserver import ManualClock, Settings, create_app
from mockserver.resources import data_dir
from mockserver.scenario import (
    ScenarioError,
    built_in_scenarios,
    load_scenario,
    resolve_scenario,
)
from tests.conftest import START

BIRD = {"Authorization": "AccessKey test_bird_acme_access_key_0000000"}
VOBIZ = {"X-Auth-ID": "MA_ACME0001", "X-Auth-Token": "test_vobiz_acme_auth_token_00000"}
ORG = "d0b85ccc-b63a-4e81-b698-c359d77d250e"
ORDER = {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"}


def test_the_built_in_scenarios_are_the_shipped_files_default_first() -> None:
    found = built_in_scenarios()
    assert [s.name for s in found] == ["default", "ci-strict", "empty"]
    for scenario in found:
        assert scenario.path == data_dir("fixtures") / f"{scenario.name}.yaml"
        assert load_scenario(scenario.name).name == scenario.name
        # One line, one sentence: what `mockserver scenarios` prints.
        assert scenario.description.endswith(".")
        assert "\n" not in scenario.description
        assert scenario.description.count(". ") == 0, scenario.description


def test_a_name_is_a_built_in_scenario_and_anything_else_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_scenario("ci-strict") == data_dir("fixtures") / "ci-strict.yaml"
    assert resolve_scenario(None) is None
    assert resolve_scenario("./mine.yaml") == Path("./mine.yaml")
    mine = tmp_path / "mine"
    mine.write_text("name: mine\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("mine") == Path("mine")  # an existing file without a suffix
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario("ci-stric")
    message = str(caught.value)
    assert "no built-in scenario named 'ci-stric'" in message
    assert "default, ci-strict, empty" in message
    assert "mockserver scenarios" in message


def test_settings_take_a_name_and_the_deprecated_fixtures_path_still_works() -> None:
    assert create_app(Settings(scenario="ci-strict")).state.mock.scenario.name == "ci-strict"
    strict = data_dir("fixtures") / "ci-strict.yaml"
    assert create_app(Settings(fixtures=strict)).state.mock.scenario.name == "ci-strict"
    # Both given: the new spelling wins.
    both = Settings(scenario="empty", fixtures=strict)
    assert create_app(both).state.mock.scenario.name == "empty"


@pytest.mark.parametrize("kept", ["bird", "vobiz"])
def test_a_one_provider_scenario_gives_the_other_provider_its_defaults(
    tmp_path: Path, kept: str
) -> None:
    strict = yaml.safe_load((data_dir("fixtures") / "ci-strict.yaml").read_text())
    path = tmp_path / "half.yaml"
    path.write_text(yaml.safe_dump({"name": "half", kept: strict[kept]}))
    scenario = load_scenario(path)
    default = load_scenario()
    assert scenario.section(kept) == strict[kept]
    other = "vobiz" if kept == "bird" else "bird"
    assert scenario.section(other) == default.section(other)
    app = create_app(Settings(scenario=str(path)))
    wallets = {w.tenant for p in app.state.mock.providers for w in p.wallets()}
    # The kept provider's tenants are the strict scenario's, the other's the default's.
    if kept == "bird":
        assert {"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "MA_ACME0001"} <= wallets
    else:
        assert {"d386a801-ee8d-4aba-a7e4-78671bd3b11e", "MA_CI000001"} <= wallets


def test_every_schema_error_is_reported_at_its_own_key(tmp_path: Path) -> None:
    text = (data_dir("fixtures") / "ci-strict.yaml").read_text()
    broken = (
        text.replace("  currency: EUR\n", "  currency: EUR\n  colour: blue\n", 1)
        .replace("    ttlSeconds: 60\n", "    ttlSeconds: soon\n    ttl: 60\n", 1)
        .replace("    completedAfterSeconds: 10\n", "    completedAfterSeconds: -1\n", 1)
        .replace("    codeLength: 6\n", "    codeLength: 6\n    codeLenght: 6\n", 1)
    )
    lines = broken.splitlines()

    def line_of(fragment: str) -> int:
        [number] = [i + 1 for i, line in enumerate(lines) if line.strip().startswith(fragment)]
        return number

    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    expected = {
        (line_of("colour:"), "bird.colour"),
        (line_of("ttlSeconds: soon"), "bird.reservations.ttlSeconds"),
        (line_of("ttl: 60"), "bird.reservations.ttl"),
        (line_of("completedAfterSeconds: -1"), "vobiz.orders.completedAfterSeconds"),
        (line_of("codeLenght:"), "vobiz.otp.codeLenght"),
    }
    found = set()
    for problem in problems:
        where, setting, _ = problem.split(": ", 2)
        assert where.startswith(f"{path}:"), problem
        found.add((int(where.rsplit(":", 1)[1]), setting))
    assert found == expected, problems
    # In file order, all of them in the message, no "and N more".
    assert [int(p.split(": ")[0].rsplit(":", 1)[1]) for p in problems] == sorted(
        n for n, _ in expected
    )
    message = str(caught.value)
    assert message.splitlines()[0] == f"{path}: 5 problems:"
    assert all(problem in message for problem in problems)
    assert "more)" not in message


def test_a_single_problem_is_one_line(tmp_path: Path) -> None:
    text = (data_dir("fixtures") / "ci-strict.yaml").read_text()
    path = tmp_path / "one.yaml"
    path.write_text(text.replace("  currency: EUR\n", "  currency: EUR\n  colour: blue\n", 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == f"{path}:16: bird.colour: not a setting here"
    assert caught.value.problems == (str(caught.value),)


@pytest.fixture
async def empty() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(scenario="empty"), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        yield http
    assert not app.state.mock.failures


async def test_the_empty_scenario_has_the_default_tenants_and_nothing_to_sell(
    empty: httpx.AsyncClient,
) -> None:
    stock = await empty.get(
        f"/organizations/{ORG}/numbers-stock-items", params={"countryCodes": "US"}, headers=BIRD
    )
    assert (stock.status_code, stock.json()) == (200, {"results": []})
    availability = await empty.get(
        "/api/v1/messaging/numbers/whatsapp/availability", params={"country": "IN"}, headers=VOBIZ
    )
    assert (availability.status_code, availability.json()) == (200, {"items": []})
    order = await empty.post("/api/v1/messaging/numbers/whatsapp/orders", json=ORDER, headers=VOBIZ)
    assert order.status_code == 404
    assert order.json()["error"]["code"] == "NUMBERS_UNAVAILABLE"
    platform = {"Authorization": "Bearer bk_eu1_my_test_key_00000001"}
    available = await empty.get(
        "/v1/numbers/available", params={"country_code": "GB"}, headers=platform
    )
    assert (available.status_code, available.json()["data"]) == (200, [])
    wallets = (await empty.get("/_mock/wallets")).json()["wallets"]
    assert {w["tenant"] for w in wallets} >= {"d386a801-ee8d-4aba-a7e4-78671bd3b11e", "MA_ACME0001"}
