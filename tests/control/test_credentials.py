"""`GET /_mock/credentials` and `mockserver credentials`: the scenario's credentials and
ids per provider and API, each of which opens the tenant it names; the ad-hoc rules."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mockserver import ManualClock, Settings, create_app
from mockserver.transport import sync_asgi_transport
from tests.conftest import START

TOKEN = "s3cret-token-for-tests"
# Requests per API that only its tenant's credentials can make, with the ids they list.
PROBES = {
    "bird": [
        "/organizations/{organizationId}/numbers-stock-items?countryCodes=US",
        "/workspaces/{workspaceId}/numbers-long-code",
    ],
    "bird-platform": ["/v1/numbers"],
    "vobiz": ["/api/v1/messaging/numbers/whatsapp/orders"],
    "vobiz-account": ["/api/v1/account/{authId}/numbers"],
}


@pytest.fixture(params=["default", "ci-strict", "empty"])
async def mock(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(scenario=request.param, control_token=TOKEN)
    app = create_app(settings, clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


def control(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_each_listed_credential_opens_its_tenant(mock: httpx.AsyncClient) -> None:
    listed = (await mock.get("/_mock/credentials", headers=control())).json()
    health = (await mock.get("/_mock/health")).json()
    assert listed["scenario"] == health["scenario"]
    assert [p["provider"] for p in listed["providers"]] == ["bird", "vobiz"]
    tried = set()
    for provider in listed["providers"]:
        assert provider["credentials"], provider["provider"]
        for credential in provider["credentials"]:
            for surface in credential["surfaces"]:
                if credential["kind"].startswith("OAuth"):
                    paths = ["/v1/organization/billing/wallets"]
                else:
                    paths = [path.format(**credential["ids"]) for path in PROBES[surface]]
                for path in paths:
                    answer = await mock.get(path, headers=credential["headers"])
                    assert answer.status_code == 200, (credential, path, answer.text)
                tried.add(surface)
    wallets = (await mock.get("/_mock/wallets", headers=control())).json()["wallets"]
    held = {w["tenant"] for w in wallets}
    ids = {
        value
        for provider in listed["providers"]
        for credential in provider["credentials"]
        for name, value in credential["ids"].items()
        if name in ("workspaceId", "authId")
    }
    assert ids <= held, ids - held
    assert {"bird", "vobiz", "vobiz-account"} <= tried


async def test_ad_hoc_rules_follow_the_scenario(mock: httpx.AsyncClient) -> None:
    listed = (await mock.get("/_mock/credentials", headers=control())).json()
    scenario = listed["scenario"]
    ad_hoc = {s for p in listed["providers"] for a in p["adHoc"] for s in a["surfaces"]}
    if scenario == "ci-strict":  # ad-hoc tenants are off there: only the listed keys work
        assert ad_hoc == set()
    else:
        assert ad_hoc == {"bird", "bird-platform", "vobiz", "vobiz-account"}
        [bird] = [a for p in listed["providers"] for a in p["adHoc"] if a["surfaces"] == ["bird"]]
        assert bird["opens"] == "each workspace with a 100.00 EUR wallet"


async def test_it_is_behind_the_control_token_and_takes_a_provider(
    mock: httpx.AsyncClient,
) -> None:
    refused = await mock.get("/_mock/credentials")
    assert refused.status_code == 401
    assert refused.json()["code"] == "control-token-required"
    vobiz = (await mock.get("/_mock/credentials?provider=vobiz", headers=control())).json()
    assert [p["provider"] for p in vobiz["providers"]] == ["vobiz"]
    unknown = await mock.get("/_mock/credentials?provider=twilio", headers=control())
    assert unknown.status_code == 422


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "credentials", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("scenario", ["default", "ci-strict"])
def test_the_cli_prints_what_the_endpoint_lists_without_a_server(scenario: str) -> None:
    app = create_app(Settings(scenario=scenario))
    with (
        sync_asgi_transport(app) as transport,
        httpx.Client(transport=transport, base_url="http://mock") as client,
    ):
        served: dict[str, Any] = client.get("/_mock/credentials").json()
    printed = cli("--scenario", scenario, "--json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == served
    text = cli("--scenario", scenario)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"Scenario {scenario!r}\n")
    for provider in served["providers"]:
        for credential in provider["credentials"]:
            for name, value in credential["headers"].items():
                assert f"  {name}: {value}\n" in text.stdout
            for name, value in credential["ids"].items():
                assert f"  {name} {value}\n" in text.stdout


def test_the_cli_refuses_an_unknown_scenario() -> None:
    result = cli("--scenario", "nowhere")
    assert result.returncode == 2
    assert result.stderr.startswith("mockserver: error: no built-in scenario named 'nowhere'")
    assert result.stdout == ""


async def test_the_control_clients_read_them(mock: httpx.AsyncClient) -> None:
    from mockserver import AsyncMockControl

    control = AsyncMockControl(mock, token=TOKEN)
    listed = await control.credentials()
    assert (
        listed
        == (
            await mock.get("/_mock/credentials", headers={"Authorization": f"Bearer {TOKEN}"})
        ).json()
    )
    only = await control.credentials("bird")
    assert [p["provider"] for p in only["providers"]] == ["bird"]


def test_the_sync_control_client_reads_them() -> None:
    from mockserver import MockControl

    app = create_app(Settings(scenario="ci-strict"))
    with (
        sync_asgi_transport(app) as transport,
        httpx.Client(transport=transport, base_url="http://mock") as client,
    ):
        listed = MockControl(client).credentials()
    assert listed["scenario"] == "ci-strict"
    [vobiz] = [p for p in listed["providers"] if p["provider"] == "vobiz"]
    assert vobiz["credentials"][0]["headers"]["X-Auth-ID"] == "MA_CI000001"
