# ruff: noqa: E501  (the tables below keep one request per line)
"""Bad input, row by row: every malformed request gets the provider's 4xx in the provider's
own dialect (status, envelope and code), never a 5xx, and leaves the state as it was.

The rows go through the ASGI app, one app for the module: each row compares a fingerprint
of both providers' state (tenants, wallets and their ledgers, stock, reservations, orders,
verifications, channels, bound credentials) before and after its request, so a row that
changed anything fails. What ASGI cannot carry (broken HTTP framing, raw bytes in the
request line, a client that leaves mid-body) goes over a real socket to uvicorn at the end.

Unknown query parameters are not bad input: both providers accept and ignore them, on
reads and writes alike (docs/fidelity.md, "Unknown query parameters are ignored").
Vobiz has no page tokens, so the page-token rows are Bird's.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import (
    ACCOUNT,
    AVAILABILITY,
    BALANCE,
    BIRD,
    BIRD_ACCESS_KEY,
    BIRD_WS,
    CHANNELS,
    CONFIRM,
    INVENTORY,
    LONG_CODES,
    ORDERS,
    OWNED,
    PURCHASE,
    STOCK,
    TRANSACTIONS,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
    VOBIZ_TOKEN,
    bird_key,
)
from tests.support.live import serve

JSON = "application/json"
MiB = 1024 * 1024
SOME_ID = "0b9e2f0c-6c1a-4d8e-9f3b-2a7c5e4d1b60"

# Bird's operations used below
NUMBERS = LONG_CODES  # GET: list; POST: buy
RESERVATION = f"/workspaces/{BIRD_WS}/numbers-stock-items/{SOME_ID}/reservation"
ACTIVATE = f"/workspaces/{BIRD_WS}/endpoints/{SOME_ID}/destinations/activate"
SUBSCRIPTIONS = f"/workspaces/{BIRD_WS}/endpoints/{SOME_ID}/subscriptions"
ALPHAS = f"/workspaces/{BIRD_WS}/numbers-alpha"
# Vobiz's

BUY_BODY = {"numberStockItemIds": [SOME_ID]}
DESTINATIONS = {"capability": "sms", "countryCodes": ["NL"]}
ORDER_BODY = {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"}


# --- the two dialects ----------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    name: str
    credentials: Mapping[str, str]

    def code(self, response: httpx.Response) -> str:
        """The error code, once the body is checked to have this provider's error shape."""
        assert response.headers["content-type"] == JSON
        body = response.json()
        assert isinstance(body, dict), body
        if self.name == "vobiz-account":  # the account pages' flat {error, message?}
            assert {"error"} <= set(body) <= {"error", "message"}, body
            assert isinstance(body["error"], str)
            assert body["error"]
            assert isinstance(body.get("message", ""), str)
            return str(body["error"])
        if (
            self.name == "vobiz"
        ):  # {status:"error", error:{code,message,details}, timestamp, requestId}
            assert set(body) == {"status", "error", "timestamp", "requestId"}, body
            assert body["status"] == "error"
            assert body["requestId"] == response.headers["x-request-id"]
            body = body["error"]
        # Bird's flat {code, message, details}, and Vobiz's inner error
        assert {"code", "message"} <= set(body) <= {"code", "message", "details"}, body
        assert isinstance(body["message"], str)
        assert body["message"]
        assert isinstance(body.get("details", {}), dict)
        code = body["code"]
        assert isinstance(code, str)
        return code


BIRD_DIALECT = Dialect("bird", BIRD)
VOBIZ_DIALECT = Dialect("vobiz", VOBIZ)
ACCOUNT_DIALECT = Dialect("vobiz-account", VOBIZ)

# (status, code) answers
B_INVALID = (422, "InvalidPayload")  # Bird answers malformed JSON and schema failures alike
B_401 = (401, "Unauthorized")
B_404 = (404, "NotFound")
B_413 = (413, "PayloadTooLarge")
B_415 = (415, "UnsupportedMediaType")
V_MALFORMED = (400, "MALFORMED_JSON")
V_INVALID = (422, "VALIDATION_ERROR")
V_401 = (401, "INVALID_CREDENTIALS")
V_413 = (413, "PAYLOAD_TOO_LARGE")
V_415 = (415, "UNSUPPORTED_MEDIA_TYPE")
A_INVALID = (400, "invalid request")  # the account API answers both as its pages' 400
A_401 = (401, "unauthorized")
A_404 = (404, "not_found")
A_413 = (413, "payload_too_large")
A_415 = (415, "unsupported_media_type")


# --- requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request. `auth` None sends the provider's valid credentials (the default
    scenario's tenant); headers are bytes on the wire, so any value can be sent."""

    dialect: Dialect
    method: str
    url: str
    body: bytes | None = None
    content_type: str | bytes | None = JSON
    auth: Mapping[str, str | bytes] | None = None
    headers: Mapping[str, str | bytes] = field(default_factory=dict)
    chunked: bool = False  # stream the body with no Content-Length

    def header_list(self) -> list[tuple[bytes, bytes]]:
        headers: dict[str, str | bytes] = dict(self.dialect.credentials)
        if self.auth is not None:
            headers = dict(self.auth)
        if self.body is not None and self.content_type is not None:
            headers["content-type"] = self.content_type
        headers.update(self.headers)
        return [(name.encode(), _raw(value)) for name, value in headers.items()]


def _raw(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def bird(method: str, url: str, body: bytes | None = None, **kwargs: Any) -> Call:
    return Call(BIRD_DIALECT, method, url, body, **kwargs)


def vobiz(method: str, url: str, body: bytes | None = None, **kwargs: Any) -> Call:
    return Call(VOBIZ_DIALECT, method, url, body, **kwargs)


def account(method: str, url: str, body: bytes | None = None, **kwargs: Any) -> Call:
    return Call(ACCOUNT_DIALECT, method, url, body, **kwargs)


def row(name: str, call: Call, answer: tuple[int, str], *, bug: str | None = None) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(call, answer, id=f"{call.dialect.name}-{name}", marks=marks)


def js(value: Any) -> bytes:
    return json.dumps(value).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def send(app: Starlette, call: Call) -> httpx.Response:
    content: bytes | AsyncIterator[bytes] | None = call.body
    if call.chunked and call.body is not None:
        content = _chunks(call.body)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        return await http.request(
            call.method, call.url, content=content, headers=call.header_list()
        )


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


# --- the state a failed request must not change -----------------------------------------


def fingerprint(app: Starlette) -> tuple[object, ...]:
    """Both providers' mutable state as plain values."""
    bird_state, vobiz_state = (p.backend.state for p in app.state.mock.providers)
    return _bird_fingerprint(bird_state), _vobiz_fingerprint(vobiz_state)


def _wallet(wallet: Any) -> tuple[object, ...]:
    return wallet.balance, len(wallet.entries)


def _bird_fingerprint(state: Any) -> tuple[object, ...]:
    tenants = [
        (
            key,
            sorted(tenant.organization_ids),
            [
                (
                    ws.id,
                    _wallet(ws.wallet),
                    [(n.id, n.ended, n.subscription.canceled_at) for n in ws.numbers.values()],
                    [
                        (a.id, [(d.country, d.active) for d in a.destinations.values()])
                        for a in ws.alpha_senders.values()
                    ],
                )
                for ws in tenant.workspaces.values()
            ],
        )
        for key, tenant in sorted(state.tenants.items(), key=lambda kv: kv[0])
    ]
    reservations = sorted(
        (item_id, held.holder, held.expires_at, held.ended)
        for item_id, held in state.reservations.items()
    )
    return repr(tenants), len(state.inventory), repr(reservations)


def _vobiz_fingerprint(state: Any) -> tuple[object, ...]:
    accounts = [
        (
            auth_id,
            [(currency, _wallet(w)) for currency, w in account.wallets.items()],
            [(o.id, o.ended_status) for o in account.orders.values()],
            [
                (phone, v.code, v.attempts, v.verified_at, v.locked_until)
                for phone, v in account.verifications.items()
            ],
            [(c.id, c.display_name, c.updated_at) for c in account.channels.values()],
            [
                (n.e164, n.status(START), n.trunk_group_id, n.application_id)
                for n in account.numbers.values()
            ],
        )
        for auth_id, account in sorted(state.accounts.items())
    ]
    claims = sorted((n, c.account_id, c.until) for n, c in state.claims.items())
    return (
        repr(accounts),
        len(state.inventory),
        sorted(state.tokens.items()),
        sorted(state.bearers.items()),
        repr(claims),
    )


# --- the table ---------------------------------------------------------------------------
# One request per line: (what, request, answer). Formatting is off so the rows stay rows.
# fmt: off

MALFORMED_JSON = [
    row("unclosed",          bird("POST", NUMBERS, b'{"numberStockItemIds": ['),           B_INVALID),
    row("unclosed",          vobiz("POST", ORDERS, b'{"country_code": "IN", '),             V_MALFORMED),
    row("not-json",          bird("POST", NUMBERS, b"{bad"),                                B_INVALID),
    row("not-json",          vobiz("POST", VERIFY, b"{bad"),                                V_MALFORMED),
    row("trailing-garbage",  bird("POST", NUMBERS, js(BUY_BODY) + b" {}"),                  B_INVALID),
    row("trailing-garbage",  vobiz("POST", ORDERS, js(ORDER_BODY) + b" x"),                 V_MALFORMED),
    row("single-quotes",     bird("POST", ACTIVATE, b"{'capability': 'sms'}"),              B_INVALID),
    row("single-quotes",     vobiz("POST", CHANNELS, b"{'waba_id': '1'}"),                  V_MALFORMED),
    row("nan",               bird("POST", NUMBERS, b'{"numberStockItemIds": NaN}'),         B_INVALID),
    row("comment",           vobiz("POST", CONFIRM, b'{"otp_code": "123456" /* hi */}'),    V_MALFORMED),
    row("byte-order-mark",   bird("POST", NUMBERS, b"\xef\xbb\xbf" + js(BUY_BODY)),         B_INVALID),
    row("whitespace-only",   vobiz("POST", ORDERS, b" \r\n\t "),                            V_MALFORMED),
    row("infinite-number",   vobiz("POST", ORDERS, b'{"region": 1e400}'),                   V_MALFORMED),
]

INVALID_UTF8 = [
    row("invalid-utf8",      bird("POST", NUMBERS, b'{"numberStockItemIds": ["\xff\xfe"]}'),   B_INVALID),
    row("invalid-utf8",      vobiz("POST", VERIFY, b'{"phone_number": "+9\xc3\x28"}'),         V_MALFORMED),
    row("overlong-utf8",     bird("POST", ACTIVATE, b'{"capability": "\xc0\xaf"}'),            B_INVALID),
    row("lone-surrogate",    vobiz("POST", CHANNELS, b'{"display_name": "\\ud800"}'),          V_MALFORMED),
    row("utf16-body",        bird("POST", NUMBERS, json.dumps(BUY_BODY).encode("utf-16")),     B_INVALID),
    row("latin1-body",       vobiz("POST", ORDERS, b'{"region": "M\xe9"}'),                    V_MALFORMED),
]

WRONG_TYPES = [
    *(row(f"body-is-{kind}", bird("POST", NUMBERS, raw), B_INVALID) for kind, raw in (
        ("array", b"[]"), ("string", b'"ids"'), ("number", b"42"), ("null", b"null"), ("true", b"true"))),
    *(row(f"body-is-{kind}", vobiz("POST", ORDERS, raw), V_INVALID) for kind, raw in (
        ("array", b"[]"), ("string", b'"IN"'), ("number", b"1.5"), ("null", b"null"), ("false", b"false"))),
    row("ids-a-string",      bird("POST", NUMBERS, js({"numberStockItemIds": SOME_ID})),        B_INVALID),
    row("ids-numbers",       bird("POST", NUMBERS, js({"numberStockItemIds": [1, 2]})),         B_INVALID),
    row("ids-null-item",     bird("POST", NUMBERS, js({"numberStockItemIds": [None]})),         B_INVALID),
    row("ids-objects",       bird("POST", NUMBERS, js({"numberStockItemIds": [{}]})),           B_INVALID),
    row("ids-not-uuids",     bird("POST", NUMBERS, js({"numberStockItemIds": ["x"]})),          B_INVALID),
    row("ids-empty",         bird("POST", NUMBERS, js({"numberStockItemIds": []})),             B_INVALID),
    row("ids-26",            bird("POST", NUMBERS, js({"numberStockItemIds": [SOME_ID] * 26})), B_INVALID),
    row("ids-repeated",      bird("POST", NUMBERS, js({"numberStockItemIds": [SOME_ID] * 2})),  B_INVALID),
    row("ids-missing",       bird("POST", NUMBERS, js({})),                                     B_INVALID),
    row("unknown-property",  bird("POST", NUMBERS, js({**BUY_BODY, "dryRun": True})),           B_INVALID),
    row("capability-enum",   bird("POST", ACTIVATE, js({"capability": "fax", "countryCodes": ["NL"]})), B_INVALID),
    row("fields-wrong-types", vobiz("POST", ORDERS, js({"country_code": 1, "region": [], "number_type": None, "currency": {}})), V_INVALID),
    row("number-type-enum",  vobiz("POST", ORDERS, js({**ORDER_BODY, "number_type": "vanity"})),       V_INVALID),
    row("preferred-not-e164", vobiz("POST", ORDERS, js({**ORDER_BODY, "preferred_number": "98765"})),  V_INVALID),
    row("unknown-property",  vobiz("POST", ORDERS, js({**ORDER_BODY, "dry_run": True})),               V_INVALID),
    row("huge-integer",      vobiz("POST", ORDERS, js({**ORDER_BODY, "region": 18446744073709551615})), V_INVALID),
    row("phone-a-number",    vobiz("POST", VERIFY, js({"phone_number": 447700900123, "verification_method": "sms"})), V_INVALID),
    row("otp-a-number",      vobiz("POST", CONFIRM, js({"phone_number": "+447700900123", "otp_code": 123456})), V_INVALID),
    row("update-nothing",    vobiz("PUT", f"{CHANNELS}/{SOME_ID}", js({})),                     V_INVALID),
]

CONTENT_TYPES = [
    *(row(f"content-type-{kind}", bird("POST", NUMBERS, js(BUY_BODY), content_type=ct), B_415) for kind, ct in (
        ("text", "text/plain"), ("form", "application/x-www-form-urlencoded"),
        ("multipart", "multipart/form-data; boundary=x"), ("xml", "application/xml"),
        ("json-patch", "application/json-patch+json"), ("bare-json", "json"), ("empty", ""), ("missing", None))),
    *(row(f"content-type-{kind}", vobiz("POST", ORDERS, js(ORDER_BODY), content_type=ct), V_415) for kind, ct in (
        ("text", "text/plain"), ("form", "application/x-www-form-urlencoded"), ("xml", "text/xml"),
        ("jsonx", "application/jsonx"), ("missing", None))),
    row("content-type-crlf",  bird("POST", NUMBERS, js(BUY_BODY), content_type=f"{JSON}\r\nX-Injected: 1"), B_415),
    row("content-type-utf8",  vobiz("POST", ORDERS, js(ORDER_BODY), content_type="application/jsön".encode()), V_415),
    row("content-type-64KiB", vobiz("POST", ORDERS, js(ORDER_BODY), content_type="application/" + "j" * 65536), V_415),
]

EMPTY_BODIES = [
    row("empty-body",         bird("POST", NUMBERS, b""),                          B_INVALID),
    row("empty-body-no-type", bird("POST", NUMBERS, b"", content_type=None),       B_INVALID),
    row("no-body",            bird("POST", ACTIVATE),                              B_INVALID),
    row("empty-body",         vobiz("POST", ORDERS, b""),                          V_INVALID),
    row("no-body",            vobiz("POST", CONFIRM),                              V_INVALID),
    row("no-body",            vobiz("PUT", f"{CHANNELS}/{SOME_ID}"),               V_INVALID),
]

BIG = b'{"padding": "' + b"x" * MiB + b'"}'
OVERSIZED = [
    row("body-over-1MiB",         bird("POST", NUMBERS, BIG),                    B_413),
    row("body-over-1MiB-chunked", bird("POST", ACTIVATE, BIG, chunked=True),     B_413),
    row("body-over-1MiB",         vobiz("POST", ORDERS, BIG),                    V_413),
    row("body-over-1MiB-chunked", vobiz("POST", VERIFY, BIG, chunked=True),      V_413),
    row("body-over-1MiB-on-a-get",           bird("GET", STOCK, BIG),                          B_413),
    row("body-over-1MiB-on-a-bodiless-post", bird("POST", RESERVATION, BIG),                   B_413),
    row("body-over-1MiB-on-a-get",           vobiz("GET", f"{AVAILABILITY}?country=IN", BIG),  V_413),
    row("body-over-1MiB-on-a-bodiless-post", vobiz("POST", f"{ORDERS}/{SOME_ID}/cancel", BIG), V_413),
]

DEEP_NESTING = [
    # beyond the JSON parser's limit (1024 levels)...
    row("100k-arrays",   bird("POST", NUMBERS, b"[" * 100_000),        B_INVALID),
    row("100k-objects",  bird("POST", ACTIVATE, b'{"a":' * 100_000),   B_INVALID),
    row("100k-arrays",   vobiz("POST", ORDERS, b"[" * 100_000),        V_MALFORMED),
    row("100k-objects",  vobiz("POST", VERIFY, b'{"a":' * 100_000),    V_MALFORMED),
    # ... within it but beyond the validator's (about 255): the same answer...
    row("1000-arrays",   bird("POST", NUMBERS, nested(1000)),          B_INVALID),
    row("1000-arrays",   vobiz("POST", ORDERS, nested(1000)),          V_MALFORMED),
    row("300-in-a-field", bird("POST", NUMBERS, b'{"numberStockItemIds": ' + nested(300) + b"}"), B_INVALID),
    row("300-in-a-field", vobiz("POST", VERIFY, b'{"verification_method": ' + nested(300) + b"}"), V_MALFORMED),
    # ... and shallower: a field error like any other
    row("200-in-a-field", bird("POST", NUMBERS, b'{"numberStockItemIds": ' + nested(200) + b"}"), B_INVALID),
    row("200-in-a-field", vobiz("POST", ORDERS, b'{"region": ' + nested(200) + b"}"),             V_INVALID),
]

HUGE = "99999999999999999999999"
QUERIES = [
    *(row(f"limit-{kind}", bird("GET", f"{STOCK}?limit={value}"), B_INVALID) for kind, value in (
        ("zero", "0"), ("negative", "-1"), ("100", "100"), ("huge", HUGE), ("huge-negative", f"-{HUGE}"),
        ("5000-digits", "9" * 5000), ("word", "ten"), ("decimal", "1.5"), ("empty", ""), ("nul", "%00"),
        ("first-of-two-too-big", "500&limit=5"))),
    *(row(f"limit-{kind}", vobiz("GET", f"{AVAILABILITY}?country=IN&limit={value}"), V_INVALID) for kind, value in (
        ("zero", "0"), ("negative", "-1"), ("101", "101"), ("huge", HUGE), ("huge-negative", f"-{HUGE}"),
        ("5000-digits", "9" * 5000), ("word", "ten"), ("exponent", "1e3"), ("empty", ""))),
    row("limit-on-numbers",       bird("GET", f"{NUMBERS}?limit={HUGE}"),                          B_INVALID),
    row("country-lower-case",     bird("GET", f"{STOCK}?countryCodes=us"),                          B_INVALID),
    row("type-unknown",           bird("GET", f"{STOCK}?types=vanity"),                             B_INVALID),
    row("testing-maybe",          bird("GET", f"{STOCK}?testing=maybe"),                            B_INVALID),
    row("prefix-without-country", bird("GET", f"{STOCK}?prefix=205"),                               B_INVALID),
    row("prefix-letters",         bird("GET", f"{STOCK}?prefix=abc&countryCodes=US"),               B_INVALID),
    row("prefix-251-chars",       bird("GET", f"{STOCK}?countryCodes=US&prefix={'1' * 251}"),       B_INVALID),
    row("number-string-letters",  bird("GET", f"{NUMBERS}?numberString=abc"),                       B_INVALID),
    row("reverse-sideways",       bird("GET", f"{NUMBERS}?reverse=sideways"),                       B_INVALID),
    row("provider-not-uuid",      bird("GET", f"{NUMBERS}?providerIds=meta"),                       B_INVALID),
    row("validate-maybe",         bird("POST", f"{ACTIVATE}?validate=maybe", js(DESTINATIONS)),     B_INVALID),
    row("country-missing",        vobiz("GET", AVAILABILITY),                                       V_INVALID),
    row("country-lower-case",     vobiz("GET", f"{AVAILABILITY}?country=in"),                       V_INVALID),
    row("country-nul",            vobiz("GET", f"{AVAILABILITY}?country=%00"),                      V_INVALID),
    row("region-too-long",        vobiz("GET", f"{AVAILABILITY}?country=IN&region=MAHA"),           V_INVALID),
    row("status-unknown",         vobiz("GET", f"{ORDERS}?status=lost"),                            V_INVALID),
]

PATH_IDS = [
    row("workspace-not-uuid",     bird("GET", "/workspaces/not-a-uuid/numbers-long-code"),         B_INVALID),
    row("organization-a-name",    bird("GET", "/organizations/acme/numbers-stock-items"),          B_INVALID),
    *(row(f"number-id-{kind}", bird("GET", f"{NUMBERS}/{value}"), B_INVALID) for kind, value in (
        ("digits", "123"), ("no-hyphens", SOME_ID.replace("-", "")), ("one-char-more", SOME_ID + "0"),
        ("nul", "%00"), ("emoji", "%F0%9F%98%80"), ("invalid-utf8", "%FF%FE"), ("10k-chars", "a" * 10_000),
        ("sql", "1'%20OR%20'1'='1"))),
    row("stock-item-not-uuid",    bird("POST", f"/workspaces/{BIRD_WS}/numbers-stock-items/x/reservation"), B_INVALID),
    row("endpoint-not-uuid",      bird("GET", f"/workspaces/{BIRD_WS}/endpoints/main/subscriptions"),       B_INVALID),
    row("subscription-65-chars",  bird("GET", f"{SUBSCRIPTIONS}/{'m' * 65}"),                     B_INVALID),
    row("encoded-traversal",      bird("GET", f"{NUMBERS}/..%2F..%2F_mock%2Fhealth"),             B_404),
    *(row(f"order-id-{kind}", vobiz("GET", f"{ORDERS}/{value}"), V_INVALID) for kind, value in (
        ("digits", "42"), ("no-hyphens", SOME_ID.replace("-", "")), ("nul", "%00"),
        ("emoji", "%F0%9F%98%80"), ("invalid-utf8", "%FF"), ("10k-chars", "b" * 10_000))),
    row("cancel-order-not-uuid",  vobiz("POST", f"{ORDERS}/42/cancel"),                           V_INVALID),
    row("channel-not-uuid",       vobiz("GET", f"{CHANNELS}/main"),                               V_INVALID),
    row("channel-not-uuid-put",   vobiz("PUT", f"{CHANNELS}/main", js({"display_name": "x"})),    V_INVALID),
    row("channel-not-uuid-delete", vobiz("DELETE", f"{CHANNELS}/main"),                           V_INVALID),
    row("auth-id-malformed",      account("GET", "/api/v1/account/MA_acme/balance/INR"),          A_INVALID),
    row("currency-lower-case",    account("GET", f"{ACCOUNT}/balance/inr"),                       A_INVALID),
    *(row(f"e164-{kind}", account("DELETE", f"{OWNED}/{value}"), A_INVALID) for kind, value in (
        ("letters", "abc"), ("leading-zero", "+0919876543210"), ("too-short", "+12345"),
        ("16-digits", "+1234567890123456"), ("two-pluses", "++919876543210"), ("nul", "%00"),
        ("emoji", "%F0%9F%98%80"), ("10k-digits", "9" * 10_000))),
    row("e164-malformed-assign",  account("POST", f"{OWNED}/abc/assign", js({"trunk_group_id": SOME_ID})), A_INVALID),
    row("auth-id-sub-malformed",  account("GET", "/api/v1/Account/SA_x/numbers"),                  A_INVALID),
    row("unknown-number",         account("DELETE", f"{OWNED}/+14155550100"),                     A_404),
]

ACCOUNT_API = [
    row("purchase-unclosed",      account("POST", PURCHASE, b'{"e164": "+91'),                    A_INVALID),
    row("purchase-not-json",      account("POST", PURCHASE, b"{bad"),                             A_INVALID),
    row("purchase-empty-body",    account("POST", PURCHASE, b""),                                 A_INVALID),
    row("purchase-no-e164",       account("POST", PURCHASE, js({"currency": "INR"})),             A_INVALID),
    row("purchase-e164-number",   account("POST", PURCHASE, js({"e164": 919876543210})),          A_INVALID),
    row("purchase-e164-no-plus",  account("POST", PURCHASE, js({"e164": "919876543210"})),        A_INVALID),
    row("purchase-currency-eur",  account("POST", PURCHASE, js({"e164": "+919876543210", "currency": "EUR"})), A_INVALID),
    row("purchase-extra-key",     account("POST", PURCHASE, js({"e164": "+919876543210", "region": "MH"})),  A_INVALID),
    row("purchase-body-is-list",  account("POST", PURCHASE, b"[]"),                               A_INVALID),
    row("purchase-text-plain",    account("POST", PURCHASE, js({"e164": "+91"}), content_type="text/plain"), A_415),
    row("purchase-over-1MiB",     account("POST", PURCHASE, b"{" + b" " * (MiB + 1) + b"}"),      A_413),
    row("assign-trunk-not-uuid",  account("POST", f"{OWNED}/+919876543210/assign", js({"trunk_group_id": "trunk-uuid"})), A_INVALID),
    row("assign-trunk-id-typo",   account("POST", f"{OWNED}/+919876543210/assign", js({"trunk_id": SOME_ID})),             A_INVALID),
    row("attach-app-id-word",     account("POST", f"{OWNED}/+919876543210/application", js({"application_id": "ivr"})),    A_INVALID),
    row("release-immediate-word", account("DELETE", f"{OWNED}/+919876543210?immediate=maybe"),   A_INVALID),
    *(row(f"inventory-{kind}", account("GET", f"{INVENTORY}?{query}"), A_INVALID) for kind, query in (
        ("per-page-101", "per_page=101"), ("per-page-0", "per_page=0"), ("page-0", "page=0"),
        ("page-words", "page=two"), ("country-lower-case", "country=in"),
        ("search-raw-plus", "search=+9180"), ("exclude-letters", "exclude=91ab"))),
    *(row(f"numbers-{kind}", account("GET", f"{OWNED}?{query}"), A_INVALID) for kind, query in (
        ("per-page-101", "per_page=101"), ("include-subaccounts-word", "include_subaccounts=maybe"))),
    *(row(f"transactions-{kind}", account("GET", f"{TRANSACTIONS}?{query}"), A_INVALID) for kind, query in (
        ("per-page-0", "per_page=0"), ("limit-negative", "limit=-1"), ("offset-words", "offset=ten"),
        ("status-unknown", "status=settled"), ("id-not-uuid", "transaction_id=42"),
        ("currency-digits", "currency=123"))),
    *(row(f"auth-{kind}", account("GET", OWNED, auth=auth), A_401) for kind, auth in (
        ("none",              {}),
        ("wrong-token",       {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": "someone_elses_token"}),
        ("basic-wrong",       {"authorization": "Basic " + base64.b64encode(b"MA_ACME0001:nope_nope_nope").decode()}),
        ("basic-no-colon",    {"authorization": "Basic " + base64.b64encode(b"MA_ACME0001").decode()}),
        ("basic-not-base64",  {"authorization": "Basic !!!"}),
        ("basic-sub-account", {"authorization": "Basic " + base64.b64encode(b"SA_ACME0001:" + VOBIZ_TOKEN.encode()).decode()}),
        ("bird-access-key",   dict(BIRD)),
    )),
]

KEY = BIRD_ACCESS_KEY
CREDENTIALS = [
    *(row(f"auth-{kind}", bird("GET", STOCK, auth=auth), B_401) for kind, auth in (
        ("none",              {}),
        ("empty",             {"authorization": ""}),
        ("scheme-only",       {"authorization": "AccessKey"}),
        ("key-too-short",     {"authorization": "AccessKey short"}),
        ("key-129-chars",     {"authorization": "AccessKey " + "k" * 129}),
        ("key-64KiB",         {"authorization": "AccessKey " + "k" * 65536}),
        ("key-and-more",      {"authorization": f"AccessKey {KEY} extra"}),
        ("key-with-symbols",  {"authorization": "AccessKey key;DROP TABLE"}),
        ("basic",             {"authorization": "Basic dXNlcjpwYXNz"}),
        ("token-scheme",      {"authorization": f"Token {KEY}"}),
        ("bearer-not-jwt",    {"authorization": "Bearer not-a-jwt"}),
        ("bearer-two-parts",  {"authorization": "Bearer abc.def"}),
        ("bearer-four-parts", {"authorization": "Bearer a.b.c.d"}),
        ("vobiz-headers",     dict(VOBIZ)),
    )),
    row("auth-none-and-malformed-body", bird("POST", NUMBERS, b"{bad", auth={}), B_401),
    *(row(f"auth-{kind}", vobiz("GET", CHANNELS, auth=auth), V_401) for kind, auth in (
        ("none",              {}),
        ("id-only",           {"X-Auth-ID": VOBIZ_AUTH_ID}),
        ("token-only",        {"X-Auth-Token": VOBIZ_TOKEN}),
        ("id-lower-case",     {"X-Auth-ID": VOBIZ_AUTH_ID.lower(), "X-Auth-Token": VOBIZ_TOKEN}),
        ("id-too-long",       {"X-Auth-ID": VOBIZ_AUTH_ID + "X", "X-Auth-Token": VOBIZ_TOKEN}),
        ("token-too-short",   {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": "short"}),
        ("token-with-spaces", {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": "token with spaces"}),
        ("token-257-chars",   {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": "t" * 257}),
        ("wrong-token",       {"X-Auth-ID": VOBIZ_AUTH_ID, "X-Auth-Token": "someone_elses_token"}),
        ("bearer-not-jwt",    {"authorization": "Bearer not-a-jwt"}),
        ("bearer-empty",      {"authorization": "Bearer"}),
        ("bearer-two-parts",  {"authorization": "Bearer abc.def"}),
        ("bearer-dots-only",  {"authorization": "Bearer .."}),
        ("bearer-padded",     {"authorization": "Bearer YQ==.Yg==.Yw=="}),
        ("bearer-spaces",     {"authorization": "Bearer a b c"}),
        ("basic",             {"authorization": "Basic dXNlcjpwYXNz"}),
        ("basic-and-headers", {**VOBIZ, "authorization": "Basic dXNlcjpwYXNz"}),
        ("bird-access-key",   dict(BIRD)),
    )),
    row("auth-none-and-malformed-body", vobiz("POST", ORDERS, b"{bad", auth={}), V_401),
]

HEADER_INJECTION = [
    row("auth-crlf",    bird("GET", STOCK, auth={"authorization": f"AccessKey {KEY}\r\nX-Admin: 1"}),     B_401),
    row("auth-lf",      bird("GET", STOCK, auth={"authorization": f"AccessKey {KEY}\nX-Admin: 1"}),       B_401),
    row("auth-nul",     bird("GET", STOCK, auth={"authorization": f"AccessKey {KEY}\x00x"}),              B_401),
    row("auth-utf8",    bird("GET", STOCK, auth={"authorization": "AccessKey tëst_kéy_0000".encode()}),   B_401),
    row("auth-latin1",  bird("GET", STOCK, auth={"authorization": b"AccessKey \xff\xfe\xfd\xfc\xfb\xfa\xf9"}), B_401),
    row("id-crlf",      vobiz("GET", CHANNELS, auth={**VOBIZ, "X-Auth-ID": f"{VOBIZ_AUTH_ID}\r\nX-Admin: 1"}),  V_401),
    row("token-crlf",   vobiz("GET", CHANNELS, auth={**VOBIZ, "X-Auth-Token": f"{VOBIZ_TOKEN}\r\nX-A: 1"}),    V_401),
    row("token-utf8",   vobiz("GET", CHANNELS, auth={**VOBIZ, "X-Auth-Token": "tökentökentöken".encode()}),   V_401),
    row("token-64KiB",  vobiz("GET", CHANNELS, auth={**VOBIZ, "X-Auth-Token": "t" * 65536}),                  V_401),
    row("bearer-crlf",  vobiz("GET", CHANNELS, auth={"authorization": "Bearer a.b.c\r\nX-Admin: 1"}),         V_401),
]

# fmt: on

BAD_INPUT = [
    *MALFORMED_JSON,
    *INVALID_UTF8,
    *WRONG_TYPES,
    *CONTENT_TYPES,
    *EMPTY_BODIES,
    *OVERSIZED,
    *DEEP_NESTING,
    *QUERIES,
    *PATH_IDS,
    *ACCOUNT_API,
    *CREDENTIALS,
    *HEADER_INJECTION,
]


@dataclass
class Shared:
    """One app for the module's ASGI rows (none of them may change it), and the page
    tokens prepared on it, once."""

    app: Starlette
    tokens: Tokens | None = None


@pytest.fixture(scope="module")
def shared() -> Shared:
    return Shared(create_app(Settings(seed=11, validate_responses=True), clock=ManualClock(START)))


@pytest.mark.parametrize(("call", "answer"), BAD_INPUT)
async def test_bad_input_gets_a_4xx_in_the_providers_dialect_and_changes_nothing(
    shared: Shared, call: Call, answer: tuple[int, str]
) -> None:
    app = shared.app
    app.state.mock.failures.clear()
    before = fingerprint(app)
    response = await send(app, call)
    assert (response.status_code, call.dialect.code(response)) == answer
    assert fingerprint(app) == before
    assert not app.state.mock.failures, [str(f) for f in app.state.mock.failures]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(bird("POST", NUMBERS, js({f"k{i}": i for i in range(20_000)})), id="bird"),
        pytest.param(vobiz("POST", ORDERS, js({f"k{i}": i for i in range(20_000)})), id="vobiz"),
    ],
)
async def test_a_body_with_thousands_of_problems_reports_at_most_50(
    shared: Shared, call: Call
) -> None:
    """20,000 unknown properties (300 KB) must not come back as a 2 MB list of them."""
    app = shared.app
    app.state.mock.failures.clear()
    response = await send(app, call)
    assert response.status_code == 422
    body = response.json()
    details = body["details"] if call.dialect is BIRD_DIALECT else body["error"]["details"]
    problems = details["."] if call.dialect is BIRD_DIALECT else details["errors"]
    assert 1 <= len(problems) <= 50
    assert len(response.content) < 10_000
    assert not app.state.mock.failures


# --- page tokens (Bird) ---------------------------------------------------------------

OTHER_ORG = "44444444-4444-4444-8444-444444444444"
OTHER_WS = "55555555-5555-4555-8555-555555555555"
US = {"countryCodes": "US", "limit": "2"}


@dataclass(frozen=True)
class Tokens:
    stock: str  # acme's stock search, countryCodes=US
    numbers: str  # acme's workspace numbers, limit 1
    other_workspace: str  # stranger's second workspace's numbers
    other_tenant_stock: str  # stranger's stock search, same filters as `stock`
    other_server: str  # the same search on a mock started with another seed


STRANGER = bird_key("stranger")


async def _prepare_tokens(app: Starlette) -> Tokens:
    """Tokens from real pages. Buys numbers, so it runs before any fingerprint is taken."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        stock = await _next_token(http, STOCK, US, BIRD)
        items = [
            i["id"] for i in (await http.get(STOCK, params=US, headers=BIRD)).json()["results"]
        ]
        for ws, headers in ((BIRD_WS, BIRD), (OTHER_WS, STRANGER)):
            url = f"/workspaces/{ws}/numbers-long-code"
            bought = await http.post(url, json={"numberStockItemIds": items}, headers=headers)
            assert bought.status_code == 201, bought.text
            items = [
                i["id"] for i in (await http.get(STOCK, params=US, headers=BIRD)).json()["results"]
            ]
        numbers = await _next_token(http, NUMBERS, {"limit": "1"}, BIRD)
        other_ws = await _next_token(
            http, f"/workspaces/{OTHER_WS}/numbers-long-code", {"limit": "1"}, STRANGER
        )
        other_stock = await _next_token(
            http, f"/organizations/{OTHER_ORG}/numbers-stock-items", US, STRANGER
        )
        # the stranger also lists its (empty) workspace with acme's id, so that the rows
        # below use a tenant and workspace that exist already
        assert (await http.get(NUMBERS, headers=STRANGER)).status_code == 200
    other = create_app(Settings(seed=12), clock=ManualClock(START))
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        other_server = await _next_token(http, STOCK, US, BIRD)
    return Tokens(stock, numbers, other_ws, other_stock, other_server)


async def _next_token(
    http: httpx.AsyncClient, url: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> str:
    page = await http.get(url, params=params, headers=headers)
    assert page.status_code == 200, page.text
    token = page.json()["nextPageToken"]
    assert isinstance(token, str)
    return token


def _reencoded(token: str) -> str:
    """The token's payload with its position moved on, under the old signature."""
    body, _, signature = token.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[1][-1] = "+19999999999"
    moved = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{moved}.{signature}"


def token_case(
    name: str,
    url: str,
    credentials: Mapping[str, str],
    token: Callable[[Tokens], str],
    *,
    bug: str | None = None,
) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(url, credentials, token, id=name, marks=marks)


US_STOCK = f"{STOCK}?countryCodes=US"

# fmt: off
PAGE_TOKENS = [
    # not a token of this mock
    token_case("garbage",                    STOCK, BIRD, lambda t: "not-a-page-token"),
    token_case("base64-and-a-dot",           STOCK, BIRD, lambda t: "eyJhIjoxfQ.c2lnbmF0dXJl"),
    token_case("non-ascii-payload",          STOCK, BIRD, lambda t: "tökén.c2lnbmF0dXJl"),
    token_case("non-ascii-signature",        STOCK, BIRD, lambda t: "eyJhIjoxfQ.sïgnåture"),
    token_case("empty",                      STOCK, BIRD, lambda t: ""),
    token_case("8001-chars",                 STOCK, BIRD, lambda t: "a" * 8001),
    token_case("other-server",               US_STOCK, BIRD, lambda t: t.other_server),
    # one of ours, tampered with
    token_case("signature-cut",              US_STOCK, BIRD, lambda t: t.stock[:-2]),
    token_case("payload-cut",                US_STOCK, BIRD, lambda t: t.stock[4:]),
    token_case("payload-moved",              US_STOCK, BIRD, lambda t: _reencoded(t.stock)),
    token_case("signature-of-another-token", US_STOCK, BIRD, lambda t: t.stock.partition(".")[0] + "." + t.numbers.partition(".")[2]),
    # one of ours, for another query
    token_case("other-filters",              f"{STOCK}?countryCodes=GB", BIRD, lambda t: t.stock),
    token_case("stock-token-on-numbers",     NUMBERS, BIRD, lambda t: t.stock),
    token_case("numbers-token-on-stock",     US_STOCK, BIRD, lambda t: t.numbers),
    token_case("numbers-token-on-alphas",    ALPHAS, BIRD, lambda t: t.numbers),
    token_case("other-workspace",            NUMBERS, STRANGER, lambda t: t.other_workspace),
    # one of ours, for the same query by another tenant
    token_case("other-tenant-stock",         US_STOCK, BIRD, lambda t: t.other_tenant_stock),
    token_case("other-tenant-workspace-id",  NUMBERS, STRANGER, lambda t: t.numbers),
]
# fmt: on


@pytest.mark.parametrize(("url", "credentials", "token"), PAGE_TOKENS)
async def test_a_page_token_that_is_not_this_querys_is_422(
    shared: Shared, url: str, credentials: Mapping[str, str], token: Callable[[Tokens], str]
) -> None:
    app = shared.app
    if shared.tokens is None:
        shared.tokens = await _prepare_tokens(app)
    app.state.mock.failures.clear()
    before = fingerprint(app)
    separator = "&" if "?" in url else "?"
    quoted = quote(token(shared.tokens), safe="")
    call = bird("GET", f"{url}{separator}pageToken={quoted}", auth=credentials)
    response = await send(app, call)
    assert response.status_code == 422, response.text[:300]
    assert BIRD_DIALECT.code(response) == "InvalidPayload"
    assert list(response.json()["details"]) == [".pageToken"]
    assert fingerprint(app) == before
    assert not app.state.mock.failures


# --- unknown query parameters: accepted and ignored ---------------------------------


@pytest.mark.parametrize(
    ("call", "unknown"),
    [
        pytest.param(
            bird("GET", f"{STOCK}?countryCodes=NL&limit=3"), "sort=desc&q=1", id="bird-stock"
        ),
        pytest.param(bird("GET", f"{NUMBERS}?limit=2"), "include=all&limit2=5", id="bird-numbers"),
        pytest.param(
            bird("GET", f"{ALPHAS}?reverse=true"), "pageSize=1&__proto__=x", id="bird-alpha-senders"
        ),
        pytest.param(
            vobiz("GET", f"{AVAILABILITY}?country=IN&limit=3"),
            "page=2&region_code=KA",
            id="vobiz-availability",
        ),
        pytest.param(
            vobiz("GET", f"{ORDERS}?status=pending"), "limit=1&offset=5", id="vobiz-orders"
        ),
        pytest.param(account("GET", f"{BALANCE}?"), "fields=all&currency=USD", id="vobiz-balance"),
        pytest.param(
            account("GET", f"{INVENTORY}?country=IN&per_page=3"),
            "region=MH&sort=desc",
            id="vobiz-inventory",
        ),
    ],
)
async def test_unknown_query_parameters_are_accepted_and_ignored(
    shared: Shared, call: Call, unknown: str
) -> None:
    app = shared.app
    app.state.mock.failures.clear()
    before = fingerprint(app)
    plain = await send(app, call)
    extended = await send(app, Call(call.dialect, call.method, f"{call.url}&{unknown}"))
    assert plain.status_code == extended.status_code == 200
    assert plain.json() == extended.json()
    assert fingerprint(app) == before
    assert not app.state.mock.failures


async def test_an_unknown_query_parameter_does_not_make_a_purchase_a_dry_run(
    client: httpx.AsyncClient,
) -> None:
    """`validate` is declared on destination activation only; on a purchase it is unknown,
    so ignored: the purchase happens (a client relying on it gets a real order)."""
    [item] = (await client.get(STOCK, params={"limit": 1}, headers=BIRD)).json()["results"]
    body = {"numberStockItemIds": [item["id"]]}
    response = await client.post(NUMBERS, params={"validate": "true"}, json=body, headers=BIRD)
    assert response.status_code == 201
    assert (await client.get(NUMBERS, headers=BIRD)).json()["results"][0]["numberString"] == (
        item["numberString"]
    )


# --- a body cut short by a client that went away (ASGI) -----------------------------


async def test_a_request_whose_client_left_mid_body_changes_nothing(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        [item] = (await http.get(STOCK, params={"limit": 1}, headers=BIRD)).json()["results"]
    body = js({"numberStockItemIds": [item["id"]]})
    before = fingerprint(app)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": NUMBERS,
        "raw_path": NUMBERS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"mock"),
            (b"authorization", f"AccessKey {BIRD_ACCESS_KEY}".encode()),
            (b"content-type", JSON.encode()),
            (b"content-length", str(len(body) + 50).encode()),  # 50 bytes never arrive
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("mock", 80),
    }
    messages: Iterator[Message] = iter(
        [
            {"type": "http.request", "body": body, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages, {"type": "http.disconnect"})

    async def record(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, record)
    assert fingerprint(app) == before
    assert not app.state.mock.failures


# --- raw bytes over a real socket ------------------------------------------------------

AUTH = f"Authorization: AccessKey {BIRD_ACCESS_KEY}\r\n".encode()
V_AUTH = f"X-Auth-ID: {VOBIZ_AUTH_ID}\r\nX-Auth-Token: {VOBIZ_TOKEN}\r\n".encode()
HOST = b" HTTP/1.1\r\nHost: mock\r\n"
SEARCH = b"GET " + STOCK.encode()
BUY = b"POST " + NUMBERS.encode() + HOST + AUTH + b"Content-Type: application/json\r\n"
UVICORN_400 = (400, None)  # uvicorn's own "Invalid HTTP request received." (text/plain)


def raw_row(
    name: str, data: bytes, answer: tuple[int, str | None], dialect: Dialect = BIRD_DIALECT
) -> Any:
    return pytest.param(data, answer, dialect, id=name)


# fmt: off
RAW_REQUESTS = [
    # not HTTP, or HTTP that uvicorn cannot frame: its own 400
    raw_row("garbage",                  b"\x00\x01\x02 hello\r\n\r\n",                                       UVICORN_400),
    raw_row("http-9.9",                 SEARCH + b" HTTP/9.9\r\nHost: mock\r\n" + AUTH + b"\r\n",            UVICORN_400),
    raw_row("method-with-symbols",      b"G@T " + STOCK.encode() + HOST + b"\r\n",                           UVICORN_400),
    raw_row("content-length-letters",   BUY + b"Content-Length: abc\r\n\r\n{}",                              UVICORN_400),
    raw_row("content-length-negative",  BUY + b"Content-Length: -1\r\n\r\n{}",                               UVICORN_400),
    raw_row("content-length-twice",     BUY + b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}",           UVICORN_400),
    raw_row("content-length-overflow",  BUY + b"Content-Length: " + HUGE.encode() + b"\r\n\r\n{}",           UVICORN_400),
    raw_row("content-length-chunked",   BUY + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",  UVICORN_400),
    raw_row("chunk-size-not-hex",       BUY + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",    UVICORN_400),
    raw_row("cr-in-header-value",       SEARCH + HOST + b"Authorization: AccessKey test\rX-Admin: 1\r\n\r\n", UVICORN_400),
    raw_row("nul-in-header-value",      SEARCH + HOST + b"Authorization: AccessKey te\x00st_bird_key\r\n\r\n", UVICORN_400),
    raw_row("folded-header",            SEARCH + HOST + b"Authorization: AccessKey\r\n " + KEY.encode() + b"\r\n\r\n", UVICORN_400),
    raw_row("header-without-colon",     SEARCH + HOST + b"X-Admin 1\r\n" + AUTH + b"\r\n",                   UVICORN_400),
    raw_row("space-before-colon",       SEARCH + HOST + b"Authorization : AccessKey " + KEY.encode() + b"\r\n\r\n", UVICORN_400),
    raw_row("bare-lf-line-ends",        SEARCH + b" HTTP/1.1\nHost: mock\n" + AUTH.replace(b"\r\n", b"\n") + b"\n", UVICORN_400),
    raw_row("raw-0xff-in-path",         b"GET /workspaces/\xff\xfe/numbers-long-code" + HOST + AUTH + b"\r\n",  UVICORN_400),
    raw_row("raw-0xff-in-query",        SEARCH + b"?countryCodes=\xff" + HOST + AUTH + b"\r\n",              UVICORN_400),
    raw_row("space-in-path",            b"GET /workspaces/a b/numbers-long-code" + HOST + AUTH + b"\r\n",    UVICORN_400),
    # a target past 1 MiB is not read to its end: the mock's 414, in the dialect of its path
    raw_row("1MiB-request-line",        SEARCH + b"?x=" + b"a" * MiB + HOST + AUTH + b"\r\n",                (414, "URITooLong")),
    # framed, so the mock answers, in the dialect
    raw_row("utf8-in-authorization",    SEARCH + HOST + b"Authorization: AccessKey t\xc3\xa9st_key_0000\r\n\r\n", B_401),
    raw_row("0xff-in-auth-token",       b"GET " + CHANNELS.encode() + HOST + b"X-Auth-ID: " + VOBIZ_AUTH_ID.encode()
                                        + b"\r\nX-Auth-Token: \xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\r\n\r\n", V_401, VOBIZ_DIALECT),
    raw_row("percent-ff-in-path",       b"GET /workspaces/%ff%fe/numbers-long-code" + HOST + AUTH + b"\r\n", B_INVALID),
    raw_row("percent-ff-order-id",      b"GET " + ORDERS.encode() + b"/%ff" + HOST + V_AUTH + b"\r\n",       V_INVALID, VOBIZ_DIALECT),
    raw_row("percent-ff-in-query",      SEARCH + b"?countryCodes=%ff%fe" + HOST + AUTH + b"\r\n",            B_INVALID),
    raw_row("content-length-2MiB",      BUY + b"Content-Length: 2097152\r\n\r\n{}",                          B_413),
    # a body longer than its Content-Length: the rest is the next (pipelined) request
    raw_row("content-length-too-short", BUY + b"Content-Length: 1\r\n\r\n{GET /_mock/health" + HOST + b"\r\n", B_INVALID),
]
# fmt: on


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def as_httpx(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.body)


def exchange(base_url: str, data: bytes) -> RawResponse | None:
    """Send raw bytes on a fresh connection; the first response, or None if the server
    closed the connection without one."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]
        length = int({k.lower(): v for k, v in headers}.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return RawResponse(int(status_line.split()[1]), headers, body[:length])


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Starlette, str]]:
    app = create_app(Settings(seed=13, validate_responses=True), clock=ManualClock(START))
    with serve(app) as base_url:
        yield app, base_url


def assert_still_serving(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.get("/_mock/health").json()["status"] == "ok"
        assert http.get(STOCK, params={"limit": 1}, headers=BIRD).status_code == 200


@pytest.mark.socket
@pytest.mark.parametrize(("data", "answer", "dialect"), RAW_REQUESTS)
def test_raw_bytes_over_a_socket_get_a_4xx_and_the_server_stays_up(
    live: tuple[Starlette, str], data: bytes, answer: tuple[int, str | None], dialect: Dialect
) -> None:
    app, base_url = live
    before = fingerprint(app)
    response = exchange(base_url, data)
    assert response is not None
    status, code = answer
    assert response.status == status, response.body[:300]
    if code is not None:
        assert dialect.code(response.as_httpx()) == code
    assert_still_serving(base_url)
    assert fingerprint(app) == before
    assert not app.state.mock.failures


@pytest.mark.socket
def test_a_client_that_leaves_mid_body_does_not_take_the_server_down(
    live: tuple[Starlette, str],
) -> None:
    _, base_url = live
    host, _, port = base_url.removeprefix("http://").partition(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = BUY + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head + b'{"numberStockItemIds": [')
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):  # the server closes its side: no reply to a half request
            pass
    assert_still_serving(base_url)


# --- the reference validator (--validator openapi-core) --------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(bird("POST", NUMBERS, nested(1000)), id="bird"),
        pytest.param(vobiz("POST", ORDERS, nested(1000)), id="vobiz"),
    ],
)
async def test_the_reference_validator_answers_deep_nesting_like_the_default(call: Call) -> None:
    app = create_app(
        Settings(seed=14, validate_responses=True, validator="openapi-core"),
        clock=ManualClock(START),
    )
    response = await send(app, call)
    expected = B_INVALID if call.dialect is BIRD_DIALECT else V_MALFORMED
    assert (response.status_code, call.dialect.code(response)) == expected
    assert not app.state.mock.failures
