"""How deliveries are signed and where they may go (mockserver/webhooks/signing.py, urls.py),
against independent implementations of the documented schemes and the official SDK."""

from __future__ import annotations

import base64
import time

import bird
import pytest
from bird._exceptions import WebhookVerificationError
from hypothesis import given, strategies as st

from mockserver.webhooks import signing, urls
from tests.webhooks.independent import bird_valid, platform_valid

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
URL = "https://example.com/webhooks/bird?x=1"


@given(st.binary(max_size=512), st.text(min_size=1, max_size=64), st.integers(0, 2**40))
def test_the_messagebird_signature_is_the_documented_one(
    body: bytes, key: str, timestamp: int
) -> None:
    headers = dict(signing.sign(signing.MESSAGEBIRD, [key], "req-1", timestamp, URL, body))
    assert headers["messagebird-request-id"] == "req-1"
    assert headers["messagebird-request-timestamp"] == str(timestamp)
    assert bird_valid(headers, body, URL, key)
    assert not bird_valid(headers, body + b" ", URL, key)
    assert not bird_valid(headers, body, URL + "&y=2", key)
    assert signing.verify(headers, body, URL, [key]).valid is True


@given(st.binary(max_size=512), st.integers(0, 2**40))
def test_the_standard_webhooks_signature_is_the_documented_one(body: bytes, timestamp: int) -> None:
    headers = dict(signing.sign(signing.STANDARD_WEBHOOKS, [SECRET], "msg_1", timestamp, URL, body))
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    assert platform_valid(headers, body, SECRET)
    assert not platform_valid(headers, body[:-1] + b"!", SECRET) or body.endswith(b"!")


def test_the_sdk_unwraps_what_the_mock_signs_with_two_secrets_in_force() -> None:
    old = "whsec_" + base64.b64encode(b"x" * 32).decode()
    body = b'{"type":"sms.brand_new","timestamp":"2026-03-01T10:00:00Z","data":{"n":1}}'
    now = int(time.time())
    headers = dict(signing.sign(signing.STANDARD_WEBHOOKS, [SECRET, old], "msg_2", now, URL, body))
    assert len(headers["webhook-signature"].split()) == 2
    client = bird.Bird(api_key="bk_eu1_" + "a" * 32, base_url="http://127.0.0.1:9")
    for secret in (SECRET, old):
        event = client.webhooks.unwrap(body, headers, secret=secret)
        assert event.root.type == "sms.brand_new"
    other = "whsec_" + base64.b64encode(b"y" * 32).decode()
    with pytest.raises(WebhookVerificationError, match="no matching v1 signature"):
        client.webhooks.unwrap(body, headers, secret=other)


def test_an_unsigned_or_unknown_message_says_so() -> None:
    body = b"{}"
    unsigned = dict(signing.sign(signing.MESSAGEBIRD, [], "req-2", 1, URL, body))
    assert "messagebird-signature" not in unsigned
    assert signing.verify(unsigned, body, URL, []).valid is None
    assert signing.verify(unsigned, body, URL, None).valid is None
    assert signing.verify({}, body, URL, ["k"]).scheme is None
    forged = {**unsigned, "messagebird-signature": base64.b64encode(b"x" * 32).decode()}
    assert signing.verify(forged, body, URL, ["k"]).valid is False


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.com/hook", False),
        ("http://example.com/hook", True),  # a production-looking host: https only
        ("http://localhost:8000/hook", False),
        ("http://127.0.0.1:9/hook", False),
        ("http://[::1]:9/hook", False),
        ("http://10.1.2.3/hook", False),
        ("http://192.168.0.10:3000/", False),
        ("http://app:8000/webhooks", False),  # a Docker service name
        ("http://receiver.internal/hook", False),
        ("http://mock.ci.example.com/_mock/inbox/a", False),  # the mock's own inbox
        ("ftp://example.com/hook", True),
        ("https:///nohost", True),
        ("http://8.8.8.8/hook", True),
    ],
)
def test_https_holds_for_production_looking_hosts_only(url: str, problem: bool) -> None:
    assert (urls.problem(url) is not None) is problem


@pytest.mark.parametrize(
    ("url", "egress", "sent"),
    [
        ("https://example.com/", "any", True),
        ("https://example.com/", "private", False),
        ("http://app:8000/", "private", True),
        ("http://10.0.0.1/", "private", True),
        ("http://10.0.0.1/", "loopback", False),
        ("http://localhost:1/", "loopback", True),
        ("http://127.0.0.1:1/", "none", False),
        ("http://anything.example/_mock/inbox/x", "none", True),
    ],
)
def test_egress_decides_from_the_host_as_written(url: str, egress: str, sent: bool) -> None:
    assert (urls.egress_refusal(url, egress) is None) is sent
