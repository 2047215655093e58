"""numbers-mock soak: mixed CI-like traffic for ten minutes against a real `mockserver`
process, watching whether its memory stays flat.

    python bench/soak.py                          # 600 s, 4 workers, RSS every 10 s
    python bench/soak.py --duration 60            # a short run
    python bench/soak.py --inprocess --duration 120
        # the server in this process (same event loop), with tracemalloc and direct counts
        # of the mock's structures: what grows, and which line allocates it

Not run in CI. Run it from a checkout nobody edits meanwhile, as bench/run.py says: the
server is started with this checkout first on PYTHONPATH.

Traffic. `--workers` asyncio workers (one httpx client, one process, pinned to CPU 1 when
the server is pinned to CPU 0) each run "tests" back to back, as a CI suite would against
a shared sidecar:

- Bird tests and Vobiz tests with fresh credentials each (the pytest plugin's MockTenant),
  torn down as `numbers_mock_tenant` does: POST /_mock/reset {"provider","tenant"} for the
  Bird workspace and the Vobiz account (404 when the test did not use one). Bird: stock
  search following nextPageToken, reservations (bought, released, or left for the reset),
  buys, gets, subscription reads and cancels, a wallet topped up or emptied (402) through
  PUT /_mock/wallets, order rules scoped to the workspace, journal reads. Vobiz:
  availability, balance reads, orders, get, cancel (refunded) or completed and then
  connected as a channel (create, get, update, delete), payment rules and intermittent
  503 faults scoped to the account, bring-your-own-number verification confirmed with the
  code from GET /_mock/otp (after wrong codes, or locked by five), resent too soon (429),
  or left to expire.
- Tests on the scenario's own tenants (the default access key and MA_ACME0001), which no
  test resets: stock search, reservations left to expire, buys cancelled at once (before
  fulfilment: the order ends cancelled, refunded) or by a later test once provisioned
  (the number deprovisions at the end of the period and returns to stock), Vobiz orders
  that are cancelled, verifications of fresh numbers mostly left to expire. A "suite" task
  resets these two tenants every `--shared-reset-every` seconds, as a new CI run would.
- Control-plane reads: the whole journal, wallets, health, clock, rules, faults, the OTP
  oracle. The documented Bird rate-limit profile is installed (unscoped) at the start.
- Webhooks to a dead endpoint (issue 17; `--no-dead-webhooks` for none): every fresh Bird
  test, and the scenario's workspace (again after each suite reset), subscribes to the
  numbers event at a URL on 127.0.0.1 where nothing listens, so every change of a number is
  a delivery refused on every attempt and retried on the mock's clock until its retries are
  spent. The samples count the deliveries by outcome (GET /_mock/webhooks): memory stays
  flat only if finished deliveries are pruned and a subscription's queue is bounded.

Hostile traffic beside it (issue 14; `--hostile-workers 0 --slowloris 0` for none), over
raw sockets, each expecting the limit's answer (README, "Limits"): `--slowloris`
connections at all times that send part of a request line and headers, nothing at all, or
a body shorter than its Content-Length, and wait (408 after the header or body timeout, or
closed); and `--hostile-workers` that send, one after the other, header fields of 100 KB
to 20 MB (431), a target over 1 MiB (414), 0.9 MB query strings (valid, 200; or 70,000
`features=` values, 422), bodies of 100,000 invalid ids or 60,000 unknown properties (422)
and over 1 MiB (413). A probe process pings /_mock/health every 0.1 s on a connection of
its own: its slowest answer bounds the longest the server's event loop was held (from
above: requests queued ahead of it count too).

Time. The server runs with `--clock manual` and the soak moves it: with the wall clock a
reservation (TTL 900 s) could not expire once in a 600 s run and an OTP (TTL 600 s) barely
once. A ticker advances the mock's clock `--clock-rate` seconds per wall second (default
60: a reservation lapses 15 s after it was made, an OTP after 10 s, a Vobiz order
completes after 0.5 s); every `--jump-every` seconds it jumps 31 days (cancelled Bird
subscriptions end and their numbers deprovision, OTP locks end); tests also advance the
clock themselves as CI tests do (`numbers_mock.advance(31)`). So expiry happens thousands
of times per run.

Measured: the server's VmRSS (/proc/<pid>/status) and open file descriptors every
`--sample-every` seconds, with the
size and the counts of GET /_mock/state (tenants, credentials, reservations and how many
of them lapsed yet are still held, OTP verifications and sent codes, claims, schedules,
ledgers), the fault list and the journal's length. Flat means the end is within
`--tolerance` percent of the middle (both after `--warmup`). Statuses are counted per
operation: every operation has the statuses a client can legitimately get (201/402/422
for a buy that may race other workers or an empty wallet); anything else is listed. The
exit status is 1 when RSS is not flat or a 5xx other than an injected fault was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from mockserver.client import MockTenant

ROOT = Path(__file__).resolve().parents[1]
SERVER_CPU, LOAD_CPU = 0, 1

# The default scenario's own tenants (README.md, "Default credentials").
ACME_KEY = {"Authorization": "AccessKey test_bird_acme_access_key_0000000"}
ACME_ORG = "d0b85ccc-b63a-4e81-b698-c359d77d250e"
ACME_WS = "d386a801-ee8d-4aba-a7e4-78671bd3b11e"
ACME_VOBIZ = {"X-Auth-ID": "MA_ACME0001", "X-Auth-Token": "test_vobiz_acme_auth_token_00000"}
ACME_AUTH = "MA_ACME0001"

BIRD_COUNTRIES = ("US", "CA", "GB", "NL", "DE", "IN", "BR", "AU")
VOBIZ_API = "/api/v1/messaging"
ORDERS = f"{VOBIZ_API}/numbers/whatsapp/orders"
AVAILABILITY = f"{VOBIZ_API}/numbers/whatsapp/availability"
VERIFY = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/verify"
CONFIRM = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/confirm"
CHANNELS = f"{VOBIZ_API}/channels/whatsapp"
JUMP_SECONDS = 31 * 86_400  # past a cancelled subscription's 30-day period


# --- the soak's own bookkeeping --------------------------------------------------------------


@dataclass
class Stats:
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    transport_errors: Counter[str] = field(default_factory=Counter)
    client_errors: list[str] = field(default_factory=list)  # a test's own bug, not the mock's
    tests: Counter[str] = field(default_factory=Counter)

    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def by_class(self) -> Counter[str]:
        classes: Counter[str] = Counter()
        for counter in self.statuses.values():
            for status, count in counter.items():
                classes[f"{status // 100}xx"] += count
        return classes

    def failures(self) -> dict[str, dict[int, int]]:
        """5xx answers the soak did not provoke on purpose (injected faults are labelled)."""
        return {
            op: {s: n for s, n in counter.items() if s >= 500}
            for op, counter in self.unexpected.items()
            if any(s >= 500 for s in counter)
        }


class Soak:
    """The shared client and counters; every request goes through `call`."""

    def __init__(self, http: httpx.AsyncClient, args: argparse.Namespace) -> None:
        self.http = http
        self.args = args
        self.stats = Stats()
        self.deadline = 0.0
        self.started = 0.0
        # Bird GETs may meet the documented rate limit installed at the start.
        self.bird_429 = {429} if args.rate_limits else set()
        self.byon_pool: list[str] = []
        self.acme_to_cancel: list[str] = []  # numbers bought on the scenario's workspace
        self.probes: list[float] = []  # seconds each health probe waited
        self.probe_max = 0.0  # the slowest since the last sample
        # Where webhooks go to fail: a port on loopback that nothing listens on (refused).
        self.dead_webhook = f"http://127.0.0.1:{free_port()}/hooks" if args.dead_webhooks else None

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    async def call(
        self,
        op: str,
        method: str,
        url: str,
        expect: Iterable[int],
        **kwargs: Any,
    ) -> httpx.Response | None:
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.stats.transport_errors[f"{op}: {type(error).__name__}"] += 1
            return None
        what = f"{method} {url} {kwargs.get('params') or ''}"
        self.record(op, what, response.status_code, expect, response.text[:300])
        return response

    def record(
        self, op: str, what: str, status: int, expect: Iterable[int], detail: str = ""
    ) -> None:
        self.stats.statuses[op][status] += 1
        if status not in set(expect):
            self.stats.unexpected[op][status] += 1
            if len(self.stats.examples[op]) < 3:
                self.stats.examples[op].append(f"{what} -> {status} {detail}")

    # control-plane helpers --------------------------------------------------------------

    async def advance(self, op: str, seconds: float) -> None:
        await self.call(op, "POST", "/_mock/clock/advance", {200}, json={"seconds": seconds})

    async def forget(self, tenant: MockTenant) -> None:
        """What numbers_mock_tenant does at teardown: reset both tenants; 404 if unused."""
        for provider, name in (
            ("bird", tenant.bird_workspace_id),
            ("vobiz", tenant.vobiz_auth_id),
        ):
            body = {"provider": provider, "tenant": name}
            await self.call("control.reset-tenant", "POST", "/_mock/reset", {200, 404}, json=body)

    async def set_wallet(self, provider: str, tenant: str, currency: str, balance: str) -> None:
        path = f"/_mock/wallets/{provider}/{tenant}/{currency}"
        await self.call("control.set-wallet", "PUT", path, {200}, json={"balance": balance})

    async def journal(self, tenant: str | None, limit: int) -> None:
        params: dict[str, Any] = {"limit": limit}
        if tenant is not None:
            params["tenant"] = tenant
        await self.call("control.journal", "GET", "/_mock/journal", {200}, params=params)

    async def latest_code(self, phone: str, auth_id: str) -> str | None:
        r = await self.call(
            "control.otp", "GET", "/_mock/otp", {200}, params={"phone_number": phone}
        )
        if r is None or r.status_code != 200:
            return None
        for sent in r.json()["codes"]:  # newest first
            if sent["authId"] == auth_id:
                return str(sent["code"])
        return None

    def byon_number(self, rng: random.Random) -> str:
        """A number outside Vobiz's stock (IN and US): fresh from a million UK mobiles, or
        from a small pool with --byon-pool (a suite that reuses its test numbers)."""
        if self.args.byon_pool:
            if not self.byon_pool:
                self.byon_pool = [f"+4477009{k:05d}" for k in range(self.args.byon_pool)]
            return rng.choice(self.byon_pool)
        return f"+447700{rng.randrange(1_000_000):06d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


# --- Bird tests ------------------------------------------------------------------------------


async def bird_search(
    s: Soak, op: str, headers: Mapping[str, str], org: str, rng: random.Random
) -> list[dict[str, Any]]:
    """A stock search, following nextPageToken for up to four pages."""
    params: dict[str, Any] = {
        "countryCodes": rng.choice(BIRD_COUNTRIES),
        "limit": rng.randint(5, 25),
    }
    if rng.random() < 0.2:
        params["features"] = "sms-outbound"
    url = f"/organizations/{org}/numbers-stock-items"
    found: list[dict[str, Any]] = []
    r = await s.call(op, "GET", url, {200} | s.bird_429, headers=headers, params=params)
    for _ in range(rng.randint(1, 4)):
        if r is None or r.status_code != 200:
            break
        body = r.json()
        found += body["results"]
        token = body.get("nextPageToken")
        if not token:
            break
        r = await s.call(
            f"{op} (next page)",
            "GET",
            url,
            {200} | s.bird_429,
            headers=headers,
            params={**params, "pageToken": token},
        )
    return found


async def subscribe_dead(s: Soak, headers: Mapping[str, str], org: str, ws: str) -> None:
    """The numbers event of this workspace to --dead-webhooks' URL: nothing listens there."""
    if s.dead_webhook is None:
        return
    path = f"/organizations/{org}/workspaces/{ws}/webhook-subscriptions"
    body = {
        "service": "numbers",
        "event": "endpoint.updated",
        "url": s.dead_webhook,
        "signingKey": "soak-signing-key",
    }
    await s.call(
        "bird.subscribe-dead-webhook", "POST", path, {201} | s.bird_429, headers=headers, json=body
    )


def reservation(ws: str, item_id: str) -> str:
    return f"/workspaces/{ws}/numbers-stock-items/{item_id}/reservation"


async def bird_number_reads(
    s: Soak, ws: str, headers: Mapping[str, str], number: Mapping[str, Any], rng: random.Random
) -> None:
    """Get a bought number, maybe its subscription, maybe cancel it."""
    path = f"/workspaces/{ws}/numbers-long-code/{number['id']}"
    ok = {200} | s.bird_429
    await s.call("bird.get-number", "GET", path, ok, headers=headers)
    subscription = f"/workspaces/{ws}/endpoints/{number['id']}/subscriptions/main"
    if rng.random() < 0.5:
        await s.call("bird.get-subscription", "GET", subscription, ok, headers=headers)
    if rng.random() < 0.5:
        await s.call(
            "bird.cancel-subscription", "POST", subscription + "/cancel", ok, headers=headers
        )


async def bird_test(s: Soak, rng: random.Random) -> None:
    """A test with fresh Bird credentials (and an unused Vobiz account), reset at the end."""
    tenant = MockTenant.new(s.args.base)
    headers, org, ws = tenant.bird_headers, tenant.bird_organization_id, tenant.bird_workspace_id
    numbers = f"/workspaces/{ws}/numbers-long-code"
    buy_ok = {201, 402, 422} | s.bird_429  # 422: another worker bought or holds an item
    try:
        await subscribe_dead(s, headers, org, ws)
        items = await bird_search(s, "bird.search", headers, org, rng)
        await s.call("bird.list-numbers", "GET", numbers, {200} | s.bird_429, headers=headers)
        if not items:
            return
        roll = rng.random()
        if roll < 0.3:
            await s.set_wallet("bird", ws, "EUR", "500.00")
        elif roll < 0.4:  # the wallet runs dry: a 402, nothing bought
            await s.set_wallet("bird", ws, "EUR", "0.00")
            body = {"numberStockItemIds": [rng.choice(items)["id"]]}
            await s.call(
                "bird.buy (empty wallet)", "POST", numbers, {402, 422}, headers=headers, json=body
            )
            return
        rejected = rng.random() < 0.15
        if rejected:
            rule = {
                "provider": "bird",
                "on": "order",
                "outcome": "rejected",
                "afterSeconds": 3,
                "workspaceId": ws,
            }
            await s.call("control.add-rule", "POST", "/_mock/rules", {201}, json=rule)
        picked = rng.sample(items, k=min(len(items), rng.randint(1, 3)))
        if rng.random() < 0.3:  # reserve first, as a user must
            for item in picked:
                await s.call(
                    "bird.reserve", "POST", reservation(ws, item["id"]), {201, 409}, headers=headers
                )
        body = {"numberStockItemIds": [i["id"] for i in picked]}
        r = await s.call("bird.buy", "POST", numbers, buy_ok, headers=headers, json=body)
        bought = r.json()["results"] if r is not None and r.status_code == 201 else []
        if rejected or rng.random() < 0.3:
            await s.advance("control.advance", 10)  # fulfilled (or rejected and refunded)
        for number in bought:
            await bird_number_reads(s, ws, headers, number, rng)
        others = [i for i in items if i not in picked]
        if others and rng.random() < 0.4:  # reserve, then release or leave it to the reset
            item = rng.choice(others)
            r = await s.call(
                "bird.reserve", "POST", reservation(ws, item["id"]), {201, 409}, headers=headers
            )
            if r is not None and r.status_code == 201 and rng.random() < 0.5:
                await s.call(
                    "bird.release", "DELETE", reservation(ws, item["id"]), {204}, headers=headers
                )
        await s.call(
            "bird.list-numbers",
            "GET",
            numbers,
            {200} | s.bird_429,
            headers=headers,
            params={"limit": 99},
        )
        if rng.random() < 0.5:
            await s.journal(ws, 50)
    finally:
        await s.forget(tenant)


# --- Vobiz tests -----------------------------------------------------------------------------


async def vobiz_order(
    s: Soak,
    op: str,
    headers: Mapping[str, str],
    rng: random.Random,
    extra_ok: Iterable[int] = (),
) -> dict[str, Any] | None:
    """Look at availability and order one of the numbers shown (or any in its region)."""
    country = rng.choice(("IN", "IN", "US"))
    currency = "INR" if country == "IN" or rng.random() < 0.2 else "USD"
    r = await s.call(
        "vobiz.availability",
        "GET",
        AVAILABILITY,
        {200},
        headers=headers,
        params={"country": country, "limit": rng.randint(5, 20)},
    )
    if r is None or r.status_code != 200 or not r.json()["items"]:
        return None
    offered = rng.choice(r.json()["items"])
    body = {
        "country_code": country,
        "region": offered["region"],
        "number_type": "local",
        "currency": currency,
    }
    if rng.random() < 0.5:
        body["preferred_number"] = offered["e164"]
    # 402: the balance ran out; 404: the region sold out; 409: the number went meanwhile.
    ok = {201, 402, 404, 409, *extra_ok}
    r = await s.call(op, "POST", ORDERS, ok, headers=headers, json=body)
    return r.json() if r is not None and r.status_code == 201 else None


async def channel_round(
    s: Soak, headers: Mapping[str, str], body: Mapping[str, Any], rng: random.Random
) -> None:
    """Create a channel, read it, maybe rename it, delete it, and see it gone."""
    r = await s.call("vobiz.create-channel", "POST", CHANNELS, {201}, headers=headers, json=body)
    if r is None or r.status_code != 201:
        return
    path = f"{CHANNELS}/{r.json()['id']}"
    await s.call("vobiz.get-channel", "GET", path, {200}, headers=headers)
    if rng.random() < 0.3:
        rename = {"display_name": f"Soak {rng.randrange(1000)}"}
        await s.call("vobiz.update-channel", "PUT", path, {200}, headers=headers, json=rename)
    if rng.random() < 0.3:
        await s.call("vobiz.list-channels", "GET", CHANNELS, {200}, headers=headers)
    await s.call("vobiz.delete-channel", "DELETE", path, {204}, headers=headers)
    await s.call("vobiz.get-channel (deleted)", "GET", path, {404}, headers=headers)


def channel_body(phone: str, mode: str, rng: random.Random, order_id: str | None = None) -> Any:
    body: dict[str, Any] = {
        "waba_id": str(rng.randrange(10**15, 10**16)),
        "phone_number": phone,
        "number_onboarding_mode": mode,
        "number_provider": "vobiz" if mode == "buy_from_vobiz" else "meta_direct",
        "access_token": f"EAAsoak{rng.randrange(10**9)}",
        "display_name": "Soak test",
    }
    if order_id is not None:
        body["number_order_id"] = order_id
    else:
        body["phone_number_id"] = str(rng.randrange(10**14, 10**15))
    return body


async def byon(
    s: Soak,
    prefix: str,
    headers: Mapping[str, str],
    auth_id: str,
    rng: random.Random,
    *,
    expire: float,
) -> None:
    """Bring your own number: verify, then confirm with the oracle's code (after wrong
    codes, or locked by five), or ask again too soon, or leave the code to expire."""
    # A tick of the clock may expire a code between two calls (422), more so on a slow
    # run; on the scenario's account a suite reset may drop the verification (404).
    shared = auth_id == ACME_AUTH
    phone = s.byon_number(rng)
    body = {"phone_number": phone, "verification_method": rng.choice(("sms", "voice"))}
    # 409: verified by this account, or held by another; 429: cooldown, or locked.
    r = await s.call(
        f"{prefix}.byon-verify", "POST", VERIFY, {200, 409, 429}, headers=headers, json=body
    )
    if r is None or r.status_code != 200:
        return
    roll = rng.random()
    if roll < expire:
        return  # left to expire
    code = await s.latest_code(phone, auth_id)
    if code is None:
        s.stats.client_errors.append(f"no code in the OTP oracle for {phone} of {auth_id}")
        return
    confirm = {"phone_number": phone}

    async def wrong_codes(times: int) -> None:
        for _ in range(times):
            await s.call(
                f"{prefix}.byon-confirm (wrong)",
                "POST",
                CONFIRM,
                {400, 404, 422} if shared else {400, 422},
                headers=headers,
                json={**confirm, "otp_code": wrong(code)},
            )

    roll = rng.random()
    if roll < 0.15:  # five wrong codes lock the verification; the right code is then refused
        await wrong_codes(5)
        await s.call(
            f"{prefix}.byon-confirm (locked)",
            "POST",
            CONFIRM,
            {429, 404, 422} if shared else {429, 422},
            headers=headers,
            json={**confirm, "otp_code": code},
        )
        return
    if roll < 0.25:  # a new code too soon: 429, unless a tick passed the 30 s cooldown
        again = await s.call(
            f"{prefix}.byon-verify (again)", "POST", VERIFY, {429, 200}, headers=headers, json=body
        )
        if again is not None and again.status_code == 200:
            code = await s.latest_code(phone, auth_id) or code  # the new code voids the old
    await wrong_codes(rng.choice((0, 0, 1, 2)))
    r = await s.call(
        f"{prefix}.byon-confirm",
        "POST",
        CONFIRM,
        {200, 404, 422} if shared else {200, 422},
        headers=headers,
        json={**confirm, "otp_code": code},
    )
    if r is not None and r.status_code == 200 and rng.random() < 0.6:
        await channel_round(s, headers, channel_body(phone, "bring_your_own", rng), rng)


async def vobiz_test(s: Soak, rng: random.Random) -> None:
    """A test with fresh Vobiz credentials (and an unused Bird workspace), reset at the end."""
    tenant = MockTenant.new(s.args.base)
    headers, auth_id = tenant.vobiz_headers, tenant.vobiz_auth_id
    try:
        balance = f"/api/v1/account/{auth_id}/balance/INR"
        await s.call("vobiz.balance", "GET", balance, {200}, headers=headers)
        roll = rng.random()
        op, extra = "vobiz.order", ()
        if roll < 0.1:
            await s.set_wallet("vobiz", auth_id, "INR", "50000.00")
        elif roll < 0.2:
            rule = {
                "provider": "vobiz",
                "on": "payment",
                "outcome": "declined",
                "accountId": auth_id,
            }
            await s.call("control.add-rule", "POST", "/_mock/rules", {201}, json=rule)
        elif roll < 0.3:  # an intermittent outage of this account's orders, as a test injects
            fault = {
                "provider": "vobiz",
                "tenant": auth_id,
                "operationId": "createWhatsAppNumberOrder",
                "status": 503,
                "probability": 0.5,
                "seed": rng.randrange(1000),
            }
            await s.call("control.add-fault", "POST", "/_mock/faults", {201}, json=fault)
            op, extra = "vobiz.order (503 fault)", (503,)
        order = await vobiz_order(s, op, headers, rng, extra)
        if order is not None:
            path = f"{ORDERS}/{order['id']}"
            await s.call("vobiz.get-order", "GET", path, {200}, headers=headers)
            roll = rng.random()
            if roll < 0.4:
                # 409: a tick completed it first
                await s.call(
                    "vobiz.cancel-order", "POST", path + "/cancel", {200, 409}, headers=headers
                )
                await s.call("vobiz.balance", "GET", balance, {200}, headers=headers)
            elif roll < 0.8:
                await s.advance("control.advance", 31)  # pending -> completed
                await s.call("vobiz.get-order", "GET", path, {200}, headers=headers)
                body = channel_body(
                    order["selected_phone_number"], "buy_from_vobiz", rng, order["id"]
                )
                await channel_round(s, headers, body, rng)
        if rng.random() < 0.2:
            await s.call("vobiz.list-orders", "GET", ORDERS, {200}, headers=headers)
        if rng.random() < 0.6:
            await byon(s, "vobiz", headers, auth_id, rng, expire=0.3)
        if rng.random() < 0.3:
            await s.journal(auth_id, 50)
    finally:
        await s.forget(tenant)


# --- the scenario's own tenants, which no test resets -------------------------------------------


def acme_cancel(number_id: str) -> str:
    return f"/workspaces/{ACME_WS}/endpoints/{number_id}/subscriptions/main/cancel"


async def shared_tenants_test(s: Soak, rng: random.Random) -> None:
    """The default credentials: what a suite that does not use fresh tenants sends. Nothing
    here is reset by the test: reservations and codes are left to expire, bought numbers
    are cancelled (they deprovision after the period), orders are cancelled."""
    if s.acme_to_cancel and rng.random() < 0.5:
        await s.call(
            "acme.cancel-subscription (provisioned)",
            "POST",
            acme_cancel(s.acme_to_cancel.pop(0)),
            {200, 404} | s.bird_429,  # 404: a suite reset dropped it meanwhile
            headers=ACME_KEY,
        )
    items = await bird_search(s, "acme.search", ACME_KEY, ACME_ORG, rng)
    if items:
        roll = rng.random()
        if roll < 0.5:  # reserve and leave it to lapse
            for item in rng.sample(items, k=min(len(items), rng.randint(1, 2))):
                await s.call(
                    "acme.reserve",
                    "POST",
                    reservation(ACME_WS, item["id"]),
                    {201, 409},
                    headers=ACME_KEY,
                )
        elif roll < 0.7:
            item = rng.choice(items)
            r = await s.call(
                "acme.reserve",
                "POST",
                reservation(ACME_WS, item["id"]),
                {201, 409},
                headers=ACME_KEY,
            )
            if r is not None and r.status_code == 201:
                await s.call(
                    "acme.release",
                    "DELETE",
                    reservation(ACME_WS, item["id"]),
                    {204},
                    headers=ACME_KEY,
                )
        else:  # buy, read, cancel: the number returns to stock once deprovisioned
            if rng.random() < 0.3:
                await s.set_wallet("bird", ACME_WS, "EUR", "250.00")
            body = {"numberStockItemIds": [rng.choice(items)["id"]]}
            r = await s.call(
                "acme.buy",
                "POST",
                f"/workspaces/{ACME_WS}/numbers-long-code",
                {201, 402, 422} | s.bird_429,
                headers=ACME_KEY,
                json=body,
            )
            if r is not None and r.status_code == 201:
                number = r.json()["results"][0]
                path = f"/workspaces/{ACME_WS}/numbers-long-code/{number['id']}"
                await s.call("acme.get-number", "GET", path, {200} | s.bird_429, headers=ACME_KEY)
                if rng.random() < 0.5:  # before fulfilment: the order is cancelled, refunded
                    await s.call(
                        "acme.cancel-subscription (unfulfilled)",
                        "POST",
                        acme_cancel(number["id"]),
                        {200} | s.bird_429,
                        headers=ACME_KEY,
                    )
                else:  # by a later test, once provisioned: it deprovisions after the period
                    s.acme_to_cancel.append(number["id"])
    await s.call(
        "acme.balance", "GET", f"/api/v1/account/{ACME_AUTH}/balance/INR", {200}, headers=ACME_VOBIZ
    )
    if rng.random() < 0.3:
        order = await vobiz_order(s, "acme.order", ACME_VOBIZ, rng)
        if order is not None:
            path = f"{ORDERS}/{order['id']}/cancel"
            await s.call("acme.cancel-order", "POST", path, {200, 409}, headers=ACME_VOBIZ)
            if rng.random() < 0.2:
                await s.set_wallet("vobiz", ACME_AUTH, "INR", "25000.00")
    await byon(s, "acme", ACME_VOBIZ, ACME_AUTH, rng, expire=0.7)


async def control_reads(s: Soak, rng: random.Random) -> None:
    """What a CI user reads from the control plane between tests."""
    await s.journal(None, rng.choice((100, 1000)))
    await s.call("control.wallets", "GET", "/_mock/wallets", {200}, params={"tenant": ACME_AUTH})
    await s.call("control.health", "GET", "/_mock/health", {200})
    await s.call("control.clock", "GET", "/_mock/clock", {200})
    await s.call("control.rules", "GET", "/_mock/rules", {200})
    await s.call("control.faults", "GET", "/_mock/faults", {200})
    await s.latest_code(s.byon_number(rng), ACME_AUTH)


# --- hostile traffic (issue 14) ----------------------------------------------------------------

HOSTILE_KEY = "AccessKey soak_hostile_key_00000000"  # an ad-hoc Bird tenant of its own
HOSTILE_WS = "00000000-0000-4000-8000-000000000001"
STOCK = f"/organizations/{ACME_ORG}/numbers-stock-items"
BUY = f"/workspaces/{HOSTILE_WS}/numbers-long-code"
CLOSED = 0  # the "status" of a connection the server closed without an answer


def raw_request(method: str, target: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: soak\r\nAuthorization: {HOSTILE_KEY}\r\n{extra}"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def read_status(reader: asyncio.StreamReader) -> int:
    """The status of the answer (its body read and dropped), or CLOSED."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return CLOSED
    lines = head.decode("latin-1").split("\r\n")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                await reader.readexactly(int(value))
    return int(lines[0].split()[1])


async def raw(
    s: Soak, op: str, expect: set[int], first: bytes, rest: bytes = b"", chunk: int = 1 << 16
) -> None:
    """Send `first`, then `rest` in chunks while the answer may already come (a refusal
    arrives before the end of a huge request); record the answer's status."""
    host, _, port = s.args.base.removeprefix("http://").rpartition(":")
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
    except OSError as error:
        s.stats.transport_errors[f"{op}: {type(error).__name__}"] += 1
        return
    answer = asyncio.create_task(read_status(reader))
    try:
        writer.write(first)
        for start in range(0, len(rest), chunk):
            if answer.done():
                break
            writer.write(rest[start : start + chunk])
            await writer.drain()
        status = await answer
    except ConnectionError:
        status = await answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    s.record(op, "RAW", status, expect)


def padded_query(query: str, size: int) -> str:
    pads = "".join(f"&p{i}=v" for i in range((size - len(query)) // 9))
    return query + pads


HUGE_QUERY = padded_query("countryCodes=US&limit=1", 900_000)
CROWDED_QUERY = "countryCodes=US&" + "&".join(["features=sms"] * 70_000)
INVALID_IDS = json.dumps({"numberStockItemIds": ["x"] * 100_000}).encode()
UNKNOWN_KEYS = json.dumps({f"k{i}": 1 for i in range(60_000)}).encode()
OVERSIZED = b'{"numberStockItemIds": ["' + b"x" * (1 << 20) + b'"]}'


async def hostile_request(s: Soak, rng: random.Random) -> None:
    """One request a careless or hostile client sends (the mock's limits answer it)."""
    limited = {429} if s.args.rate_limits else set()
    kind = rng.choice(("header", "target", "query", "crowded", "ids", "keys", "oversized"))
    if kind == "header":
        size = int(10 ** rng.uniform(5, 7.3))  # 100 KB to 20 MB
        first = raw_request("GET", f"{STOCK}?limit=1", extra="X-Huge: ")[:-2]
        await raw(s, "hostile.huge-header", {431}, first, b"a" * size + b"\r\n\r\n")
    elif kind == "target":
        target = f"{STOCK}?q=" + "a" * ((1 << 20) + 10)
        await raw(s, "hostile.target-over-1MiB", {414}, raw_request("GET", target))
    elif kind == "query":
        request = raw_request("GET", f"{STOCK}?{HUGE_QUERY}")
        await raw(s, "hostile.query-0.9MB", {200} | limited, request)
    elif kind == "crowded":
        request = raw_request("GET", f"{STOCK}?{CROWDED_QUERY}")
        await raw(s, "hostile.70000-features", {422} | limited, request)
    elif kind == "ids":
        await raw(s, "hostile.100000-ids", {422}, raw_request("POST", BUY, INVALID_IDS))
    elif kind == "keys":
        await raw(s, "hostile.60000-properties", {422}, raw_request("POST", BUY, UNKNOWN_KEYS))
    else:
        await raw(s, "hostile.body-over-1MiB", {413}, raw_request("POST", BUY, OVERSIZED))


async def hostile_worker(s: Soak, index: int) -> None:
    rng = random.Random(s.args.seed * 1000 + 500 + index)
    while s.running():
        await hostile_request(s, rng)
        s.stats.tests["hostile request"] += 1
        await asyncio.sleep(rng.uniform(0, 2 * s.args.hostile_think))


async def slow_client(s: Soak, rng: random.Random) -> None:
    """One connection that stops sending: after part of its headers (408), before sending
    anything (closed), or short of its Content-Length (408)."""
    kind = rng.choice(("partial-headers", "silent", "short-body"))
    if kind == "partial-headers":
        first = raw_request("GET", f"{STOCK}?limit=1", extra="X-Slow: ")[:-2]
        await raw(s, "slowloris.partial-headers", {408}, first)
    elif kind == "silent":
        await raw(s, "slowloris.silent", {CLOSED}, b"")
    else:
        request = raw_request("POST", BUY, b'{"numberStockItemIds": ["x"]}' + b" " * 70)
        await raw(s, "slowloris.short-body", {408}, request[:-70])


async def slowloris(s: Soak) -> None:
    """`--slowloris` slow connections open at all times, each replaced when it ends."""
    rng = random.Random(s.args.seed * 1000 + 900)

    async def keep_one() -> None:
        while s.running():
            await slow_client(s, rng)
            s.stats.tests["slow connection"] += 1

    await asyncio.gather(*(keep_one() for _ in range(s.args.slowloris)))


async def probe(s: Soak) -> None:
    """How long the server kept a GET /_mock/health waiting, every 0.1 s: from a process of
    its own (`--probe`), so that this one's busy event loop does not count."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--probe", s.args.base, stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    try:
        while s.running():
            line = await child.stdout.readline()
            if not line:
                break
            waited = float(line)
            s.probes.append(waited)
            s.probe_max = max(s.probe_max, waited)
    finally:
        child.terminate()
        await child.wait()


def run_probe(base: str) -> None:
    """`--probe URL`: print the seconds each health check waited, one a line, every 0.1 s,
    over one keep-alive connection (until stopped)."""
    host, _, port = base.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    while True:
        started = time.perf_counter()
        try:
            connection.request("GET", "/_mock/health")
            connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            connection.close()  # reconnects on the next request
        print(f"{time.perf_counter() - started:.6f}", flush=True)
        time.sleep(0.1)


TESTS: list[tuple[str, Callable[[Soak, random.Random], Awaitable[None]], int]] = [
    ("bird (fresh tenant)", bird_test, 3),
    ("vobiz (fresh tenant)", vobiz_test, 3),
    ("scenario tenants", shared_tenants_test, 2),
    ("control reads", control_reads, 1),
]


async def worker(s: Soak, index: int) -> None:
    rng = random.Random(s.args.seed * 1000 + index)
    names = [t[0] for t in TESTS]
    weights = [t[2] for t in TESTS]
    tests = {t[0]: t[1] for t in TESTS}
    while s.running():
        name = rng.choices(names, weights)[0]
        try:
            await tests[name](s, rng)
        except Exception:  # a bug of the soak (a body it misread): record it, keep going
            s.stats.client_errors.append(traceback.format_exc(limit=3))
        s.stats.tests[name] += 1
        await asyncio.sleep(rng.uniform(0, 2 * s.args.think))


async def ticker(s: Soak) -> None:
    """The mock's clock runs at --clock-rate, and jumps 31 days every --jump-every s."""
    step = 0.5
    next_jump = time.monotonic() + s.args.jump_every
    while s.running():
        await asyncio.sleep(step)
        await s.advance("ticker.advance", s.args.clock_rate * step)
        if s.args.jump_every and time.monotonic() >= next_jump:
            await s.advance("ticker.jump-31-days", JUMP_SECONDS)
            next_jump += s.args.jump_every


async def suite_resets(s: Soak) -> None:
    """A new CI run against the long-lived sidecar: the scenario's tenants back as loaded."""
    if not s.args.shared_reset_every:
        return
    while True:
        until = s.deadline - time.monotonic()
        if until <= s.args.shared_reset_every:
            return
        await asyncio.sleep(s.args.shared_reset_every)
        for provider, name in (("bird", ACME_WS), ("vobiz", ACME_AUTH)):
            body = {"provider": provider, "tenant": name}
            await s.call("suite.reset-scenario-tenant", "POST", "/_mock/reset", {200}, json=body)
        await subscribe_dead(s, ACME_KEY, ACME_ORG, ACME_WS)  # the reset dropped it


# --- samples -----------------------------------------------------------------------------------


def rss_kib(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _values(listed: Any) -> list[Any]:
    """A dump's collection as a list: dump format 2 keys some by id (reservations, claims)."""
    return list(listed.values()) if isinstance(listed, dict) else list(listed)


def state_counts(dump: Mapping[str, Any]) -> dict[str, int]:
    """What the state holds, by structure, from a GET /_mock/state dump."""
    now = _time(dump["clock"])
    assert now is not None
    bird, vobiz = dump["bird"], dump["vobiz"]
    tenants = bird["tenants"]
    workspaces = [w for t in tenants for w in t["workspaces"]]
    accounts = vobiz["accounts"]
    verifications = [v for a in accounts for v in a["verifications"]]

    def lapsed(v: Mapping[str, Any]) -> bool:
        if v["verifiedAt"]:
            return False
        locked = _time(v["lockedUntil"])
        expires = _time(v["expiresAt"])
        assert expires is not None
        return locked <= now if locked is not None else expires <= now

    claims_until = [_time(c["until"]) for c in _values(vobiz["claims"])]
    reservations = _values(bird["reservations"])
    sent = vobiz["sentCodes"]
    return {
        "bird.credentials": len(bird["credentials"]),
        "bird.tenants": len(tenants),
        "bird.tenants.ad-hoc without workspaces": sum(
            1 for t in tenants if t["adHoc"] and not t["workspaces"]
        ),
        "bird.organization ids": sum(len(t["organizationIds"]) for t in tenants),
        "bird.workspaces": len(workspaces),
        "bird.numbers": sum(len(w["numbers"]) for w in workspaces),
        "bird.ledger entries": sum(len(w["wallet"]["entries"]) for w in workspaces),
        "bird.reservations": len(reservations),
        "bird.reservations lapsed, still held": sum(
            1 for r in reservations if (_time(r["expiresAt"]) or now) <= now
        ),
        "bird.schedule": len(bird["schedule"]["pending"]),
        "bird.rules": len(bird["rules"]),
        "bird.stock taken": len(bird["inventory"]["unavailable"]),
        "vobiz.accounts": len(accounts),
        "vobiz.tokens": len(vobiz["tokens"]) + len(vobiz["bearers"]),
        "vobiz.orders": sum(len(a["orders"]) for a in accounts),
        "vobiz.ledger entries": sum(
            len(w["entries"]) for a in accounts for w in a["wallets"].values()
        ),
        "vobiz.channels": sum(len(a["channels"]) for a in accounts),
        "vobiz.verifications": len(verifications),
        "vobiz.verifications expired, still held": sum(1 for v in verifications if lapsed(v)),
        "vobiz.claims": len(claims_until),
        "vobiz.claims ended, still held": sum(
            1 for u in claims_until if u is not None and u <= now
        ),
        "vobiz.sent codes (numbers)": len(sent),
        "vobiz.sent codes": sum(len(codes) for codes in sent.values()),
        "vobiz.schedule": len(vobiz["schedule"]["pending"]),
        "vobiz.rules": len(vobiz["rules"]),
        "vobiz.stock taken": len(vobiz["inventory"]["unavailable"]),
    }


def structures(app: Any) -> dict[str, int]:
    """In-process only: the mock's structures counted directly, including what the state
    dump does not show (fault windows, the journal's deque, recorded contract failures)."""
    mock = app.state.mock
    bird = mock.providers[0].backend.state
    vobiz = mock.providers[1].backend.state
    faults = mock.faults.all()
    return {
        "py.bird.tenants (dict)": len(bird.tenants),
        "py.bird.reservations (dict)": len(bird.reservations),
        "py.bird.schedule": len(bird.schedule),
        "py.vobiz.accounts (dict)": len(vobiz.accounts),
        "py.vobiz.claims (dict)": len(vobiz.claims),
        "py.vobiz.sent_codes (dict)": len(vobiz.sent_codes),
        "py.faults": len(faults),
        "py.faults._windows (sum)": sum(len(f._windows) for f in faults),
        "py.journal": len(mock.journal._entries),
        "py.failures": len(mock.failures),
    }


def mock_types() -> Counter[str]:
    """Live objects of the mock's own classes (gc-tracked), by class."""
    found: Counter[str] = Counter()
    for o in gc.get_objects():
        module = type(o).__dict__.get("__module__")
        if isinstance(module, str) and module.startswith("mockserver."):
            found[f"{module}.{type(o).__qualname__}"] += 1
    return found


@dataclass
class Sampler:
    s: Soak
    pid: int
    app: Any = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[str, Any] = field(default_factory=dict)  # tracemalloc, in-process
    types: dict[str, Counter[str]] = field(default_factory=dict)

    async def sample(self, label: str = "") -> dict[str, Any]:
        elapsed = time.monotonic() - self.s.started if self.s.started else 0.0
        memory = rss_kib(self.pid)
        row: dict[str, Any] = {
            "t": round(elapsed, 1),
            "rss_mib": round(memory["VmRSS"] / 1024, 2),
            "hwm_mib": round(memory["VmHWM"] / 1024, 2),
            "cpu_s": round(cpu_seconds(self.pid), 2),
            "fds": open_fds(self.pid),
            "requests": self.s.stats.requests(),
            # The slowest health probe since the last sample (the longest stall, about).
            "probe_max_ms": round(self.s.probe_max * 1000, 1),
        }
        self.s.probe_max = 0.0
        r = await self.s.http.get("/_mock/state")
        if r.status_code == 200:
            row["state_bytes"] = len(r.content)
            row["counts"] = state_counts(r.json())
        r = await self.s.http.get("/_mock/journal", params={"limit": 1})
        if r.status_code == 200:
            journal = r.json()
            row["journal"] = {"recorded": journal["recorded"], "capacity": journal["capacity"]}
        r = await self.s.http.get("/_mock/faults")
        if r.status_code == 200:
            row["faults"] = len(r.json()["faults"])
        r = await self.s.http.get("/_mock/webhooks")
        if r.status_code == 200:
            delivered = {f"webhooks.{k}": v for k, v in r.json()["counts"].items()}
            row["counts"] = {**row.get("counts", {}), **delivered}
        if self.app is not None:
            row["counts"] = {**row.get("counts", {}), **structures(self.app)}
            if label:
                gc.collect()
                self.snapshots[label] = tracemalloc.take_snapshot()
                self.types[label] = mock_types()
        if label:
            row["label"] = label
        self.samples.append(row)
        return row

    async def run(self) -> None:
        middle = self.s.args.duration / 2
        labelled = {"warm": self.s.args.warmup, "middle": middle}
        next_at = self.s.args.sample_every
        while self.s.running():
            await asyncio.sleep(max(0.0, self.s.started + next_at - time.monotonic()))
            if not self.s.running():
                break
            now = time.monotonic() - self.s.started
            label = ""
            for name, at in list(labelled.items()):
                if now >= at - 0.01:
                    label = name
                    del labelled[name]
            row = await self.sample(label)
            print(
                f"  t={row['t']:6.1f}s  RSS {row['rss_mib']:7.2f} MiB"
                f"  requests {row['requests']:7d}"
                f"  state {row.get('state_bytes', 0) / 1024:8.1f} KiB"
                f"  fds {row['fds']:4d}  slowest probe {row['probe_max_ms']:7.1f} ms {label}",
                flush=True,
            )
            next_at += self.s.args.sample_every


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("mockserver")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mockserver"]
    pin = ["taskset", "-c", str(SERVER_CPU)] if shutil.which("taskset") else []
    return [
        *pin,
        *command,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--clock",
        "manual",
        "--log-level",
        "warning",
    ]


def wait_ready(base: str, process: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"mockserver exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/_mock/health", timeout=1, trust_env=False).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"mockserver not healthy after {timeout} s")


async def drive(s: Soak, sampler: Sampler) -> None:
    if s.args.rate_limits:
        body = {"profile": "bird-documented-rate-limits"}
        await s.call("control.add-fault", "POST", "/_mock/faults", {201}, json=body)
    await subscribe_dead(s, ACME_KEY, ACME_ORG, ACME_WS)
    idle = await sampler.sample("idle")
    print(
        f"  idle: RSS {idle['rss_mib']:.2f} MiB, state {idle.get('state_bytes', 0) / 1024:.1f} KiB"
    )
    s.started = time.monotonic()
    s.deadline = s.started + s.args.duration
    tasks = [asyncio.create_task(worker(s, k)) for k in range(s.args.workers)]
    tasks += [asyncio.create_task(ticker(s)), asyncio.create_task(suite_resets(s))]
    tasks += [asyncio.create_task(hostile_worker(s, k)) for k in range(s.args.hostile_workers)]
    tasks += [asyncio.create_task(slowloris(s)), asyncio.create_task(probe(s))]
    await sampler.run()
    await asyncio.gather(*tasks)
    await sampler.sample("end")


async def run_external(args: argparse.Namespace) -> tuple[Soak, Sampler]:
    port = free_port()
    args.base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = server_command(port)
    print("server:", " ".join(command))
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_ready(args.base, process)
        if shutil.which("taskset"):
            os.sched_setaffinity(0, {LOAD_CPU})
        async with client(args) as http:
            s = Soak(http, args)
            sampler = Sampler(s, process.pid)
            await drive(s, sampler)
        alive = process.poll() is None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if stderr.strip():
        print("server stderr (last 2000 characters):\n" + stderr[-2000:])
    if not alive:
        s.stats.client_errors.append("the server exited during the soak")
    return s, sampler


async def run_inprocess(args: argparse.Namespace) -> tuple[Soak, Sampler]:
    """The server on this event loop: the sampler reads the mock's structures directly and
    takes tracemalloc snapshots; RSS is then the whole process, client and tracemalloc
    included: read the counts and the allocation sites, not the RSS."""
    import uvicorn

    from mockserver import Settings, create_app
    from mockserver.serving import uvicorn_config

    tracemalloc.start(args.frames)
    app = create_app(Settings(host="127.0.0.1", port=0, clock="manual", log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    args.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # The mock's own HTTP protocol and limits, as `mockserver` serves it.
    config = uvicorn_config(
        app, log_config=None, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        async with client(args) as http:
            s = Soak(http, args)
            sampler = Sampler(s, os.getpid(), app)
            await drive(s, sampler)
    finally:
        server.should_exit = True
        await serving
        sock.close()
    return s, sampler


def client(args: argparse.Namespace) -> httpx.AsyncClient:
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them, so a
    # request never races the server closing its connection (a ReadError, not the mock's).
    limits = httpx.Limits(
        max_connections=args.workers + 4,
        max_keepalive_connections=args.workers + 4,
        keepalive_expiry=2.0,
    )
    return httpx.AsyncClient(base_url=args.base, timeout=60, limits=limits, trust_env=False)


# --- the report ------------------------------------------------------------------------------


def nearest(samples: list[dict[str, Any]], t: float) -> dict[str, Any]:
    timed = [x for x in samples if x.get("label") != "idle"]
    return min(timed, key=lambda x: abs(x["t"] - t))


def slope_mib_per_min(samples: list[dict[str, Any]], after: float) -> float:
    points = [
        (x["t"], x["rss_mib"]) for x in samples if x["t"] >= after and x.get("label") != "idle"
    ]
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 60 if var else 0.0


def report(args: argparse.Namespace, s: Soak, sampler: Sampler) -> dict[str, Any]:
    samples = sampler.samples
    idle = samples[0]
    warm = nearest(samples, args.warmup)
    middle = nearest(samples, args.duration / 2)
    end = samples[-1]

    # Medians of three samples around each point: one sample can catch a burst.
    def around(row: dict[str, Any]) -> float:
        timed = [x for x in samples if x.get("label") != "idle"]
        i = timed.index(row)
        return median(x["rss_mib"] for x in timed[max(0, i - 1) : i + 2])

    growth = (end["rss_mib"] - middle["rss_mib"]) / middle["rss_mib"] * 100
    flat = abs(growth) <= args.tolerance
    slope = slope_mib_per_min(samples, args.warmup)
    stats = s.stats
    total = stats.requests()
    failures = stats.failures()
    print()
    print(
        f"## Soak: {args.duration:.0f} s, {args.workers} workers, manual clock "
        f"(+{args.clock_rate:g} s per s, 31-day jump every {args.jump_every:g} s)"
    )
    print()
    print(
        f"RSS MiB: idle {idle['rss_mib']:.1f}, after warm-up (t={warm['t']:.0f} s) "
        f"{warm['rss_mib']:.1f}, middle (t={middle['t']:.0f} s) {middle['rss_mib']:.1f}, "
        f"end (t={end['t']:.0f} s) {end['rss_mib']:.1f}; peak (VmHWM) {end['hwm_mib']:.1f}"
    )
    print(
        f"end vs middle {growth:+.2f} % ({'FLAT' if flat else 'GROWING'}, tolerance "
        f"{args.tolerance:g} %); median-of-3 middle {around(middle):.1f}, end {around(end):.1f}; "
        f"slope after warm-up {slope:+.3f} MiB/min"
    )
    classes = stats.by_class()
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(classes.items()))
    print(f"requests: {total:,} in {args.duration:.0f} s ({total / args.duration:.0f}/s): {mix}")
    busy = (end["cpu_s"] - idle["cpu_s"]) / args.duration * 100
    print(f"server CPU: {busy:.0f} % of one core over the run")
    probes = sorted(s.probes)
    stall = max((x["probe_max_ms"] for x in samples), default=0.0)
    if probes:
        p99 = probes[int(len(probes) * 0.99)] * 1000
        print(
            f"health probe ({len(probes):,}): median {median(probes) * 1000:.1f} ms, "
            f"p99 {p99:.1f} ms, slowest {stall:.1f} ms (the longest stall, about)"
        )
    fds = [x["fds"] for x in samples]
    print(f"open fds: idle {fds[0]}, max {max(fds)}, end {fds[-1]}")
    print("tests: " + ", ".join(f"{k} {v:,}" for k, v in stats.tests.items()))
    print()
    print("| operation | requests | statuses |")
    print("|---|---|---|")
    for op in sorted(stats.statuses):
        counter = stats.statuses[op]
        mix = ", ".join(f"{status}: {n:,}" for status, n in sorted(counter.items()))
        print(f"| {op} | {sum(counter.values()):,} | {mix} |")
    print()
    print("| state | idle | warm | middle | end | middle -> end |")
    print("|---|---|---|---|---|---|")
    points = (idle, warm, middle, end)
    for key in end.get("counts", {}):
        row = [x.get("counts", {}).get(key) for x in points]
        cells = ["" if v is None else f"{v:,}" for v in row]
        grew = "" if None in row[2:] else f"{row[3] - row[2]:+,}"
        print(f"| {key} | {' | '.join(cells)} | {grew} |")
    kib = [x.get("state_bytes", 0) / 1024 for x in points]
    print(f"| state dump KiB | {' | '.join(f'{v:,.1f}' for v in kib)} | {kib[3] - kib[2]:+,.1f} |")
    recorded = [x.get("journal", {}).get("recorded", 0) for x in points]
    capacity = end.get("journal", {}).get("capacity")
    print(
        f"| journal: recorded (kept: at most {capacity}) | "
        f"{' | '.join(f'{v:,}' for v in recorded)} | {recorded[3] - recorded[2]:+,} |"
    )
    faults = [x.get("faults", 0) for x in points]
    print(f"| faults | {' | '.join(map(str, faults))} | {faults[3] - faults[2]:+} |")
    print()
    unexpected = {op: dict(c) for op, c in stats.unexpected.items()}
    if unexpected:
        print("Unexpected statuses (not among those the operation may legitimately answer):")
        for op, counter in sorted(unexpected.items()):
            print(f"  {op}: {counter}")
            for example in stats.examples[op]:
                print(f"    e.g. {example}")
    if stats.transport_errors:
        print(f"Transport errors: {dict(stats.transport_errors)}")
    if stats.client_errors:
        print(f"Soak-side errors ({len(stats.client_errors)}), first:\n{stats.client_errors[0]}")
    print(f"5xx failures: {failures or 'none'}")
    if sampler.snapshots:
        tracemalloc_report(sampler, args)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "command": " ".join(["python", *sys.argv]),
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "rss_mib": {
            "idle": idle["rss_mib"],
            "warm": warm["rss_mib"],
            "middle": middle["rss_mib"],
            "end": end["rss_mib"],
            "peak": end["hwm_mib"],
            "end_vs_middle_percent": round(growth, 2),
            "slope_mib_per_min": round(slope, 4),
            "flat": flat,
        },
        "requests": total,
        "slowest_probe_ms": stall,
        "open_fds": {"idle": fds[0], "max": max(fds), "end": fds[-1]},
        "status_classes": dict(classes),
        "statuses": {op: dict(c) for op, c in stats.statuses.items()},
        "unexpected": unexpected,
        "failures": failures,
        "transport_errors": dict(stats.transport_errors),
        "client_errors": stats.client_errors[:20],
        "tests": dict(stats.tests),
        "samples": samples,
    }


def tracemalloc_report(sampler: Sampler, args: argparse.Namespace) -> None:
    """What was allocated between the middle and the end and is still alive, by line."""
    first = sampler.snapshots.get("middle") or sampler.snapshots.get("warm")
    last = sampler.snapshots.get("end")
    if first is None or last is None:
        return
    keep = [tracemalloc.Filter(True, "*/mockserver/*")]
    print()
    print("tracemalloc, middle -> end, mockserver/ lines with the most growth:")
    for stat in last.filter_traces(keep).compare_to(first.filter_traces(keep), "lineno")[:15]:
        print(f"  {stat}")
    print("tracemalloc, middle -> end, any line:")
    for stat in last.compare_to(first, "lineno")[:10]:
        print(f"  {stat}")
    before = sampler.types.get("middle") or Counter()
    after = sampler.types.get("end") or Counter()
    grown = sorted(((after[k] - before[k], k) for k in after), reverse=True)[:12]
    print("live mockserver objects, middle -> end (largest growth):")
    for delta, name in grown:
        print(f"  {name}: {before[name]:,} -> {after[name]:,} ({delta:+,})")


def commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "mockserver", "specs", "fixtures"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() + (
        " (mockserver/specs/fixtures modified)" if dirty.stdout.strip() else ""
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} x {cpu}, Python {platform.python_version()}, {system}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic (600)")
    parser.add_argument(
        "--sample-every", type=float, default=10, help="seconds between samples (10)"
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent test workers (4)")
    parser.add_argument(
        "--think", type=float, default=0.25, help="mean pause between tests, s (0.25)"
    )
    parser.add_argument(
        "--warmup", type=float, default=None, help="seconds before the flat check (duration/10)"
    )
    parser.add_argument(
        "--tolerance", type=float, default=5, help="end vs middle RSS, percent, to call flat (5)"
    )
    parser.add_argument(
        "--clock-rate", type=float, default=60, help="mock seconds per wall second (60)"
    )
    parser.add_argument(
        "--jump-every",
        type=float,
        default=60,
        help="wall seconds between 31-day jumps (60; 0: none)",
    )
    parser.add_argument(
        "--shared-reset-every",
        type=float,
        default=120,
        help="wall seconds between resets of the scenario's tenants (120; 0: never)",
    )
    parser.add_argument(
        "--byon-pool",
        type=int,
        default=0,
        help="verify numbers from a pool of this size (0, default: a fresh number each time)",
    )
    parser.add_argument(
        "--no-rate-limits",
        dest="rate_limits",
        action="store_false",
        help="do not install the bird-documented-rate-limits profile",
    )
    parser.add_argument(
        "--hostile-workers",
        type=int,
        default=1,
        help="workers sending huge headers, targets, queries and bodies (1; 0: none)",
    )
    parser.add_argument(
        "--hostile-think",
        type=float,
        default=0.5,
        help="mean pause between hostile requests, s (0.5)",
    )
    parser.add_argument(
        "--slowloris",
        type=int,
        default=50,
        help="connections sending part of a request, then nothing, at all times (50; 0: none)",
    )
    parser.add_argument(
        "--no-dead-webhooks",
        dest="dead_webhooks",
        action="store_false",
        help="do not subscribe Bird workspaces to a webhook URL where nothing listens",
    )
    parser.add_argument("--seed", type=int, default=1, help="the soak's own randomness (1)")
    parser.add_argument(
        "--inprocess",
        action="store_true",
        help="serve in this process, with tracemalloc and direct structure counts",
    )
    parser.add_argument("--frames", type=int, default=1, help="tracemalloc frames (--inprocess)")
    parser.add_argument("--out", type=Path, default=None, help="JSON of the samples and counts")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = args.duration / 10
    return args


def main() -> int:
    if sys.argv[1:2] == ["--probe"]:
        run_probe(sys.argv[2])
        return 0
    args = parse_args()
    runner = run_inprocess if args.inprocess else run_external
    s, sampler = asyncio.run(runner(args))
    result = report(args, s, sampler)
    out = args.out
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = ROOT / "bench" / "out" / f"soak-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nsamples: {out}")
    return 0 if result["rss_mib"]["flat"] and not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
