"""Both providers and the control plane over a real uvicorn socket."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import httpx
import pytest

from mockserver import Settings, create_app
from tests.support.credentials import BIRD, LONG_CODES, STOCK, VOBIZ, VOBIZ_API
from tests.support.live import serve

pytestmark = pytest.mark.socket


def test_search_buy_and_order_over_a_socket() -> None:
    app = create_app(Settings(seed=3))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get("/_mock/health").json()["status"] == "ok"
        page = client.get(STOCK, params={"countryCodes": "US", "limit": 2}, headers=BIRD)
        assert page.status_code == 200
        ids = [item["id"] for item in page.json()["results"]]
        bought = client.post(LONG_CODES, json={"numberStockItemIds": ids}, headers=BIRD)
        assert bought.status_code == 201
        assert len(bought.json()["results"]) == 2
        order = {"country_code": "US", "region": "NY", "number_type": "local", "currency": "USD"}
        placed = client.post(f"{VOBIZ_API}/numbers/whatsapp/orders", json=order, headers=VOBIZ)
        assert placed.status_code == 201
        assert placed.json()["selected_phone_number"].startswith("+1")
        refused = client.post(
            LONG_CODES, content=b"{", headers={**BIRD, "content-type": "application/json"}
        )
        assert refused.status_code == 422
        served = client.get("/_mock/specs/bird.json").json()
        assert served["servers"] == [{"url": base_url}]
    assert app.state.mock.failures == []


def test_a_request_target_over_64_kib_gets_the_providers_answer() -> None:
    """Bird allows an 8000-character pageToken; percent-encoded it can take 96 KB, past what
    uvicorn's URL parser takes (mockserver/serving.py). It must reach the edge and get Bird's
    422 for a token the mock never issued, not the HTTP layer's bare 400. (http.client:
    httpx refuses to build a URL this long.)"""
    app = create_app(Settings(seed=3))
    token = quote("\U00044ecc" * 8000)  # 4 UTF-8 bytes, 12 percent-encoded, per character
    target = f"{LONG_CODES}?pageToken={token}"
    assert len(target) > 0xFFFF
    with serve(app) as base_url:
        connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
        connection.request("GET", target, headers=BIRD)
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
    assert response.status == 422
    assert response.getheader("content-type", "").startswith("application/json")
    assert body["code"] == "InvalidPayload"
    assert set(body["details"]) == {".pageToken"}
    assert app.state.mock.failures == []
