"""The mock serves its specs with `servers` pointing at itself, so tools work unedited."""

from __future__ import annotations

import httpx
import pytest
import yaml

from mockserver.resources import spec_file

FILES = {
    "bird": "bird-numbers.yaml",
    "bird-platform": "bird-platform.yaml",
    "vobiz": "vobiz-numbers.yaml",
    "vobiz-account": "vobiz-account.yaml",
}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
async def test_specs_are_served_with_the_mock_as_server(
    client: httpx.AsyncClient, name: str, fmt: str
) -> None:
    response = await client.get(f"/_mock/specs/{name}.{fmt}")
    assert response.status_code == 200
    served = response.json() if fmt == "json" else yaml.safe_load(response.text)
    assert served["servers"] == [{"url": "http://mock"}]
    with spec_file(FILES[name]).open() as handle:
        original = yaml.safe_load(handle)
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in original.items() if k != "servers"
    }


async def test_an_unknown_spec_is_a_problem_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/_mock/specs/twilio.json")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "bird.json" in response.json()["detail"]


async def test_health_needs_no_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/_mock/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["scenario"] == "default"
    assert body["seed"] == 1
    assert body["providers"] == ["bird", "vobiz"]
