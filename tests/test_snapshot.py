"""State dumps: a dump taken mid-flow and restored later continues identically.

What follows a dump (requests and clock moves) is recorded once; restoring the dump, into
the same mock after more changes or into a fresh one, and replaying it must give the same
answers byte for byte (status, body, X-Request-Id) and the same state at the end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, SystemClock, create_app, snapshot
from mockserver.rng import Rng
from tests.conftest import START
from tests.support.credentials import (
    BALANCE,
    BIRD,
    BIRD_ACCESS_KEY,
    BIRD_USER,
    BIRD_WS,
    CHANNELS,
    CONFIRM,
    LONG_CODES,
    ORDER,
    ORDERS,
    PHONE,
    STOCK,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
    bird_key,
)
from tests.support.scenarios import default_scenario, write_scenario

OTHER = bird_key("rival")
OTHER_ORG = "44444444-4444-4444-8444-444444444444"
OTHER_WS = "33333333-3333-4333-8333-333333333333"
OTHER_STOCK = f"/organizations/{OTHER_ORG}/numbers-stock-items"
OTHER_LONG_CODES = f"/workspaces/{OTHER_WS}/numbers-long-code"
PHONE2 = "+14155550124"
SEED = 7

RULES: dict[str, dict[str, object]] = {
    "bird": {
        "rules": [
            # Each rule has a use left at the dump, taken after it.
            {"on": "order", "outcome": "rejected", "count": 2, "workspaceId": OTHER_WS},
            {"on": "whatsapp", "outcome": "fail", "count": 2, "workspaceId": BIRD_WS},
        ]
    },
    "vobiz": {
        "rules": [
            {
                "on": "order",
                "outcome": "failed",
                "afterSeconds": 20,
                "reason": "Carrier declined",
                "count": 2,
                "accountId": VOBIZ_AUTH_ID,
            }
        ]
    },
}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


# A request, a request built from the mock's state when it is sent, or a clock move.
Step = Call | Callable[[Starlette], Call] | timedelta
Answer = tuple[int, str, str]  # status, X-Request-Id, body


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, RULES)


@asynccontextmanager
async def mock(
    scenario: Path, start: datetime = START, seed: int = SEED
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    settings = Settings(fixtures=scenario, seed=seed, validate_responses=True)
    app = create_app(settings, clock=ManualClock(start))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield app, client
    failures = app.state.mock.failures
    assert not failures, f"responses broke the spec: {[str(f) for f in failures]}"


async def run(app: Starlette, client: httpx.AsyncClient, steps: list[Step]) -> list[Answer]:
    answers: list[Answer] = []
    for step in steps:
        if isinstance(step, timedelta):
            app.state.mock.clock.advance(step)
            continue
        call = step if isinstance(step, Call) else step(app)
        response = await client.request(
            call.method, call.path, headers=call.headers, json=call.body, params=call.params
        )
        answers.append((response.status_code, response.headers["x-request-id"], response.text))
    return answers


def dump(app: Starlette, provider: str | None = None, tenant: str | None = None) -> dict[str, Any]:
    """A dump as it travels: through JSON text and back."""
    taken = snapshot.take(app.state.mock, provider, tenant, secrets=True)
    loaded: dict[str, Any] = json.loads(json.dumps(taken))
    return loaded


def code_of(app: Starlette, phone: str) -> str:
    backend = app.state.mock.providers[1].backend
    return str(backend.state.accounts[VOBIZ_AUTH_ID].verifications[phone].code)


def reservation(item_id: str) -> str:
    return f"/workspaces/{BIRD_WS}/numbers-stock-items/{item_id}/reservation"


def verify(phone: str) -> Call:
    return Call("POST", VERIFY, VOBIZ, {"phone_number": phone, "verification_method": "sms"})


def confirm(phone: str, code: str) -> Call:
    return Call("POST", CONFIRM, VOBIZ, {"phone_number": phone, "otp_code": code})


def wrong_code(app: Starlette) -> Call:
    return confirm(PHONE, f"{(int(code_of(app, PHONE)) + 1) % 1_000_000:06d}")


def right_code(app: Starlette) -> Call:
    return confirm(PHONE, code_of(app, PHONE))


async def mid_flow(app: Starlette, client: httpx.AsyncClient) -> dict[str, str]:
    """Both providers part-way through their lifecycles; returns the ids the rest uses."""
    page = await client.get(
        STOCK, params={"countryCodes": "NL", "features": "whatsapp", "limit": 20}, headers=BIRD
    )
    ready = [i["id"] for i in page.json()["results"] if not i["backOrderRequired"]]
    assert (await client.post(reservation(ready[1]), headers=BIRD_USER)).status_code == 201
    bought = await client.post(LONG_CODES, json={"numberStockItemIds": [ready[0]]}, headers=BIRD)
    assert bought.status_code == 201  # pre-verification: the first attempt will fail
    rival = await client.get(OTHER_STOCK, params={"countryCodes": "DE", "limit": 2}, headers=OTHER)
    first, second = (i["id"] for i in rival.json()["results"])
    doomed = await client.post(
        OTHER_LONG_CODES, json={"numberStockItemIds": [first]}, headers=OTHER
    )
    assert doomed.status_code == 201  # rejected 3 s after the purchase, then refunded
    app.state.mock.clock.advance(timedelta(seconds=1))

    order = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert order.status_code == 201  # fails 20 s after, then refunded
    assert (await run(app, client, [verify(PHONE), wrong_code, wrong_code]))[-1][0] == 400
    done = await run(app, client, [verify(PHONE2), lambda a: confirm(PHONE2, code_of(a, PHONE2))])
    assert done[-1][0] == 200
    channel = {
        "waba_id": "1911116896216319",
        "phone_number_id": "974161339121558",
        "phone_number": PHONE2,
        "number_onboarding_mode": "bring_your_own",
        "number_provider": "meta_direct",
        "access_token": "EAAsecret",
        "display_name": "Acme",
    }
    created = await client.post(CHANNELS, json=channel, headers=VOBIZ)
    assert created.status_code == 201
    # The rejection falls due exactly at the dump, not yet applied: the dump must carry it.
    app.state.mock.clock.advance(timedelta(seconds=2))
    return {
        "number": bought.json()["results"][0]["id"],
        "reserved": ready[1],
        "doomed": doomed.json()["results"][0]["id"],
        "second": second,
        "order": order.json()["id"],
        "channel": created.json()["id"],
    }


def continuation(ids: dict[str, str]) -> list[Step]:
    number = f"{LONG_CODES}/{ids['number']}"
    return [
        Call("GET", f"{OTHER_LONG_CODES}/{ids['doomed']}", OTHER),  # rejected and refunded
        Call("POST", OTHER_LONG_CODES, OTHER, {"numberStockItemIds": [ids["second"]]}),
        Call("GET", OTHER_STOCK, OTHER, params={"countryCodes": "NL", "limit": 50}),
        Call("POST", LONG_CODES, BIRD_USER, {"numberStockItemIds": [ids["reserved"]]}),
        timedelta(seconds=10),
        Call("GET", number, BIRD),
        Call("GET", LONG_CODES, BIRD),
        wrong_code,
        verify(PHONE),  # inside the resend cooldown: 429
        Call("GET", f"{ORDERS}/{ids['order']}", VOBIZ),
        timedelta(seconds=20),
        verify(PHONE),  # a new code, drawn from the codes stream
        right_code,
        Call("POST", ORDERS, VOBIZ, ORDER),  # the rule's last use: fails
        Call("POST", ORDERS, VOBIZ, ORDER),
        Call("GET", ORDERS, VOBIZ),
        Call("GET", BALANCE, VOBIZ),
        Call("PUT", f"{CHANNELS}/{ids['channel']}", VOBIZ, {"display_name": "Acme BV"}),
        Call("GET", CHANNELS, VOBIZ),
        timedelta(minutes=15),
        Call("GET", number, BIRD),
        Call("GET", OTHER_STOCK, OTHER, params={"countryCodes": "NL", "limit": 50}),
        Call(
            "POST",
            f"/workspaces/{BIRD_WS}/endpoints/{ids['number']}/subscriptions/main/cancel",
            BIRD,
        ),
        timedelta(days=31),
        Call("GET", LONG_CODES, BIRD),
        Call("GET", ORDERS, VOBIZ),
        Call("GET", BALANCE, VOBIZ),
    ]


async def test_a_restored_dump_continues_identically_in_the_same_and_a_fresh_mock(
    scenario: Path,
) -> None:
    async with mock(scenario) as (app, client):
        ids = await mid_flow(app, client)
        taken = dump(app)
        steps = continuation(ids)
        first = await run(app, client, steps)
        after = dump(app)
        assert [status for status, _, _ in first].count(429) == 1

        # More changes, then back to the dump: the clock goes back too.
        await run(app, client, [timedelta(hours=1), Call("POST", ORDERS, VOBIZ, ORDER)])
        snapshot.restore(app.state.mock, taken)
        assert dump(app) == taken
        assert await run(app, client, steps) == first
        assert dump(app) == after

    # A fresh mock of the same scenario and seed, started at another time with other traffic.
    async with mock(scenario, start=START + timedelta(days=3)) as (fresh, client):
        await client.get(LONG_CODES, headers=BIRD)
        snapshot.restore(fresh.state.mock, taken)
        assert fresh.state.mock.clock.now() == datetime.fromisoformat(taken["clock"])
        assert await run(fresh, client, steps) == first
        assert dump(fresh) == after


async def test_the_dump_keeps_what_is_pending(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        taken = dump(app)
    bird, vobiz = taken["bird"], taken["vobiz"]
    assert (taken["format"], taken["version"], taken["seed"]) == ("numbers-mock/state", 2, SEED)
    assert taken["clock"] == "2026-03-01T10:00:03Z"
    assert [(r["on"], r["remaining"]) for r in bird["rules"]] == [("order", 1), ("whatsapp", 1)]
    assert [r["remaining"] for r in vobiz["rules"]] == [1]
    kinds = [(e["kind"], e["at"]) for e in bird["schedule"]["pending"]]
    assert ("order-ended", "2026-03-01T10:00:03Z") in kinds
    assert ("reservation-lapsed", "2026-03-01T10:15:00Z") in kinds
    assert [e["kind"] for e in vobiz["schedule"]["pending"]] == ["order-ended"]
    [account] = vobiz["accounts"]
    assert account["verifications"][0]["attempts"] == 2
    assert account["wallets"]["INR"]["balance"] == "24250.00 INR"
    assert len(bird["inventory"]["unavailable"]) == 2
    assert len(vobiz["inventory"]["unavailable"]) == 1


async def test_references_lead_where_they_led_before_the_dump(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        taken = dump(app)
        snapshot.restore(app.state.mock, taken)
        bird = app.state.mock.providers[0].backend.state
        vobiz = app.state.mock.providers[1].backend.state
    key, user = BIRD_ACCESS_KEY, BIRD_USER["Authorization"].split(" ", 1)[1]
    assert bird.credentials[f"AccessKey {key}"] == bird.credentials[f"Bearer {user}"] == "acme"
    workspace = bird.tenants["acme"].workspaces[BIRD_WS]
    [held] = bird.reservations.values()
    assert held.holder == workspace.ref
    assert held.item == bird.inventory.get(held.item.id)
    for number in workspace.numbers.values():
        assert number.item == bird.inventory.get(number.item.id)
    for _, _, due in bird.schedule.pending():
        assert bird.workspace_at(due.holder) is not None
    account = vobiz.accounts[VOBIZ_AUTH_ID]
    for _, _, due in vobiz.schedule.pending():
        assert due.account_id == account.auth_id
    for order in account.orders.values():
        assert order.number is vobiz.inventory.get(order.number.id)
    # The OTP oracle's record holds the account's current verification itself.
    for phone in (PHONE, PHONE2):
        assert vobiz.sent_codes[phone][-1].verification is account.verifications[phone]


async def test_an_effect_whose_workspace_is_gone_does_nothing(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        bird = app.state.mock.providers[0].backend.state
        [rival] = [t for t in bird.tenants.values() if t.ad_hoc]
        del bird.tenants[rival.id]
        bird.credentials = {k: t for k, t in bird.credentials.items() if t != rival.id}
        taken = dump(app)
        snapshot.restore(app.state.mock, taken)
        restored = app.state.mock.providers[0].backend.state
        [(_, _, due)] = [e for e in restored.schedule.pending() if e[2].kind == "order-ended"]
        assert restored.workspace_at(due.holder) is None
        wallets = "/_mock/wallets?provider=bird"
        balances = [w["balance"] for w in (await client.get(wallets)).json()["wallets"]]
        app.state.mock.clock.advance(timedelta(minutes=1))
        after = [w["balance"] for w in (await client.get(wallets)).json()["wallets"]]
        assert after == balances
        assert not [e for e in restored.schedule.pending() if e[2].holder == due.holder]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: ["not", "an", "object"], "a state dump is a JSON object"),
        (lambda d: {**d, "format": "pickle"}, "format must be"),
        (lambda d: {**d, "version": 3}, "version 3 is not supported"),
        (lambda d: {**d, "tenant": "acme"}, "restore takes a full dump"),
        (lambda d: {**d, "clock": "yesterday"}, "$.clock"),
        (lambda d: {k: v for k, v in d.items() if k != "vobiz"}, "$.vobiz: missing"),
        (lambda d: _set(d, ["bird", "tenants"], {}), "$.bird.tenants: must be a list"),
        (
            lambda d: _set(d, ["bird", "inventory", "unavailable"], ["no-such-item"]),
            "not in this seed",
        ),
        (
            lambda d: _first_reservation(d, "holder", {"tenant": "x", "workspace": "y"}),
            "no workspace",
        ),
        (lambda d: _set(d, ["bird", "credentials"], {"AccessKey k": "nobody"}), "no such tenant"),
        (lambda d: _set(d, ["vobiz", "tokens"], {"token-x": "MA_NOBODY00"}), "no such account"),
        (lambda d: _set(d, ["bird", "schedule", "pending", 0, "kind"], "boom"), "unknown side"),
        (lambda d: _set(d, ["bird", "schedule", "nextSeq"], 0), "sequence numbers"),
        (lambda d: _set(d, ["bird", "rules", 0, "remaining"], "1"), "must be an integer"),
        (lambda d: _set(d, ["vobiz", "accounts", 0, "createdAt"], "2026-03-01T10:00:00"), "zone"),
        (lambda d: _first_order(d, "setupCost", "five"), "is not an amount"),
        (lambda d: _first_order(d, "timeline", [{"status": "x", "after": 5}]), "offset 0"),
        (lambda d: _set(d, ["rng", "streams", "request-ids", "words"], "00"), "$.rng"),
    ],
)
async def test_a_malformed_dump_is_refused_and_changes_nothing(
    scenario: Path, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        taken = dump(app)
        await run(app, client, [timedelta(seconds=30), Call("POST", ORDERS, VOBIZ, ORDER)])
        before = dump(app)
        with pytest.raises(snapshot.SnapshotError) as refused:
            snapshot.restore(app.state.mock, change(json.loads(json.dumps(taken))))
        assert message in str(refused.value)
        assert dump(app) == before


def _set(data: dict[str, Any], path: list[str | int], value: object) -> dict[str, Any]:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _first_reservation(data: dict[str, Any], key: str, value: object) -> dict[str, Any]:
    return _set(
        data, ["bird", "reservations", next(iter(data["bird"]["reservations"])), key], value
    )


def _first_order(data: dict[str, Any], key: str, value: object) -> dict[str, Any]:
    return _set(data, ["vobiz", "accounts", 0, "orders", 0, key], value)


async def test_a_dump_of_another_seed_or_scenario_is_refused(
    scenario: Path, tmp_path: Path
) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        taken = dump(app)
    async with mock(scenario, seed=SEED + 1) as (other_seed, _):
        with pytest.raises(
            snapshot.SnapshotError, match="taken with seed 7; this mock runs seed 8"
        ):
            snapshot.restore(other_seed.state.mock, taken)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(yaml.safe_dump({**default_scenario(), "name": "other"}))
    async with mock(renamed) as (other_scenario, _):
        with pytest.raises(snapshot.SnapshotError, match="scenario 'default'; this mock runs"):
            snapshot.restore(other_scenario.state.mock, taken)
    # Same name, other content (here: no rules) is another scenario too.
    edited = tmp_path / "edited"
    edited.mkdir()
    async with mock(write_scenario(edited, {})) as (other_content, _):
        before = dump(other_content)
        with pytest.raises(snapshot.SnapshotError, match="scenario file changed"):
            snapshot.restore(other_content.state.mock, taken)
        assert dump(other_content) == before


async def test_a_tenant_dump_holds_only_that_tenant(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        by_key = dump(app, tenant=BIRD_ACCESS_KEY)
        by_name = dump(app, "bird", "acme")
        rival = dump(app, "bird", OTHER["Authorization"].split(" ", 1)[1])
        account = dump(app, tenant=VOBIZ_AUTH_ID)
        for provider, tenant in [(None, "nobody"), ("vobiz", BIRD_ACCESS_KEY), ("sms", None)]:
            with pytest.raises(snapshot.UnknownTenant):
                snapshot.take(app.state.mock, provider, tenant)
        with pytest.raises(snapshot.SnapshotError, match="restore takes a full dump"):
            snapshot.restore(app.state.mock, by_key)
    assert by_key["bird"] == by_name["bird"]
    assert (by_key["tenant"], by_key["vobiz"]) == (BIRD_ACCESS_KEY, None)
    assert "rng" not in by_key
    assert "inventory" not in by_key["bird"]
    assert "vobiz" not in by_name
    assert [t["name"] for t in by_key["bird"]["tenants"]] == ["acme"]
    assert {c.split(" ")[0] for c in by_key["bird"]["credentials"]} == {"AccessKey", "Bearer"}
    assert len(by_key["bird"]["reservations"]) == 1
    assert [r["on"] for r in by_key["bird"]["rules"]] == ["whatsapp"]
    assert [t["name"] for t in rival["bird"]["tenants"]] == ["ad-hoc:AccessKey:adhoc_rival_"]
    assert rival["bird"]["reservations"] == {}
    assert [r["on"] for r in rival["bird"]["rules"]] == ["order"]
    assert [e["kind"] for e in rival["bird"]["schedule"]["pending"]] == ["order-ended"]
    assert account["bird"] is None
    assert [a["authId"] for a in account["vobiz"]["accounts"]] == [VOBIZ_AUTH_ID]
    assert set(account["vobiz"]["tokens"].values()) == {VOBIZ_AUTH_ID}


async def test_a_provider_dump_holds_only_that_provider(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        whole = dump(app)
        vobiz = dump(app, "vobiz")
        with pytest.raises(snapshot.SnapshotError, match="one provider"):
            snapshot.restore(app.state.mock, vobiz)
    assert vobiz["provider"] == "vobiz"
    assert vobiz["vobiz"] == whole["vobiz"]
    assert "bird" not in vobiz
    assert "rng" not in vobiz


def test_rng_streams_continue_after_a_round_trip() -> None:
    rng = Rng(3)
    ids, fake = rng.stream("ids"), rng.faker("stock")
    ids.uuid(), fake.uuid()
    saved = json.loads(json.dumps(rng.dump()))
    expected = [ids.uuid(), ids.hex(12), fake.uuid()]
    rng.stream("drawn-later").digits(6)
    rng.restore(saved)
    assert [ids.uuid(), ids.hex(12), fake.uuid()] == expected  # the same objects, moved back
    assert rng.stream("drawn-later").digits(6) == Rng(3).stream("drawn-later").digits(6)
    other = Rng(3)
    other.restore(saved)
    assert [other.stream("ids").uuid(), other.stream("ids").hex(12)] == expected[:2]
    with pytest.raises(ValueError, match="index"):
        other.restore({**saved, "streams": {"ids": {**saved["streams"]["ids"], "index": 999}}})


def test_clocks_can_be_reset_backwards_only_for_a_restore() -> None:
    past = datetime(2025, 1, 1, tzinfo=UTC)
    manual = ManualClock(START)
    assert manual.reset_to(past) == past
    system = SystemClock()
    assert abs(system.reset_to(past) - past) < timedelta(seconds=1)
    with pytest.raises(ValueError, match="forward"):
        system.advance(timedelta(seconds=-1))


async def test_a_dump_written_in_format_1_still_restores_and_continues_the_same() -> None:
    """tests/data/state-v1.json was written by numbers-mock 0.1.0 before the dump format's
    version 2 (commit 41f117b): `mid_flow` on its scenario (tests/data/state-v1.scenario.yaml,
    seed 7), the dump, then the answers `continuation` got from that mock. Restored today,
    the same continuation must give the same answers, byte for byte."""
    data = Path(__file__).parent / "data"
    record = json.loads((data / "state-v1.json").read_text())
    assert record["dump"]["version"] == 1
    async with mock(data / "state-v1.scenario.yaml", start=START + timedelta(days=9)) as (
        app,
        client,
    ):
        snapshot.restore(app.state.mock, record["dump"])
        answers = await run(app, client, continuation(record["ids"]))
    assert [list(answer) for answer in answers] == record["continuation"]


async def test_a_drawn_stock_dump_restores_on_it_and_a_reset_brings_back_the_computed_one() -> None:
    """The v1 dump names items of the stock numbers-mock 0.1 drew: a mock whose scenario
    computes its stock (the default) builds the drawn one for the restore, and its reset
    goes back to the scenario's own stock."""
    data = Path(__file__).parent / "data"
    record = json.loads((data / "state-v1.json").read_text())
    page = {"countryCodes": "NL", "limit": 5}
    async with mock(data / "state-v1.scenario.yaml") as (app, client):
        fresh = (await client.get(OTHER_STOCK, params=page, headers=OTHER)).json()
        bird = app.state.mock.providers[0].backend
        assert bird.state.stock_generation == "computed"
        snapshot.restore(app.state.mock, record["dump"])
        assert bird.state.stock_generation == "drawn"
        drawn = (await client.get(OTHER_STOCK, params=page, headers=OTHER)).json()
        assert dump(app, "bird")["bird"]["stockGeneration"] == "drawn"
        assert (await client.post("/_mock/reset")).status_code == 200
        assert bird.state.stock_generation == "computed"
        again = (await client.get(OTHER_STOCK, params=page, headers=OTHER)).json()
    assert again == fresh
    assert {i["id"] for i in drawn["results"]}.isdisjoint(i["id"] for i in fresh["results"])


async def test_a_dump_names_the_stock_generation_and_refuses_an_unknown_one(scenario: Path) -> None:
    async with mock(scenario) as (app, client):
        await mid_flow(app, client)
        taken = dump(app)
        assert taken["bird"]["stockGeneration"] == "computed"
        taken["bird"]["stockGeneration"] = "carved"
        before = dump(app)
        with pytest.raises(snapshot.SnapshotError, match="stockGeneration"):
            snapshot.restore(app.state.mock, taken)
        assert dump(app) == before
