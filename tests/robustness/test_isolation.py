"""Isolation, as a Hypothesis state machine over the HTTP surface of both providers.

Property: whatever several tenants do, in whatever order, with the clock jumping between
their calls,

- no response to tenant A's credentials carries an id that belongs to tenant B: B's
  numbers, endpoints, subscriptions, reservations, orders, verifications, channels,
  wallets or auth id (ids are collected as each tenant sees its own resources; an id A
  itself put in its request may be echoed in the error it gets);
- A never sees a number another tenant holds as available stock, and never holds it as
  its own: at any time every held number has one holder;
- A's calls on B's ids (read, cancel, release, route, update, delete, pay with, page on,
  read the ledger of, act as) answer the provider's 404, 403 or 401 and change nothing
  at all;
- what A lists is A's: its numbers are the ones it bought, its orders, channels, numbers
  bought from inventory and transactions carry its account id, and its balances are its
  opening balance minus exactly what it holds (a Vobiz account: what its orders hold,
  what it bought from inventory and the release fees it paid);
- resetting one tenant (`POST /_mock/reset {provider, tenant}`) leaves every other
  tenant's state dump, lists and wallet identical, and puts the reset one back to the
  scenario (a scenario tenant as loaded, an ad-hoc tenant forgotten).

Why: tenancy is what lets parallel test runs share one mock (DESIGN.md, decision 7), and
a leak there shows up as someone else's flaky test. tests/providers/test_tenancy.py pins
single cases; this drives many interleavings.

Stock is the legitimate exception: the catalogue is public and shared (as at Bird and
Vobiz), so any tenant may see any number that nobody holds (and its id), and may be
refused one another tenant reserved or bought.

Tenants. Bird: the scenario's acme; ad-hoc "alice" with two workspaces (one organization,
one access key); ad-hoc "bob" whose workspace has the same id as alice's second (any UUID
an ad-hoc tenant picks is its own). Each (access key, workspace) is a separate viewer:
Bird scopes numbers by workspace. Vobiz: the scenario's acme and two ad-hoc accounts.
The control plane names Bird tenants by workspace id, so resetting the shared id resets
both alice's and bob's workspace of that id (mockserver/providers/bird/backend.py,
reset_workspace); the machine checks exactly that and nothing wider.

A thorough run (MOCKSERVER_ISOLATION_STEPS sets the steps per example, 20 by default):
MOCKSERVER_ISOLATION_EXAMPLES=500 python -m pytest tests/robustness/test_isolation.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import (
    AVAILABILITY,
    BIRD_ACCESS_KEY,
    BIRD_ORG,
    BIRD_WS,
    CHANNELS,
    CONFIRM,
    ORDERS,
    TRUNK,
    VERIFY,
    VOBIZ_AUTH_ID,
    VOBIZ_TOKEN,
)

EXAMPLES = int(os.environ.get("MOCKSERVER_ISOLATION_EXAMPLES", "25"))
STEPS = int(os.environ.get("MOCKSERVER_ISOLATION_STEPS", "20"))

ORG_ALICE = "0a11ce00-0000-4000-8000-000000000001"
WS_ALICE = "0a11ce00-0000-4000-8000-0000000000a1"
WS_SHARED = "5aa4ed00-0000-4000-8000-000000000002"  # alice's second workspace, and bob's

BYON_PHONES = ["+14155550101", "+14155550102", "+447700900123"]
VOBIZ_REGIONS = {"IN": ["MH", "KA", "DL"], "US": ["CA", "NY"]}
ENDED = ("cancelled", "rejected")  # Bird orders that ended: refunded, item back in stock
HOLDING = ("pending", "completed")  # Vobiz orders that hold their number
RELEASE_FEES = {"INR": Decimal(700), "USD": Decimal(8)}  # the default scenario's
QUARANTINE = timedelta(days=45)
# Generated ids (UUIDs, Vobiz auth ids, Meta's 16-digit WhatsApp ids), found in any body.
TOKEN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|MA_[A-Z0-9]{8}|(?<!\d)\d{16}(?!\d)"
)


@dataclass
class BirdViewer:
    """One access key on one workspace, with what it should own since its last reset."""

    name: str
    key: str
    org: str
    ws: str
    scenario: bool
    opening: Decimal
    bought: dict[str, Decimal] = field(default_factory=dict)  # number id -> monthly price
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)  # as last listed

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"AccessKey {self.key}"}

    @property
    def owner(self) -> str:
        """How the control plane's wallet list names the tenant holding the workspace."""
        return "acme" if self.scenario else f"ad-hoc:AccessKey:{self.key[:12]}"

    def path(self, tail: str, ws: str | None = None) -> str:
        return f"/workspaces/{ws or self.ws}/{tail}"

    def held(self) -> set[str]:
        return {
            n["numberString"] for n in self.listed.values() if n["order"]["status"] not in ENDED
        }


@dataclass
class VobizViewer:
    name: str
    auth_id: str
    token: str
    scenario: bool
    opening: dict[str, Decimal]
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # as last seen
    channels: set[str] = field(default_factory=set)
    codes_sent: set[str] = field(default_factory=set)  # BYON numbers it asked a code for
    verified: set[str] = field(default_factory=set)
    # Numbers it bought from inventory (the account API) and holds: e164 -> currency, and
    # when a release of it puts it back in stock (None: not released).
    bought: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    spent: dict[str, Decimal] = field(default_factory=dict)  # on purchases and release fees

    def pay(self, currency: str, amount: Decimal) -> None:
        self.spent[currency] = self.spent.get(currency, Decimal(0)) + amount

    def restocked(self, now: datetime) -> None:
        """Forget the released numbers whose quarantine is over: back in stock, no one's."""
        for number, (_, back) in list(self.bought.items()):
            if back is not None and back <= now:
                del self.bought[number]

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-ID": self.auth_id, "X-Auth-Token": self.token}

    @property
    def account(self) -> str:
        return f"/api/v1/account/{self.auth_id}"

    def held(self) -> set[str]:
        ordered = {
            o["selected_phone_number"] for o in self.orders.values() if o["status"] in HOLDING
        }
        return ordered | set(self.bought)  # a released number is held until back in stock


def bird_viewers() -> list[BirdViewer]:
    alice, bob = "adhoc_alice_key_000000", "adhoc_bob_key_00000000"
    return [
        BirdViewer("bird:acme", BIRD_ACCESS_KEY, BIRD_ORG, BIRD_WS, True, Decimal("250.00")),
        BirdViewer("bird:alice/1", alice, ORG_ALICE, WS_ALICE, False, Decimal("100.00")),
        BirdViewer("bird:alice/2", alice, ORG_ALICE, WS_SHARED, False, Decimal("100.00")),
        BirdViewer("bird:bob", bob, BIRD_ORG, WS_SHARED, False, Decimal("100.00")),
    ]


def vobiz_viewers() -> list[VobizViewer]:
    acme = {"INR": Decimal("25000.00"), "USD": Decimal("300.00")}
    adhoc = {"INR": Decimal("10000.00"), "USD": Decimal("120.00")}
    return [
        VobizViewer("vobiz:acme", VOBIZ_AUTH_ID, VOBIZ_TOKEN, True, acme),
        VobizViewer("vobiz:carol", "MA_CAROL001", "token_carol_00000000", False, adhoc),
        VobizViewer("vobiz:dave", "MA_DAVE0001", "token_dave_000000000", False, adhoc),
    ]


def money(value: dict[str, Any]) -> Decimal:
    """Bird's Money: amount x 10^exponent."""
    return Decimal(value["amount"]).scaleb(int(value["exponent"]))


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def jwt(claims: dict[str, str]) -> str:
    def part(data: dict[str, str]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def error_code(error: Any) -> str:
    """The code of a Vobiz error body: the WhatsApp API's envelope nests it
    (`error.code`), the account API's flat body is it (`error`)."""
    return str(error if isinstance(error, str) else error["code"])


def bird_part(dump: dict[str, Any], viewer: BirdViewer) -> dict[str, Any]:
    """One viewer's part of a Bird state dump: its workspace (None when there is none), the
    reservations it holds, its pending effects and rules. A tenant's dump holds all of its
    workspaces, and alice has two."""
    part = dump["bird"]
    # An ad-hoc tenant is forgotten, credential and all, when a reset takes its last
    # workspace: then it has nothing.
    owners = {t for c, t in part["credentials"].items() if c.partition(" ")[2] == viewer.key}
    tenant_id = owners.pop() if owners else None
    ref = {"tenant": tenant_id, "workspace": viewer.ws}
    tenants = {t["id"]: t for t in part["tenants"]}
    tenant = tenants.get(tenant_id, {"workspaces": []})
    workspaces = [w for w in tenant["workspaces"] if w["id"] == viewer.ws]
    return {
        "workspace": workspaces[0] if workspaces else None,
        "reservations": [r for r in part["reservations"].values() if r["holder"] == ref],
        "schedule": [d for d in part["schedule"]["pending"] if d["holder"] == ref],
        "rules": [r for r in part["rules"] if r["scope"] == viewer.ws],
    }


def vobiz_part(dump: dict[str, Any], auth_id: str) -> dict[str, Any]:
    """One account's part of a Vobiz state dump. Claims are on numbers, so a claim that
    lapsed (a code that expired) is replaced when another account verifies the number:
    only claims that still hold are the account's."""
    part = dump["vobiz"]
    now = moment(dump["clock"])
    codes = {
        phone: [c for c in sent if c["accountId"] == auth_id]
        for phone, sent in part["sentCodes"].items()
    }
    return {
        "account": [a for a in part["accounts"] if a["authId"] == auth_id],
        "tokens": {t: a for t, a in part["tokens"].items() if a == auth_id},
        "bearers": {t: a for t, a in part["bearers"].items() if a == auth_id},
        "claims": {
            phone: c
            for phone, c in part["claims"].items()
            if c["accountId"] == auth_id and (c["until"] is None or moment(c["until"]) > now)
        },
        "sentCodes": {phone: sent for phone, sent in codes.items() if sent},
        "rules": [r for r in part["rules"] if r["scope"] == auth_id],
        "schedule": [d for d in part["schedule"]["pending"] if d["accountId"] == auth_id],
    }


class IsolationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.app = create_app(Settings(seed=3, validate_responses=True), clock=self.clock)
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=self.app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://mock")
        self.bird = bird_viewers()
        self.vobiz = vobiz_viewers()
        self.owners: dict[str, str] = {}  # generated id -> the viewer it belongs to
        self.stock: dict[str, tuple[str, Decimal]] = {}  # Bird stock item id -> number, price
        self.reserved: dict[str, tuple[str, datetime]] = {}  # item id -> holder, expiry
        self.available: dict[str, tuple[str, str]] = {}  # Vobiz e164 -> country, region
        # Who the current step acted as: everyone else's state must not have moved.
        self.actors: set[str] = set()
        for viewer in self.vobiz:
            self.own(viewer.name, viewer.auth_id)
        # Admit every tenant (ad-hoc ones are created on first use) and keep how each
        # looks as loaded, for "a reset tenant is back to the scenario".
        acme = self.bird[0]
        alphas = self.ok(acme.name, "GET", acme.path("numbers-alpha"), acme.headers)["results"]
        for alpha in alphas:
            self.own(acme.name, alpha["id"], alpha["endpoint"]["instanceId"])
            url = acme.path(f"endpoints/{alpha['id']}/subscriptions")
            subs = self.ok(acme.name, "GET", url, acme.headers)["results"]
            self.own(acme.name, *(s["subscription"]["id"] for s in subs))
        for bird_country in ("US", "GB"):  # some public stock to buy and reserve from step one
            self.bird_search(1, bird_country, 4)
        for vobiz_country in VOBIZ_REGIONS:
            self.vobiz_availability(1, vobiz_country, False)
        self.pristine = self.views()
        self.parts = {name: view["state"] for name, view in self.pristine.items()}

    def teardown(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()
        failures = self.app.state.mock.failures
        assert not failures, f"responses broke the spec: {[str(f) for f in failures]}"

    # --- HTTP, and the check every response goes through -------------------------------

    def call(
        self,
        viewer: str | None,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A request; with `viewer`, its response must carry no other viewer's id."""
        if viewer is not None:
            self.actors.add(viewer)
        response = self.loop.run_until_complete(
            self.http.request(method, url, headers=headers, json=body, params=params)
        )
        assert response.status_code < 500, (method, url, response.text)
        if viewer is not None:
            asked = str(response.request.url) + response.request.content.decode()
            leaked = {
                token: self.owners[token]
                for token in TOKEN.findall(response.text)
                if self.owners.get(token, viewer) != viewer and token not in asked
            }
            assert not leaked, f"{viewer} was answered ids of others: {leaked} ({method} {url})"
        return response

    def ok(
        self, viewer: str | None, method: str, url: str, headers: dict[str, str], **kw: Any
    ) -> Any:
        response = self.call(viewer, method, url, headers, **kw)
        assert response.status_code in (200, 201), (method, url, response.text)
        return response.json()

    def control(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.call(None, method, f"/_mock/{url}", **kw)

    def own(self, viewer: str, *tokens: str) -> None:
        for token in tokens:
            assert self.owners.setdefault(token, viewer) == viewer, (token, viewer)

    def dump(self, provider: str, tenant: str | None = None) -> Any:
        # With secrets: the viewers are found in it by their credentials.
        params = {"provider": provider, "secrets": "true"} | ({"tenant": tenant} if tenant else {})
        response = self.control("GET", "state", params=params)
        return response.json() if response.status_code == 200 else response.status_code

    # --- what each tenant has, and sees of itself ----------------------------------------

    def state_parts(self) -> dict[str, Any]:
        """Each viewer's part of the state dump (two requests for all of them)."""
        bird, vobiz = self.dump("bird"), self.dump("vobiz")
        parts = {v.name: bird_part(bird, v) for v in self.bird}
        return parts | {v.name: vobiz_part(vobiz, v.auth_id) for v in self.vobiz}

    def views(self, names: set[str] | None = None) -> dict[str, Any]:
        """Everything of each viewer: its part of the state, its lists and its wallets."""
        chosen = [v for v in [*self.bird, *self.vobiz] if names is None or v.name in names]
        lists = {v.name: self.lists(v) for v in chosen}  # first: they reopen ad-hoc tenants
        parts, wallets = self.state_parts(), self.wallets()
        return {
            v.name: {"state": parts[v.name], "wallets": wallets[v.name], **lists[v.name]}
            for v in chosen
        }

    def lists(self, viewer: BirdViewer | VobizViewer, balances: bool = True) -> dict[str, Any]:
        if isinstance(viewer, BirdViewer):
            return {"numbers": self.list_bird(viewer)}
        return self.check_vobiz(viewer, balances)

    def own_bird_number(self, viewer: BirdViewer, number: dict[str, Any]) -> None:
        endpoint = number["endpoint"]
        self.own(viewer.name, number["id"], endpoint["instanceId"])
        self.own(viewer.name, *(d["connectorId"] for d in endpoint["dependencies"]))
        if "whatsApp" in endpoint:
            self.own(viewer.name, endpoint["whatsApp"]["whatsAppId"])

    def list_bird(self, viewer: BirdViewer) -> dict[str, Any]:
        url = viewer.path("numbers-long-code")
        body = self.ok(viewer.name, "GET", url, viewer.headers, params={"limit": 99})
        assert "nextPageToken" not in body
        viewer.listed = {n["id"]: n for n in body["results"]}
        for number in body["results"]:
            self.own_bird_number(viewer, number)
        # Only numbers it bought since its last reset (deprovisioned ones leave the list).
        assert set(viewer.listed) <= set(viewer.bought), (viewer.name, viewer.listed.keys())
        return dict(body)

    def check_vobiz(self, viewer: VobizViewer, balances: bool = True) -> dict[str, Any]:
        orders = self.ok(viewer.name, "GET", ORDERS, viewer.headers)
        for order in orders["items"]:
            assert order["account_id"] == viewer.auth_id
            assert order["id"] in viewer.orders, (viewer.name, order["id"])
            viewer.orders[order["id"]] = order
        assert len(orders["items"]) == len(viewer.orders)
        channels = self.ok(viewer.name, "GET", CHANNELS, viewer.headers)
        assert {c["id"] for c in channels["items"]} == viewer.channels
        assert all(c["account_id"] == viewer.auth_id for c in channels["items"])
        numbers = self.ok(viewer.name, "GET", f"{viewer.account}/numbers", viewer.headers)
        listed = {n["e164"] for n in numbers["items"]}
        assert all(n["account_id"] == viewer.auth_id for n in numbers["items"])
        assert {n for n, (_, back) in viewer.bought.items() if back is None} <= listed
        assert listed <= set(viewer.bought), (viewer.name, listed)
        ledger = self.ok(viewer.name, "GET", f"{viewer.account}/transactions", viewer.headers)
        assert all(t["account_id"] == viewer.auth_id for t in ledger["transactions"])
        self.own(viewer.name, *(t["id"] for t in ledger["transactions"]))
        seen = {"orders": orders, "channels": channels, "numbers": numbers}
        if balances:
            seen["balances"] = {c: self.check_balance(viewer, c) for c in viewer.opening}
        return seen

    def check_balance(self, viewer: VobizViewer, currency: str) -> dict[str, Any]:
        url = f"/api/v1/account/{viewer.auth_id}/balance/{currency}"
        balance: dict[str, Any] = self.ok(viewer.name, "GET", url, viewer.headers)
        self.own(viewer.name, balance["id"])
        assert (balance["account_id"], balance["currency"]) == (viewer.auth_id, currency)
        assert Decimal(str(balance["balance"])) == self.vobiz_balance(viewer, currency)
        return balance

    def vobiz_balance(self, viewer: VobizViewer, currency: str) -> Decimal:
        """The opening balance minus the orders that hold their number (others are
        refunded), the numbers bought from inventory and the release fees paid."""
        spent = sum(
            (
                Decimal(str(o["setup_cost"])) + Decimal(str(o["monthly_cost"]))
                for o in viewer.orders.values()
                if o["currency"] == currency and o["status"] in HOLDING
            ),
            Decimal(0),
        )
        return viewer.opening[currency] - spent - viewer.spent.get(currency, Decimal(0))

    def bird_balance(self, viewer: BirdViewer) -> Decimal:
        """The opening balance minus what it bought, plus the orders that ended (refunded);
        a deprovisioned number leaves the list but its month was paid."""
        refunded = sum(
            (viewer.bought[i] for i, n in viewer.listed.items() if n["order"]["status"] in ENDED),
            Decimal(0),
        )
        return viewer.opening - sum(viewer.bought.values(), Decimal(0)) + refunded

    def wallets(self) -> dict[str, list[dict[str, Any]]]:
        """Each viewer's wallets as the control plane lists them (one request)."""
        wallets = self.control("GET", "wallets").json()["wallets"]
        found: dict[str, list[dict[str, Any]]] = {}
        for viewer in self.bird:
            key = ("bird", viewer.ws, viewer.owner)
            found[viewer.name] = [
                w for w in wallets if (w["provider"], w["tenant"], w.get("owner")) == key
            ]
        for vobiz in self.vobiz:
            key2 = ("vobiz", vobiz.auth_id)
            found[vobiz.name] = [w for w in wallets if (w["provider"], w["tenant"]) == key2]
        return found

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def bystanders_are_untouched_and_everyone_sees_only_their_own(self) -> None:
        """Whom the step did not act as has the very same state as before it; whom it did
        act as lists only its own; every wallet holds what its owner's model says."""
        parts = self.state_parts()
        for name, part in parts.items():
            if name not in self.actors:
                assert part == self.parts[name], f"{name} changed, acting as {self.actors}"
        self.parts = parts
        for viewer in [*self.bird, *self.vobiz]:
            if viewer.name in self.actors:
                self.lists(viewer, balances=False)  # every wallet is checked below
        self.actors = set()
        wallets = self.wallets()
        for bird in self.bird:
            [wallet] = wallets[bird.name]
            assert Decimal(wallet["balance"]) == self.bird_balance(bird), bird.name
        for vobiz in self.vobiz:
            for wallet in wallets[vobiz.name]:
                expected = self.vobiz_balance(vobiz, wallet["currency"])
                assert Decimal(wallet["balance"]) == expected, vobiz.name
        for vobiz in self.vobiz:
            vobiz.restocked(self.clock.now())
        for viewers in (self.bird, self.vobiz):
            holders: dict[str, list[str]] = {}
            for viewer in viewers:
                for number in viewer.held():
                    holders.setdefault(number, []).append(viewer.name)
            shared = {n: who for n, who in holders.items() if len(who) > 1}
            assert not shared, f"numbers held by several tenants: {shared}"

    def held_by_anyone(self) -> set[str]:
        for viewer in self.vobiz:
            viewer.restocked(self.clock.now())
        return set().union(*(v.held() for v in [*self.bird, *self.vobiz]))

    # --- Bird: stock, reservations, numbers ------------------------------------------------

    @rule(
        index=st.integers(0, 3),
        country=st.sampled_from(["US", "GB", "NL"]),
        limit=st.integers(1, 4),
    )
    def bird_search(self, index: int, country: str, limit: int) -> None:
        viewer = self.bird[index]
        url = f"/organizations/{viewer.org}/numbers-stock-items"
        params = {"countryCodes": country, "limit": limit}
        body = self.ok(viewer.name, "GET", url, viewer.headers, params=params)
        now = self.clock.now()
        for item in body["results"]:
            self.stock[item["id"]] = (item["numberString"], money(item["monthlyPrice"]))
            # Public, as long as nobody holds it: not bought, not reserved.
            assert item["numberString"] not in self.held_by_anyone(), item
            held = self.reserved.get(item["id"])
            assert held is None or held[1] <= now, (item, held)

    @precondition(lambda self: self.stock)
    @rule(index=st.integers(0, 3), data=st.data())
    def bird_reserve(self, index: int, data: st.DataObject) -> None:
        viewer = self.bird[index]
        item_id = data.draw(st.sampled_from(sorted(self.stock)))
        url = viewer.path(f"numbers-stock-items/{item_id}/reservation")
        response = self.call(viewer.name, "POST", url, viewer.headers)
        assert response.status_code in (201, 409), response.text
        held = self.reserved.get(item_id)
        if held is not None and held[0] != viewer.name and held[1] > self.clock.now():
            assert response.status_code == 409, f"{viewer.name} reserved what {held[0]} holds"
        if response.status_code == 201:
            body = response.json()
            assert body["workspaceId"] == viewer.ws
            self.own(viewer.name, body["id"])
            self.reserved[item_id] = (viewer.name, moment(body["expiresAt"]))

    @precondition(lambda self: self.reserved)
    @rule(index=st.integers(0, 3), data=st.data())
    def bird_release(self, index: int, data: st.DataObject) -> None:
        viewer = self.bird[index]
        item_id = data.draw(st.sampled_from(sorted(self.reserved)))
        holder, expires = self.reserved[item_id]
        url = viewer.path(f"numbers-stock-items/{item_id}/reservation")
        if holder == viewer.name and expires > self.clock.now():
            assert self.call(viewer.name, "DELETE", url, viewer.headers).status_code == 204
            del self.reserved[item_id]
        else:
            self.bird_probe_changes_nothing(viewer, "DELETE", url, 404)

    @precondition(lambda self: self.stock)
    @rule(index=st.integers(0, 3), data=st.data())
    def bird_buy(self, index: int, data: st.DataObject) -> None:
        viewer = self.bird[index]
        item_id = data.draw(st.sampled_from(sorted(self.stock)))
        number, price = self.stock[item_id]
        others = self.held_by_anyone()
        body = {"numberStockItemIds": [item_id]}
        response = self.call(
            viewer.name, "POST", viewer.path("numbers-long-code"), viewer.headers, body
        )
        assert response.status_code in (201, 402, 409, 422), response.text
        held = self.reserved.get(item_id)
        if response.status_code != 201:
            return
        assert number not in others, f"{viewer.name} bought {number}, which is held"
        assert held is None or held[0] == viewer.name or held[1] <= self.clock.now(), held
        [bought] = response.json()["results"]
        assert bought["numberString"] == number
        self.own_bird_number(viewer, bought)
        viewer.bought[bought["id"]] = price
        self.reserved.pop(item_id, None)

    @precondition(lambda self: any(v.listed for v in self.bird))
    @rule(data=st.data(), what=st.sampled_from(["get", "subscriptions", "cancel"]))
    def bird_own_number(self, data: st.DataObject, what: str) -> None:
        viewer = data.draw(st.sampled_from([v for v in self.bird if v.listed]))
        number_id = data.draw(st.sampled_from(sorted(viewer.listed)))
        if what == "get":
            url = viewer.path(f"numbers-long-code/{number_id}")
            body = self.ok(viewer.name, "GET", url, viewer.headers)
            assert body["id"] == number_id
            self.own_bird_number(viewer, body)
        elif what == "subscriptions":
            url = viewer.path(f"endpoints/{number_id}/subscriptions")
            subs = self.ok(viewer.name, "GET", url, viewer.headers)["results"]
            assert [s["subscription"]["correlationId"] for s in subs] == [number_id]
            self.own(viewer.name, *(s["subscription"]["id"] for s in subs))
        else:
            url = viewer.path(f"endpoints/{number_id}/subscriptions/main/cancel")
            self.own(
                viewer.name, self.ok(viewer.name, "POST", url, viewer.headers)["subscription"]["id"]
            )

    # --- Bird: one viewer on another's ids ----------------------------------------------------

    def foreign_bird_ids(self, viewer: BirdViewer) -> list[str]:
        return sorted(
            token
            for token, owner in self.owners.items()
            if owner.startswith("bird:") and owner != viewer.name and "-" in token
        )

    def bird_probe_changes_nothing(
        self, viewer: BirdViewer, method: str, url: str, status: int, body: Any = None
    ) -> httpx.Response:
        before = self.dump("bird")
        response = self.call(viewer.name, method, url, viewer.headers, body)
        assert response.status_code == status, (viewer.name, method, url, response.text)
        assert set(response.json()) <= {"code", "message", "details"}  # Bird's flat error
        assert self.dump("bird") == before, f"{viewer.name}'s {method} {url} changed state"
        return response

    @rule(
        index=st.integers(0, 3),
        data=st.data(),
        what=st.sampled_from(["number", "subscriptions", "main", "cancel", "alpha", "activate"]),
    )
    def bird_probe_foreign_id(self, index: int, data: st.DataObject, what: str) -> None:
        viewer = self.bird[index]
        foreign = self.foreign_bird_ids(viewer)
        if not foreign:
            return
        other = data.draw(st.sampled_from(foreign))
        tail = {
            "number": f"numbers-long-code/{other}",
            "subscriptions": f"endpoints/{other}/subscriptions",
            "main": f"endpoints/{other}/subscriptions/main",
            "cancel": f"endpoints/{other}/subscriptions/main/cancel",
            "alpha": f"numbers-alpha/{other}",
            "activate": f"endpoints/{other}/destinations/activate",
        }[what]
        method = "POST" if what in ("cancel", "activate") else "GET"
        body = {"capability": "sms", "countryCodes": ["NL"]} if what == "activate" else None
        self.bird_probe_changes_nothing(viewer, method, viewer.path(tail), 404, body)

    @rule(index=st.integers(0, 3), data=st.data())
    def bird_probe_through_anothers_workspace(self, index: int, data: st.DataObject) -> None:
        """A's key on B's workspace path: an ad-hoc key gets a workspace of its own by that
        id (empty), the scenario's key gets 404; never B's number, and B is untouched."""
        viewer = self.bird[index]
        targets = [
            (other, number_id)
            for other in self.bird
            if other.key != viewer.key  # one key on its own other workspace is legitimate
            for number_id in sorted(other.bought)
        ]
        if not targets:
            return
        other, number_id = data.draw(st.sampled_from(targets))
        before = self.state_parts()
        url = viewer.path(f"numbers-long-code/{number_id}", ws=other.ws)
        response = self.call(viewer.name, "GET", url, viewer.headers)
        assert response.status_code == 404, response.text
        assert self.state_parts() == before

    @rule(owner=st.integers(0, 3), index=st.integers(0, 3))
    def bird_page_token_of_another(self, owner: int, index: int) -> None:
        other, viewer = self.bird[owner], self.bird[index]
        if other is viewer or len(other.listed) < 2:
            return
        page = self.ok(
            other.name, "GET", other.path("numbers-long-code"), other.headers, params={"limit": 1}
        )
        url = viewer.path("numbers-long-code")
        params = {"limit": 1, "pageToken": page["nextPageToken"]}
        response = self.call(viewer.name, "GET", url, viewer.headers, params=params)
        assert response.status_code == 422, response.text

    # --- Vobiz: availability, orders, BYON, channels ------------------------------------------

    @rule(index=st.integers(0, 2), country=st.sampled_from(["IN", "US"]), by_region=st.booleans())
    def vobiz_availability(self, index: int, country: str, by_region: bool) -> None:
        viewer = self.vobiz[index]
        params = {"country": country, "limit": 5}
        if by_region:
            params["region"] = VOBIZ_REGIONS[country][0]
        body = self.ok(viewer.name, "GET", AVAILABILITY, viewer.headers, params=params)
        held = self.held_by_anyone()
        for item in body["items"]:
            assert item["e164"] not in held, f"{viewer.name} is offered {item['e164']}, held"
            self.available[item["e164"]] = (item["country"], item["region"])

    @rule(
        index=st.integers(0, 2),
        country=st.sampled_from(["IN", "US"]),
        currency=st.sampled_from(["INR", "USD"]),
        data=st.data(),
    )
    def vobiz_order(self, index: int, country: str, currency: str, data: st.DataObject) -> None:
        viewer = self.vobiz[index]
        body = {"country_code": country, "number_type": "local", "currency": currency}
        wanted = [n for n, (c, _) in sorted(self.available.items()) if c == country]
        if wanted and data.draw(st.booleans()):
            preferred = data.draw(st.sampled_from(wanted))
            body |= {"region": self.available[preferred][1], "preferred_number": preferred}
        else:
            body["region"] = data.draw(st.sampled_from(VOBIZ_REGIONS[country]))
        others = self.held_by_anyone()
        response = self.call(viewer.name, "POST", ORDERS, viewer.headers, body)
        assert response.status_code in (201, 402, 404, 409), response.text
        if response.status_code == 201:
            order = response.json()
            assert order["account_id"] == viewer.auth_id
            assert order["selected_phone_number"] not in others, order
            self.own(viewer.name, order["id"])
            viewer.orders[order["id"]] = order

    @precondition(lambda self: any(v.orders for v in self.vobiz))
    @rule(data=st.data(), cancel=st.booleans())
    def vobiz_own_order(self, data: st.DataObject, cancel: bool) -> None:
        viewer = data.draw(st.sampled_from([v for v in self.vobiz if v.orders]))
        order_id = data.draw(st.sampled_from(sorted(viewer.orders)))
        if cancel:
            url = f"{ORDERS}/{order_id}/cancel"
            response = self.call(viewer.name, "POST", url, viewer.headers)
            assert response.status_code in (200, 409), response.text
        else:
            response = self.call(viewer.name, "GET", f"{ORDERS}/{order_id}", viewer.headers)
            assert response.status_code == 200, response.text
        assert response.json().get("id", order_id) == order_id

    @rule(index=st.integers(0, 2), country=st.sampled_from(["IN", "US"]), data=st.data())
    def vobiz_buy(self, index: int, country: str, data: st.DataObject) -> None:
        """Buy from the account API's inventory: the same stock as the WhatsApp availability,
        so never a number anyone holds; paid from the same wallet."""
        viewer = self.vobiz[index]
        url = f"{viewer.account}/inventory/numbers"
        page = self.ok(viewer.name, "GET", url, viewer.headers, params={"country": country})
        held = self.held_by_anyone()
        assert not held & {i["e164"] for i in page["items"]}, f"{viewer.name} is offered held"
        item = data.draw(st.sampled_from(page["items"]))
        price = Decimal(str(item["setup_fee"])) + Decimal(str(item["monthly_fee"]))
        if self.vobiz_balance(viewer, item["currency"]) < price:
            return  # the documented 500 of a failed debit is tested elsewhere
        body = {"e164": item["e164"]}
        url = f"{viewer.account}/numbers/purchase-from-inventory"
        bought = self.ok(viewer.name, "POST", url, viewer.headers, body=body)["number"]
        assert bought["account_id"] == viewer.auth_id
        viewer.bought[item["e164"]] = (item["currency"], None)
        viewer.pay(item["currency"], price)

    @precondition(lambda self: any(v.bought for v in self.vobiz))
    @rule(data=st.data(), immediate=st.booleans())
    def vobiz_release_own(self, data: st.DataObject, immediate: bool) -> None:
        viewer = data.draw(st.sampled_from([v for v in self.vobiz if v.bought]))
        number = data.draw(st.sampled_from(sorted(viewer.bought)))
        currency, back = viewer.bought[number]
        if back is None and self.vobiz_balance(viewer, currency) < RELEASE_FEES[currency]:
            return
        url = f"{viewer.account}/numbers/{number}"
        params = {"immediate": "true"} if immediate else None
        response = self.call(viewer.name, "DELETE", url, viewer.headers, params=params)
        if back is not None:  # released already: pending or quarantined
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        released = response.json()
        viewer.pay(currency, Decimal(str(released["release_fee"])))
        # Documented: 24 hours cancellable (none when immediate), then 45 days of quarantine.
        viewer.bought[number] = (currency, moment(released["cooldown_ends_at"]) + QUARANTINE)

    @rule(index=st.integers(0, 2), currency=st.sampled_from(["INR", "USD"]))
    def vobiz_balance_is_its_own(self, index: int, currency: str) -> None:
        self.check_balance(self.vobiz[index], currency)

    @rule(index=st.integers(0, 2), phone=st.sampled_from(BYON_PHONES))
    def vobiz_verify(self, index: int, phone: str) -> None:
        viewer = self.vobiz[index]
        body = {"phone_number": phone, "verification_method": "sms"}
        response = self.call(viewer.name, "POST", VERIFY, viewer.headers, body)
        assert response.status_code in (200, 409, 429), response.text
        if response.status_code == 200:
            self.own(viewer.name, response.json()["id"])
            viewer.codes_sent.add(phone)

    def sent_codes(self, phone: str) -> list[dict[str, Any]]:
        response = self.control("GET", "otp", params={"phone_number": phone})
        codes: list[dict[str, Any]] = response.json()["codes"]
        return codes

    @precondition(lambda self: any(v.codes_sent for v in self.vobiz))
    @rule(right=st.booleans(), data=st.data())
    def vobiz_confirm(self, right: bool, data: st.DataObject) -> None:
        viewer = data.draw(st.sampled_from([v for v in self.vobiz if v.codes_sent]))
        phone = data.draw(st.sampled_from(sorted(viewer.codes_sent)))
        mine = [c for c in self.sent_codes(phone) if c["authId"] == viewer.auth_id]
        code = mine[0]["code"] if mine and right else "000000"
        body = {"phone_number": phone, "otp_code": code}
        response = self.call(viewer.name, "POST", CONFIRM, viewer.headers, body)
        assert response.status_code in (200, 400, 404, 409, 422, 429), response.text
        if response.status_code == 200:
            viewer.verified.add(phone)

    @rule(
        index=st.integers(0, 2),
        mode=st.sampled_from(["bring_your_own", "buy_from_vobiz", "embedded_signup"]),
        data=st.data(),
    )
    def vobiz_create_channel(self, index: int, mode: str, data: st.DataObject) -> None:
        viewer = self.vobiz[index]
        body = {
            "waba_id": "1911116896216319",
            "phone_number_id": "974161339121558",
            "number_onboarding_mode": mode,
            "number_provider": "vobiz" if mode == "buy_from_vobiz" else "meta_direct",
            "access_token": "EAAsecret",
            "display_name": viewer.name,
        }
        if mode == "bring_your_own" or not viewer.orders:
            phones = sorted(viewer.verified) if mode == "bring_your_own" else []
            body["phone_number"] = data.draw(st.sampled_from(phones or BYON_PHONES))
        else:
            order = viewer.orders[data.draw(st.sampled_from(sorted(viewer.orders)))]
            body |= {"phone_number": order["selected_phone_number"], "number_order_id": order["id"]}
        response = self.call(viewer.name, "POST", CHANNELS, viewer.headers, body)
        assert response.status_code in (201, 409, 422), response.text
        if response.status_code == 201:
            channel = response.json()
            assert channel["account_id"] == viewer.auth_id
            self.own(viewer.name, channel["id"])
            viewer.channels.add(channel["id"])

    @precondition(lambda self: any(v.channels for v in self.vobiz))
    @rule(data=st.data(), what=st.sampled_from(["get", "update", "delete"]))
    def vobiz_own_channel(self, data: st.DataObject, what: str) -> None:
        viewer = data.draw(st.sampled_from([v for v in self.vobiz if v.channels]))
        channel_id = data.draw(st.sampled_from(sorted(viewer.channels)))
        url = f"{CHANNELS}/{channel_id}"
        if what == "delete":
            assert self.call(viewer.name, "DELETE", url, viewer.headers).status_code == 204
            viewer.channels.discard(channel_id)
            return
        method, body = ("PUT", {"display_name": "renamed"}) if what == "update" else ("GET", None)
        channel = self.ok(viewer.name, method, url, viewer.headers, body=body)
        assert (channel["id"], channel["account_id"]) == (channel_id, viewer.auth_id)

    # --- Vobiz: one account on another's ids ----------------------------------------------------

    @rule(
        index=st.integers(0, 2),
        owner=st.integers(0, 2),
        what=st.sampled_from(
            [
                "order",
                "cancel",
                "channel",
                "rename",
                "delete",
                "pay-with",
                "balance",
                "confirm",
                "release-bought",
                "assign-bought",
                "ledger",
            ]
        ),
        data=st.data(),
    )
    def vobiz_probe_foreign_id(
        self, index: int, owner: int, what: str, data: st.DataObject
    ) -> None:
        viewer, other = self.vobiz[index], self.vobiz[owner]
        if viewer is other:
            return
        orders, channels = sorted(other.orders), sorted(other.channels)
        method, url, body = "GET", "", None
        if what in ("order", "cancel", "pay-with") and orders:
            order_id = data.draw(st.sampled_from(orders))
            method, url, status, code = "GET", f"{ORDERS}/{order_id}", 404, "ORDER_NOT_FOUND"
            if what == "cancel":
                method, url = "POST", f"{url}/cancel"
            elif what == "pay-with":
                method, url, body = (
                    "POST",
                    CHANNELS,
                    {
                        "waba_id": "1911116896216319",
                        "phone_number": other.orders[order_id]["selected_phone_number"],
                        "number_onboarding_mode": "buy_from_vobiz",
                        "number_provider": "vobiz",
                        "number_order_id": order_id,
                        "access_token": "EAAsecret",
                        "display_name": "stolen",
                    },
                )
        elif what in ("channel", "rename", "delete") and channels:
            url = f"{CHANNELS}/{data.draw(st.sampled_from(channels))}"
            status, code = 404, "CHANNEL_NOT_FOUND"
            if what == "rename":
                method, body = "PUT", {"display_name": "stolen"}
            elif what == "delete":
                method = "DELETE"
        elif what in ("release-bought", "assign-bought") and other.bought:
            number = data.draw(st.sampled_from(sorted(other.bought)))
            url = f"{viewer.account}/numbers/{number}"
            method, status, code = "DELETE", 403, "forbidden"
            if what == "assign-bought":
                method, url, body = "POST", f"{url}/assign", {"trunk_group_id": TRUNK}
                status, code = 404, "Number not found"
        elif what == "ledger":
            url, status, code = f"/api/v1/account/{other.auth_id}/transactions", 403, "forbidden"
        elif what == "balance":
            currency = data.draw(st.sampled_from(["INR", "USD"]))
            # The account API: its pages' flat body, {"error": "forbidden", ...}.
            url, status, code = (
                f"/api/v1/account/{other.auth_id}/balance/{currency}",
                403,
                "forbidden",
            )
        elif what == "confirm":
            sent = [
                (phone, c["code"])
                for phone in BYON_PHONES
                for c in self.sent_codes(phone)
                if c["authId"] == other.auth_id and c["status"] == "pending"
            ]
            if not sent:
                return
            phone, otp = data.draw(st.sampled_from(sent))
            method, url, body = "POST", CONFIRM, {"phone_number": phone, "otp_code": otp}
            status = None  # not A's verification: 404, or A's own expired or locked one
        if not url:
            return
        before = self.dump("vobiz")
        response = self.call(viewer.name, method, url, viewer.headers, body)
        error = response.json()["error"]
        if status is None:
            assert response.status_code in (404, 409, 422, 429), response.text
        else:
            assert (response.status_code, error_code(error)) == (status, code), response.text
        assert self.dump("vobiz") == before, f"{viewer.name}'s {method} {url} changed state"

    @rule(index=st.integers(0, 2), owner=st.integers(0, 2), bearer=st.booleans())
    def vobiz_act_as_another(self, index: int, owner: int, bearer: bool) -> None:
        """A's token with B's auth id, or a JWT claiming B's auth id: 401, B untouched."""
        viewer, other = self.vobiz[index], self.vobiz[owner]
        if viewer is other:
            return
        if bearer:
            headers = {"Authorization": f"Bearer {jwt({'sub': other.auth_id})}"}
        else:
            headers = {"X-Auth-ID": other.auth_id, "X-Auth-Token": viewer.token}
        before = self.dump("vobiz")
        for url in (ORDERS, CHANNELS, f"/api/v1/account/{other.auth_id}/balance/INR"):
            response = self.call(viewer.name, "GET", url, headers)
            assert response.status_code == 401, response.text
            code = error_code(response.json()["error"])
            assert code == ("unauthorized" if "/account/" in url else "INVALID_CREDENTIALS")
        assert self.dump("vobiz") == before

    # --- time and resets ----------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1, 3, 6, 16, 31, 601, 901, 3601, 31 * 86400]))
    def advance(self, seconds: int) -> None:
        assert self.control("POST", "clock/advance", body={"seconds": seconds}).status_code == 200
        # Lifecycles move for everyone: nobody is a bystander, everyone is listed again.
        self.actors = {v.name for v in [*self.bird, *self.vobiz]}

    @rule(
        tenant=st.sampled_from(
            [("bird", BIRD_WS), ("bird", WS_ALICE), ("bird", WS_SHARED)]
            + [("bird", v.key) for v in bird_viewers()[1:]]
            + [("vobiz", v.auth_id) for v in vobiz_viewers()]
        )
    )
    def reset_one_tenant(self, tenant: tuple[str, str]) -> None:
        """A reset names exactly one tenant: a Bird access key stands for all of its
        tenant's workspaces, a workspace id for the one workspace of that id, unless several
        tenants have one (alice's second and bob's): then it is refused, 409
        ambiguous-tenant, and nothing changes."""
        provider, name = tenant
        owners = self.workspace_owners(name) if provider == "bird" else {}
        hit = [v for v in self.bird if provider == "bird" and name in (v.key, v.ws)]
        if name == WS_SHARED:
            hit = [v for v in hit if any(v.key in keys for keys in owners.values())]
        hit += [v for v in self.vobiz if provider == "vobiz" and v.auth_id == name]
        if len(owners) > 1:
            hit = []
        kept = {v.name for v in [*self.bird, *self.vobiz] if v not in hit}
        before = self.views(kept)

        reset = self.control("POST", "reset", body={"provider": provider, "tenant": name})
        if len(owners) > 1:
            assert (reset.status_code, reset.json()["code"]) == (409, "ambiguous-tenant")
        elif reset.status_code == 404:  # nobody has it (ad-hoc ones forgotten): no change
            assert all(not v.scenario for v in hit), name
            hit = []
        else:
            assert reset.json() == {"reset": "tenant", "provider": provider, "tenant": name}

        parts = self.state_parts()  # before anyone is listed again (which reopens ad-hoc ones)
        for viewer in hit:
            if viewer.scenario:
                assert parts[viewer.name] == self.pristine[viewer.name]["state"], viewer.name
            else:  # forgotten; reopened on its next call
                assert not any(parts[viewer.name].values()), parts[viewer.name]
            self.forget(viewer)
        after = self.views()
        for key in kept:
            assert after[key] == before[key], f"resetting {name} changed {key}"
        for viewer in hit:
            view = after[viewer.name]
            if isinstance(viewer, VobizViewer) and not viewer.scenario:
                # A new account: new wallet ids and creation time; its balances are the
                # opening ones (check_vobiz compares them with the emptied model).
                assert (view["orders"], view["channels"]) == ({"items": []}, {"items": []})
                [account] = view["state"]["account"]
                assert account["orders"] == account["verifications"] == account["channels"] == []
                assert account["numbers"] == []
            else:
                assert view == self.pristine[viewer.name], viewer.name
        self.actors, self.parts = set(), self.state_parts()

    def workspace_owners(self, ws: str) -> dict[str, list[str]]:
        """The tenants that have a workspace of this id now, with their credentials."""
        bird = self.dump("bird")["bird"]
        owners = [t["id"] for t in bird["tenants"] if any(w["id"] == ws for w in t["workspaces"])]
        return {
            owner: [c.partition(" ")[2] for c, t in bird["credentials"].items() if t == owner]
            for owner in owners
        }

    def forget(self, viewer: BirdViewer | VobizViewer) -> None:
        if isinstance(viewer, BirdViewer):
            viewer.bought.clear()
            viewer.listed.clear()
            self.reserved = {k: v for k, v in self.reserved.items() if v[0] != viewer.name}
        else:
            viewer.orders.clear()
            viewer.channels.clear()
            viewer.codes_sent.clear()
            viewer.verified.clear()
            viewer.bought.clear()
            viewer.spent.clear()


IsolationMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIsolation = IsolationMachine.TestCase
