"""A Hypothesis state machine over Bird's platform API and api.bird.com together, through
HTTP: whatever sequence of searches, orders (with and without Idempotency-Keys, replayed
or reused for another body), api.bird.com reservations and purchases, renames, cancels,
releases, wallet changes, outcome rules and clock jumps, the invariants hold.

- One holder per number across both APIs: a stock item is held by at most one live
  api.bird.com number, platform number or pending platform order, and then not in stock.
- Every platform wallet reconciles: its balance is the opening balance minus its debits,
  one setup fee per order, one first month per completed order, renewals for the rest.
- A refused call changes nothing (bar the refusal kept for its Idempotency-Key).
- A replay under an Idempotency-Key answers the first response again and changes nothing.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockserver import ManualClock, Settings, create_app
from mockserver.providers.bird import lifecycles
from mockserver.providers.bird.backend import BirdBackend
from mockserver.providers.bird.platform.auth import workspace_of
from mockserver.transport import sync_asgi_transport
from tests.support.credentials import BIRD, BIRD_WS

KEYS = [f"bk_eu1_state_machine_key_{i:08d}" for i in range(2)]
IDEMPOTENCY_KEYS = ["k-a", "k-b", "k-c"]


class PlatformMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        app = create_app(Settings(seed=5, validate_responses=True), clock=self.clock)
        self.app = app
        self.bird: BirdBackend = app.state.mock.providers[0].backend
        self.stack = ExitStack()
        transport = self.stack.enter_context(sync_asgi_transport(app))
        self.http = self.stack.enter_context(
            httpx.Client(transport=transport, base_url="http://mock")
        )
        self.seen: list[str] = []  # numbers found on sale
        self.held: list[tuple[str, str]] = []  # (key, number id) the platform allocated
        self.first: dict[tuple[str, str], tuple[str, httpx.Response]] = {}  # replays
        for key in KEYS:  # opened up front: a key's first use opens its tenant
            assert self.get(key, "/v1/sms/senders").status_code == 200

    def teardown(self) -> None:
        self.stack.close()
        assert self.app.state.mock.failures == [], [str(f) for f in self.app.state.mock.failures]

    def get(self, key: str, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {key}"})

    # --- moves ------------------------------------------------------------------------

    @precondition(lambda self: len(self.seen) < 12)
    @rule(key=st.sampled_from(KEYS), country=st.sampled_from(["NL", "GB", "DE"]))
    def search(self, key: str, country: str) -> None:
        page = self.get(key, "/v1/numbers/available", country_code=country, limit=4)
        assert page.status_code == 200, page.text
        self.seen.extend(n["number"] for n in page.json()["data"])

    @precondition(lambda self: self.seen)
    @rule(
        data=st.data(),
        key=st.sampled_from(KEYS),
        idempotency_key=st.none() | st.sampled_from(IDEMPOTENCY_KEYS),
        reference=st.none() | st.sampled_from(["A", "B"]),
    )
    def order(
        self, data: st.DataObject, key: str, idempotency_key: str | None, reference: str | None
    ) -> None:
        number = data.draw(st.sampled_from(self.seen))
        body: dict[str, Any] = {"number": number}
        if reference is not None:
            body["reference"] = reference
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = self.http.build_request("POST", "/v1/numbers/orders", json=body, headers=headers)
        earlier = self.first.get((key, idempotency_key)) if idempotency_key else None
        fingerprint = self.settled_fingerprint()
        response = self.http.send(request)
        if earlier is not None and earlier[0] == request.content.decode():
            first = earlier[1]
            assert (response.status_code, response.content) == (first.status_code, first.content)
            assert response.headers["idempotency-replay"] == "true"
            assert self.fingerprint() == fingerprint, "a replay changed state"
            return
        if earlier is not None:
            assert response.status_code == 409, response.text
            assert response.json()["error"]["code"] == "E01005"
        if response.status_code >= 400:
            assert self.fingerprint() == fingerprint, (
                f"a refused order changed state: {response.text}"
            )
        elif idempotency_key is not None:
            self.first[(key, idempotency_key)] = (request.content.decode(), response)
        if response.status_code == 201 and response.json()["number_id"]:
            self.held.append((key, response.json()["number_id"]))
        if response.status_code < 500 and idempotency_key is not None and earlier is None:
            self.first[(key, idempotency_key)] = (request.content.decode(), response)

    @precondition(lambda self: self.seen)
    @rule(data=st.data())
    def bird_reserves_or_buys(self, data: st.DataObject) -> None:
        """api.bird.com, in the same world: reserve or buy a number the platform listed."""
        number = data.draw(st.sampled_from(self.seen))
        item = self.bird.state.inventory.by_number(number)
        assert item is not None
        fingerprint = self.settled_fingerprint()
        if data.draw(st.booleans()):
            path = f"/workspaces/{BIRD_WS}/numbers-stock-items/{item.id}/reservation"
            response = self.http.post(path, headers=BIRD)
        else:
            body = {"numberStockItemIds": [item.id]}
            response = self.http.post(
                f"/workspaces/{BIRD_WS}/numbers-long-code", json=body, headers=BIRD
            )
        if response.status_code >= 400:
            assert self.fingerprint() == fingerprint, response.text

    @precondition(lambda self: self.held)
    @rule(data=st.data(), action=st.sampled_from(["release", "cancel", "rename"]))
    def change_a_number(self, data: st.DataObject, action: str) -> None:
        key, number_id = data.draw(st.sampled_from(self.held))
        headers = {"Authorization": f"Bearer {key}"}
        path = f"/v1/numbers/{number_id}"
        fingerprint = self.settled_fingerprint()
        if action == "release":
            response = self.http.post(f"{path}/release", headers=headers)
        elif action == "cancel":
            response = self.http.delete(path, headers=headers)
        else:
            response = self.http.patch(path, json={"name": "renamed"}, headers=headers)
        if response.status_code >= 400:
            assert response.json()["error"]["code"] in ("E14003", "E14006"), response.text
            assert self.fingerprint() == fingerprint, response.text

    @precondition(lambda self: self.held)
    @rule(key=st.sampled_from(KEYS), balance=st.sampled_from(["0.00", "3.00", "40.00"]))
    def set_wallet(self, key: str, balance: str) -> None:
        path = f"/_mock/wallets/bird/{workspace_of(key)}/EUR"
        assert self.http.put(path, json={"balance": balance}).status_code == 200

    @precondition(lambda self: len(list(self.bird.state.rules)) < 2)
    @rule(
        key=st.sampled_from(KEYS),
        on=st.sampled_from(["platform-order", "platform-payment"]),
        after=st.integers(0, 900),
    )
    def outcome_rule(self, key: str, on: str, after: int) -> None:
        body: dict[str, Any] = {"provider": "bird", "on": on, "workspaceId": workspace_of(key)}
        if on == "platform-order":
            body |= {"outcome": "failed", "afterSeconds": after}
        else:
            body["outcome"] = "declined"
        assert self.http.post("/_mock/rules", json=body).status_code == 201

    @rule(seconds=st.sampled_from([1, 300, 600, 3 * 3600, 86_400, 86_400 * 31]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        if seconds >= 3 * 3600:  # Idempotency-Keys kept ~3 h: a reuse is fresh now
            self.first.clear()

    # --- state ---------------------------------------------------------------------------

    def settled_fingerprint(self) -> Any:
        self.bird.settle()  # effects due now are not the request's doing
        return self.fingerprint()

    def fingerprint(self) -> Any:
        state, platform = self.bird.state, self.bird.state.platform
        return (
            state.inventory.unavailable_ids(),
            sorted((k, r.holder, r.expires_at) for k, r in state.reservations.items()),
            sorted(
                (ws.id, ws.wallet.balance.amount, len(ws.wallet.entries), tuple(ws.numbers))
                for tenant in state.tenants.values()
                for ws in tenant.workspaces.values()
            ),
            sorted(
                (
                    t.id,
                    t.wallet.balance.amount,
                    len(t.wallet.entries),
                    tuple((o.id, o.status) for o in t.orders.values()),
                    tuple((n.id, n.name, n.releases_at, n.released_at) for n in t.numbers.values()),
                )
                for t in platform.tenants.values()
            ),
            len(platform.schedule) - sum(len(t.replies) for t in platform.tenants.values()),
        )

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def one_holder_per_number_across_both_apis(self) -> None:
        self.bird.settle()
        now = self.clock.now()
        state = self.bird.state
        holders: dict[str, list[str]] = {}
        for tenant in state.tenants.values():
            for workspace in tenant.workspaces.values():
                for number in workspace.numbers.values():
                    ended = number.ended is not None and number.ended.at <= now
                    gone = lifecycles.provisioning_status(number, now) == "deprovisioned"
                    if not ended and not gone:
                        holders.setdefault(number.item.id, []).append(f"api:{workspace.id}")
        for t in state.platform.tenants.values():
            for held in t.numbers.values():
                if not held.released(now):
                    holders.setdefault(held.item.id, []).append(f"platform:{t.id}")
            for order in t.orders.values():
                if order.status == "pending":
                    holders.setdefault(order.item.id, []).append(f"order:{order.id}")
        twice = {item: who for item, who in holders.items() if len(who) > 1}
        assert not twice, twice
        for item_id in holders:
            assert not state.inventory.is_available(item_id)
            reserved = state.reservations.get(item_id)
            assert reserved is None or not reserved.holds(now)

    @invariant()
    def every_platform_wallet_reconciles(self) -> None:
        for tenant in self.bird.state.platform.tenants.values():
            wallet = tenant.wallet
            moved = sum(e.amount.amount * (-1 if e.kind == "debit" else 1) for e in wallet.entries)
            assert wallet.balance.amount == wallet.opening_balance.amount + moved
            debits = [
                e
                for e in wallet.entries
                if e.kind == "debit" and e.reference.startswith(("nor_", "nda_"))
            ]
            setups = [e for e in debits if e.reference.startswith("nor_")]
            firsts = [e for e in debits if e.description.startswith("First month")]
            assert len(setups) == len(tenant.orders)
            assert {e.reference for e in setups} == set(tenant.orders)
            completed = [o for o in tenant.orders.values() if o.status == "completed"]
            assert len(firsts) == len(completed)
            for order in completed:
                assert order.number_id is not None


PlatformMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=40, deadline=None)
TestPlatformMachine = PlatformMachine.TestCase
