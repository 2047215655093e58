"""The two ways a delivery is signed, as each Bird API documents it (pure functions).

- `messagebird` (api.bird.com webhook subscriptions with a `signingKey`,
  https://docs.bird.com/api/notifications-api/api-reference/webhook-subscriptions/
  verifying-a-webhook-subscription): `messagebird-signature` is the base64 of
  HMAC-SHA256, keyed by the signing key, over `timestamp + "\\n" + requestURL + "\\n" +
  SHA256(rawBody)` (the body's digest as raw bytes), beside `messagebird-request-timestamp`
  and `messagebird-request-id`.
- `standard-webhooks` (the platform API's `/v1/webhooks`, bird/resources/webhooks.py
  `_verify_and_parse`): `webhook-signature` is a space-separated list of `v1,<base64 of
  HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}">`, keyed by the base64
  decoding of the secret after its `whsec_` prefix, one entry per secret in force (two
  while a rotated secret still signs).

The inbox (control plane) verifies what it receives with `verify`, and the delivery engine
signs each attempt with `sign`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MESSAGEBIRD = "messagebird"
STANDARD_WEBHOOKS = "standard-webhooks"
SCHEMES = (MESSAGEBIRD, STANDARD_WEBHOOKS)


def messagebird_signature(key: str, timestamp: str, url: str, body: bytes) -> str:
    """The `messagebird-signature` of a request: what Bird's PHP example computes with
    `hash_hmac('sha256', sprintf("%s\\n%s\\n%s", $ts, $url, hash('sha256', $body, true)),
    $signingKey, true)`, in base64."""
    payload = timestamp.encode() + b"\n" + url.encode() + b"\n" + hashlib.sha256(body).digest()
    digest = hmac.new(key.encode(), payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def secret_key(secret: str) -> bytes:
    """A `whsec_` secret's HMAC key: the base64 after the prefix. Raises ValueError."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ and base64") from None


def standard_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """One `v1,<base64>` entry of `webhook-signature`."""
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(
    scheme: str,
    keys: Sequence[str],
    message_id: str,
    timestamp: int,
    url: str,
    body: bytes,
) -> list[tuple[str, str]]:
    """The headers that sign one attempt (besides content-type): the message id and the
    timestamp always, the signature when there is a key to sign with."""
    stamp = str(timestamp)
    if scheme == MESSAGEBIRD:
        headers = [("messagebird-request-id", message_id), ("messagebird-request-timestamp", stamp)]
        if keys:
            headers.append(
                ("messagebird-signature", messagebird_signature(keys[0], stamp, url, body))
            )
        return headers
    if scheme == STANDARD_WEBHOOKS:
        headers = [("webhook-id", message_id), ("webhook-timestamp", stamp)]
        if keys:
            entries = " ".join(standard_signature(key, message_id, stamp, body) for key in keys)
            headers.append(("webhook-signature", entries))
        return headers
    raise ValueError(f"unknown signing scheme {scheme!r} (known: {', '.join(SCHEMES)})")


@dataclass(frozen=True, slots=True)
class Verification:
    """What checking a received request's signature found."""

    scheme: str | None  # which scheme its headers use (None: neither)
    valid: bool | None  # None: nothing to check against (unsigned, or no key known)
    detail: str


def scheme_of(headers: Mapping[str, str]) -> str | None:
    """Which scheme a request's (lower-case) headers speak."""
    if "webhook-id" in headers or "webhook-signature" in headers:
        return STANDARD_WEBHOOKS
    if "messagebird-request-id" in headers or "messagebird-signature" in headers:
        return MESSAGEBIRD
    return None


def message_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("webhook-id") or headers.get("messagebird-request-id")


def verify(
    headers: Mapping[str, str], body: bytes, url: str, keys: Sequence[str] | None
) -> Verification:
    """Check a received request (headers with lower-case names, the raw body, the full URL it
    was sent to) against the keys of the subscription it came from (None: unknown)."""
    scheme = scheme_of(headers)
    if scheme is None:
        return Verification(None, None, "no messagebird-* or webhook-* headers: not signed")
    if keys is None:
        return Verification(scheme, None, "no subscription of this mock sent this message id")
    if scheme == MESSAGEBIRD:
        return _verify_messagebird(headers, body, url, keys)
    return _verify_standard(headers, body, keys)


def _verify_messagebird(
    headers: Mapping[str, str], body: bytes, url: str, keys: Sequence[str]
) -> Verification:
    given = headers.get("messagebird-signature")
    if not keys:
        if given is None:
            return Verification(MESSAGEBIRD, None, "the subscription has no signingKey: unsigned")
        return Verification(MESSAGEBIRD, False, "signed, but the subscription has no signingKey")
    stamp = headers.get("messagebird-request-timestamp")
    if given is None or stamp is None:
        return Verification(MESSAGEBIRD, False, "messagebird-signature or its timestamp missing")
    try:
        received = base64.b64decode(given, validate=True)
    except binascii.Error:
        return Verification(MESSAGEBIRD, False, "messagebird-signature is not base64")
    for key in keys:
        expected = base64.b64decode(messagebird_signature(key, stamp, url, body))
        if hmac.compare_digest(received, expected):
            return Verification(MESSAGEBIRD, True, "messagebird-signature matches the signingKey")
    return Verification(MESSAGEBIRD, False, "messagebird-signature does not match the signingKey")


def _verify_standard(headers: Mapping[str, str], body: bytes, keys: Sequence[str]) -> Verification:
    msg_id, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    entries = headers.get("webhook-signature")
    if not (msg_id and stamp and entries):
        return Verification(
            STANDARD_WEBHOOKS, False, "webhook-id, webhook-timestamp or webhook-signature missing"
        )
    expected = {standard_signature(key, msg_id, stamp, body) for key in keys}
    for entry in entries.split():
        if any(hmac.compare_digest(entry, want) for want in expected):
            return Verification(STANDARD_WEBHOOKS, True, "a v1 webhook-signature matches a secret")
    return Verification(STANDARD_WEBHOOKS, False, "no v1 webhook-signature matches a secret")
