"""Subscribe a receiver to api.bird.com's numbers event, buy a number, move the mock's clock
and verify every delivery's `messagebird-signature` as Bird documents it. Start the mock
with `mockserver --clock manual` (or set NUMBERS_MOCK_URL), then run this file."""

import base64
import hashlib
import hmac
import json
import os
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

MOCK = os.environ.get("NUMBERS_MOCK_URL", "http://localhost:8080")
ORG, WS = "d0b85ccc-b63a-4e81-b698-c359d77d250e", "d386a801-ee8d-4aba-a7e4-78671bd3b11e"
BIRD = {"Authorization": "AccessKey test_bird_acme_access_key_0000000"}
KEY = "my-signing-key"
received: "queue.Queue[tuple[dict[str, str], bytes]]" = queue.Queue()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # what your webhook handler receives
        body = self.rfile.read(int(self.headers["content-length"]))
        received.put(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def valid(url: str, headers: dict[str, str], body: bytes) -> bool:
    """https://docs.bird.com/api/notifications-api/api-reference/webhook-subscriptions/
    verifying-a-webhook-subscription: HMAC-SHA256 keyed by the signingKey over
    timestamp + "\\n" + requestURL + "\\n" + SHA256(rawBody), base64 in the header."""
    signed = f"{headers['messagebird-request-timestamp']}\n{url}\n".encode()
    signed += hashlib.sha256(body).digest()
    expected = hmac.new(KEY.encode(), signed, hashlib.sha256).digest()
    return hmac.compare_digest(expected, base64.b64decode(headers["messagebird-signature"]))


def main() -> list[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/bird-hooks"  # http: a loopback host
    with httpx.Client(base_url=MOCK, headers=BIRD) as bird:
        subscription = {"service": "numbers", "event": "endpoint.updated", "url": url}
        bird.post(
            f"/organizations/{ORG}/workspaces/{WS}/webhook-subscriptions",
            json={**subscription, "signingKey": KEY},
        ).raise_for_status()
        stock = bird.get(f"/organizations/{ORG}/numbers-stock-items", params={"countryCodes": "US"})
        item = stock.json()["results"][0]["id"]
        bought = bird.post(
            f"/workspaces/{WS}/numbers-long-code", json={"numberStockItemIds": [item]}
        )
        bought.raise_for_status()
        bird.post("/_mock/clock/advance", json={"seconds": 60}).raise_for_status()
    seen = []
    for _ in range(3):  # bought (submitted), processing, fulfilled and provisioned
        headers, body = received.get(timeout=10)
        assert valid(url, headers, body), "the signature does not match"
        payload = json.loads(body)["payload"]
        seen.append(f"{payload['number']['order']['status']}/{payload['provisioningStatus']}")
        sys.stdout.write(f"{headers['messagebird-request-id']} {seen[-1]} signature valid\n")
    server.shutdown()
    server.server_close()
    return seen


if __name__ == "__main__":
    main()
