"""The validating edge answers every failure in the provider's own dialect, never a 500."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver.exchange import Reply
from tests.support.credentials import BIRD, BIRD_WS, LONG_CODES, STOCK, VOBIZ, VOBIZ_API


@dataclass(frozen=True)
class Target:
    """One provider's body-taking operation and how its errors look."""

    name: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    malformed_status: int

    def code(self, response: httpx.Response) -> str:
        body = response.json()
        if self.name == "vobiz":
            assert set(body) == {"status", "error", "timestamp", "requestId"}
            assert body["status"] == "error"
            assert body["requestId"] == response.headers["x-request-id"]
            return str(body["error"]["code"])
        assert set(body) <= {"code", "message", "details"}
        assert len(body["message"]) >= 5
        return str(body["code"])


BIRD_BUY = Target("bird", LONG_CODES, BIRD, {"numberStockItemIds": []}, 422)
VOBIZ_ORDER = Target(
    "vobiz",
    f"{VOBIZ_API}/numbers/whatsapp/orders",
    VOBIZ,
    {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"},
    400,
)
TARGETS = [pytest.param(BIRD_BUY, id="bird"), pytest.param(VOBIZ_ORDER, id="vobiz")]


@pytest.mark.parametrize("target", TARGETS)
async def test_no_credentials_is_401(client: httpx.AsyncClient, target: Target) -> None:
    response = await client.post(target.path, json=target.body)
    assert response.status_code == 401
    assert target.code(response) in ("Unauthorized", "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "AccessKey short"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "AccessKey"},
    ],
)
async def test_malformed_bird_credentials_are_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(STOCK, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Auth-ID": "MA_ACME0001"},
        {"X-Auth-Token": "test_vobiz_acme_auth_token_00000"},
        {"X-Auth-ID": "acme", "X-Auth-Token": "test_vobiz_acme_auth_token_00000"},
        {"X-Auth-ID": "MA_ACME0001", "X-Auth-Token": "wrong_token_for_acme"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
async def test_missing_or_wrong_vobiz_credentials_are_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(f"{VOBIZ_API}/channels/whatsapp", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    ("path", "dialect_key"),
    [("/organizations/x/unknown", "code"), ("/nope", "code"), (f"{VOBIZ_API}/nope", "status")],
)
async def test_unknown_paths_are_404_in_the_dialect_of_their_prefix(
    client: httpx.AsyncClient, path: str, dialect_key: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert dialect_key in response.json()


@pytest.mark.parametrize("target", TARGETS)
async def test_an_undeclared_method_is_405_with_allow(
    client: httpx.AsyncClient, target: Target
) -> None:
    response = await client.patch(target.path, headers=target.headers)
    assert response.status_code == 405
    assert target.code(response) in ("MethodNotAllowed", "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, HEAD, POST"  # HEAD: GET without the body


@pytest.mark.parametrize("target", TARGETS)
async def test_an_oversized_body_is_413(client: httpx.AsyncClient, target: Target) -> None:
    body = json.dumps({"padding": "x" * (1024 * 1024)}).encode()
    headers = {**target.headers, "content-type": "application/json"}
    response = await client.post(target.path, content=body, headers=headers)
    assert response.status_code == 413
    assert target.code(response) in ("PayloadTooLarge", "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_media_is_415(
    client: httpx.AsyncClient, target: Target, content_type: str | None
) -> None:
    headers = dict(target.headers)
    if content_type:
        headers["content-type"] = content_type
    response = await client.post(target.path, content=json.dumps(target.body), headers=headers)
    assert response.status_code == 415
    assert target.code(response) in ("UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "raw", [b"{bad", b"\xff\xfe\x00{", b"[" * 5000 + b"]" * 5000, b'{"a": 1} trailing']
)
async def test_malformed_json_is_answered_in_the_dialect(
    client: httpx.AsyncClient, target: Target, raw: bytes
) -> None:
    headers = {**target.headers, "content-type": "application/json; charset=utf-8"}
    response = await client.post(target.path, content=raw, headers=headers)
    assert response.status_code == target.malformed_status
    assert target.code(response) in ("InvalidPayload", "MALFORMED_JSON")


async def test_a_required_body_that_is_missing_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(LONG_CODES, headers=BIRD)
    assert response.status_code == 422
    assert response.json()["details"] == {".": ["a request body is required"]}


async def test_unsupported_properties_are_named_at_their_parent_path(
    client: httpx.AsyncClient,
) -> None:
    body = {"numberStockItemIds": ["00000000-0000-4000-8000-000000000000"], "listId": 1}
    response = await client.post(LONG_CODES, json=body, headers=BIRD)
    assert response.status_code == 422
    assert response.json()["details"] == {".": ['property "listId" is unsupported']}


async def test_vobiz_validation_errors_list_fields_with_codes(client: httpx.AsyncClient) -> None:
    body = {"phone_number": "98765", "verification_method": "fax", "extra": True}
    path = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/verify"
    response = await client.post(path, json=body, headers=VOBIZ)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    by_field = {(e["field"], e["code"]) for e in error["details"]["errors"]}
    assert by_field == {
        ("phone_number", "INVALID_FORMAT"),
        ("verification_method", "INVALID_VALUE"),
        ("body", "UNKNOWN_FIELD"),
    }


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    ok = await client.get(STOCK, headers=BIRD)
    failed = await client.get(STOCK)
    ids = {ok.headers["x-request-id"], failed.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(i.startswith("req_") and len(i) == 16 for i in ids)


async def test_a_handler_that_breaks_the_spec_is_reported_loudly(app: Starlette) -> None:
    [bird] = [s for s in app.state.mock.providers[0].surfaces if s.name == "bird"]
    bird.handlers["listWorkspaceLongCodeNumbers"] = lambda call: Reply(200, {"results": "oops"})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.get(f"/workspaces/{BIRD_WS}/numbers-long-code", headers=BIRD)
    assert response.status_code == 500
    assert response.json()["code"] == "InternalError"
    [failure] = app.state.mock.failures
    assert failure.operation_id == "listWorkspaceLongCodeNumbers"
    assert any("results" in problem for problem in failure.problems)


async def test_a_handler_that_crashes_is_a_dialect_500_and_reported(app: Starlette) -> None:
    [vobiz] = [s for s in app.state.mock.providers[1].surfaces if s.name == "vobiz"]

    def crash(call: object) -> Reply:
        raise RuntimeError("boom")

    vobiz.handlers["listWhatsAppChannels"] = crash
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.get(f"{VOBIZ_API}/channels/whatsapp", headers=VOBIZ)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "RuntimeError: boom" in app.state.mock.failures[0].problems[0]
