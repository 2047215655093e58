"""The two signature schemes written again from their documentation, independently of
mockserver/webhooks/signing.py, so the tests check the mock against the docs, not itself.

- api.bird.com (https://docs.bird.com/api/notifications-api/api-reference/webhook-
  subscriptions/verifying-a-webhook-subscription): bodyHash = SHA256(rawBody) (raw bytes);
  payload = timestamp + "\\n" + requestURL + "\\n" + bodyHash; signature = HMAC_SHA256(key =
  signingKey, msg = payload); valid = constant_time_eq(signature, base64decode(header)).
- The platform API (Standard Webhooks, bird/resources/webhooks.py): v1,<base64 HMAC-SHA256
  over "{id}.{timestamp}.{body}"> keyed by base64decode(secret without "whsec_").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def bird_valid(headers: Mapping[str, str], body: bytes, url: str, signing_key: str) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered["messagebird-request-timestamp"]
    body_hash = hashlib.sha256(body).digest()
    payload = b"%s\n%s\n%s" % (timestamp.encode(), url.encode(), body_hash)
    expected = hmac.new(signing_key.encode(), payload, hashlib.sha256).digest()
    given = base64.b64decode(lowered["messagebird-signature"])
    return hmac.compare_digest(expected, given)


def platform_valid(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    key = base64.b64decode(secret[len("whsec_") :] if secret.startswith("whsec_") else secret)
    signed = f"{lowered['webhook-id']}.{lowered['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        entry.partition(",")[0] == "v1" and hmac.compare_digest(entry.partition(",")[2], expected)
        for entry in lowered["webhook-signature"].split()
    )
