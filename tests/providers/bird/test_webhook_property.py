"""A Hypothesis property over api.bird.com's numbers event (issue 17): whatever sequence of
purchases, clock advances, cancellations and outcome rules two tenants go through, the
events delivered to each tenant's subscription are exactly the state changes of its
workspace's numbers, in order: none lost, none repeated, none from the other tenant.

The oracle is independent of how the mock finds changes: the machine moves the clock one
second at a time and reads each workspace's numbers through the API after every request
and every second; a change it sees is a state that differs from the one it saw last (a
number that was deprovisioned leaves the list, which the last event says). The scenario
shortens the paid period (9 s), deprovisioning (3 s), the WhatsApp retry back-off (4 s)
and the verification's validity (18 s), so every lifecycle plays out in seconds, and every
duration is whole seconds, so every change falls on a second the observer looks at (with a
paid period of 8.64 s, a lapse at x.64 s followed by a WhatsApp stage at the next whole
second was two events the observer saw as one).
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockserver import ManualClock, Settings, create_app
from mockserver.transport import sync_asgi_transport
from tests.support.credentials import BIRD, BIRD_ORG, BIRD_WS, bird_key
from tests.support.scenarios import write_scenario
from tests.webhooks.independent import bird_valid

OTHER_WS = "5b0f3c39-2f7e-4a3e-9d0c-6a7d3b2c1e44"
TENANTS = {
    "acme": (BIRD, BIRD_WS),
    "other": (bird_key("property"), OTHER_WS),
}
KEY = "property-signing-key"
GONE = "gone"
# Whole seconds as the scenario's days (a timedelta keeps microseconds, so these are exact).
NINE_SECONDS_IN_DAYS = 9 / 86400
EIGHTEEN_SECONDS_IN_DAYS = 18 / 86400


@cache
def scenario() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="numbers-mock-webhook-property-"))
    return write_scenario(
        folder,
        {
            "bird": {
                "subscriptions": {"periodDays": NINE_SECONDS_IN_DAYS, "deprovisioningSeconds": 3},
                "whatsApp": {
                    "codeRequestedAfterSeconds": 1,
                    "verifyingAfterSeconds": 2,
                    "verifiedAfterSeconds": 3,
                    "retryAfterSeconds": 4,
                    "maxAttempts": 2,
                    "validForDays": EIGHTEEN_SECONDS_IN_DAYS,
                },
            }
        },
    )


class WebhookMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        settings_ = Settings(seed=7, validate_responses=True, fixtures=scenario())
        self.app = create_app(settings_, clock=self.clock)
        self.stack = ExitStack()
        transport = self.stack.enter_context(sync_asgi_transport(self.app))
        self.http = self.stack.enter_context(
            httpx.Client(transport=transport, base_url="http://mock")
        )
        self.stock: list[str] = []
        self.bought: dict[str, set[str]] = {name: set() for name in TENANTS}
        self.seen: dict[str, dict[str, Any]] = {name: {} for name in TENANTS}
        # What the observer saw change, per tenant and number, in order.
        self.changes: dict[str, dict[str, list[Any]]] = {name: {} for name in TENANTS}
        for name, (headers, workspace) in TENANTS.items():
            hooks = f"/organizations/{BIRD_ORG}/workspaces/{workspace}/webhook-subscriptions"
            body = {
                "service": "numbers",
                "event": "endpoint.updated",
                "url": f"http://mock/_mock/inbox/property-{name}",
                "signingKey": KEY,
            }
            assert self.http.post(hooks, json=body, headers=headers).status_code == 201
        found = self.http.get(
            f"/organizations/{BIRD_ORG}/numbers-stock-items",
            params={"countryCodes": "US", "limit": 60},
            headers=BIRD,
        ).json()["results"]
        self.stock = [item["id"] for item in found if not item["backOrderRequired"]]

    def teardown(self) -> None:
        self.stack.close()
        assert self.app.state.mock.failures == [], [str(f) for f in self.app.state.mock.failures]

    # --- the observer -----------------------------------------------------------------------

    def observe(self) -> None:
        for name, (headers, workspace) in TENANTS.items():
            listed = self.http.get(
                f"/workspaces/{workspace}/numbers-long-code",
                params={"limit": 99},
                headers=headers,
            )
            assert listed.status_code == 200, listed.text
            now = {n["id"]: n for n in listed.json()["results"]}
            seen = self.seen[name]
            for number_id, body in now.items():
                if seen.get(number_id) != body:
                    self.changes[name].setdefault(number_id, []).append(body)
            for number_id in set(seen) - set(now):
                self.changes[name][number_id].append(GONE)
            self.seen[name] = now

    # --- moves ------------------------------------------------------------------------------

    @precondition(lambda self: self.stock)
    @rule(tenant=st.sampled_from(sorted(TENANTS)), data=st.data())
    def buy(self, tenant: str, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.stock))
        headers, workspace = TENANTS[tenant]
        bought = self.http.post(
            f"/workspaces/{workspace}/numbers-long-code",
            json={"numberStockItemIds": [item]},
            headers=headers,
        )
        assert bought.status_code == 201, bought.text
        self.stock.remove(item)
        self.bought[tenant].add(bought.json()["results"][0]["id"])
        self.observe()

    @precondition(lambda self: any(self.seen.values()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        tenant = data.draw(st.sampled_from([t for t in TENANTS if self.seen[t]]))
        number_id = data.draw(st.sampled_from(sorted(self.seen[tenant])))
        headers, workspace = TENANTS[tenant]
        path = f"/workspaces/{workspace}/endpoints/{number_id}/subscriptions/main/cancel"
        assert self.http.post(path, headers=headers).status_code == 200
        self.observe()

    @rule(
        tenant=st.sampled_from(sorted(TENANTS)),
        on=st.sampled_from(["order", "whatsapp"]),
    )
    def add_rule(self, tenant: str, on: str) -> None:
        outcome = "rejected" if on == "order" else "fail"
        rule_ = {
            "provider": "bird",
            "on": on,
            "outcome": outcome,
            "workspaceId": TENANTS[tenant][1],
        }
        assert self.http.post("/_mock/rules", json=rule_).status_code == 201

    @rule(seconds=st.integers(1, 8))
    def tick(self, seconds: int) -> None:
        for _ in range(seconds):
            moved = self.http.post("/_mock/clock/advance", json={"seconds": 1})
            assert moved.status_code == 200
            self.observe()

    # --- the property -----------------------------------------------------------------------

    @invariant()
    def every_change_is_delivered_once_in_order_to_its_own_tenant(self) -> None:
        drained = self.http.post("/_mock/webhooks/drain", json={"timeout": 10})
        assert drained.json()["idle"], drained.text
        for name, (_, workspace) in TENANTS.items():
            inbox = self.http.get(f"/_mock/inbox/property-{name}").json()["messages"]
            delivered: dict[str, list[Any]] = {}
            times: list[str] = []
            for message in inbox:
                assert bird_valid(message["headers"], message["body"].encode(), message["url"], KEY)
                payload = message["json"]["payload"]
                assert payload["workspaceId"] == workspace  # none from the other tenant
                assert payload["id"] in self.bought[name]
                delivered.setdefault(payload["id"], []).append(payload["number"])
                times.append(payload["number"]["updatedAt"])
            assert times == sorted(times), "events are delivered in the order they happened"
            assert delivered.keys() == self.changes[name].keys()
            for number_id, observed in self.changes[name].items():
                sent = delivered[number_id]
                if observed[-1] == GONE:
                    # Deprovisioned: gone from the list; the last event says why.
                    assert sent[-1]["endpoint"]["provisioningStatus"] == "deprovisioned"
                    sent, observed = sent[:-1], observed[:-1]
                assert sent == observed, number_id


WebhookMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
TestWebhookMachine = WebhookMachine.TestCase
