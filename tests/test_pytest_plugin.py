"""The pytest plugin: its fixtures in pytest runs of their own (pytester), its control client
against the ASGI app."""

from __future__ import annotations

import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

# Imported here so that pytester's in-process runs, which drop the modules they imported
# first, never leave a second copy of them behind.
import uvicorn  # noqa: F401
from starlette.applications import Starlette

from mockserver import Settings, create_app
from mockserver.client import AsyncMockControl, MockControl, MockTenant, NumbersMockError
from mockserver.transport import sync_asgi_transport
from tests.conftest import START
from tests.support.credentials import BIRD_WS, VOBIZ, VOBIZ_API, VOBIZ_AUTH_ID
from tests.support.live import serve
from tests.support.scenarios import write_scenario

pytest_plugins = ["pytester"]

INSTALLED = any(
    entry.name == "numbers_mock" and entry.value == "mockserver.pytest_plugin"
    for entry in importlib.metadata.entry_points(group="pytest11")
)
# Installed (pip install -e .), the entry point loads the plugin; in a bare checkout, by name.
PLUGIN = [] if INSTALLED else ["-p", "mockserver.pytest_plugin"]

# What the inner test files share: real Bird and Vobiz calls through httpx.
PRELUDE = """
import secrets

import httpx
import pytest

from mockserver import NumbersMockError

ORDERS = "/api/v1/messaging/numbers/whatsapp/orders"
ORDER = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
VERIFY = "/api/v1/messaging/numbers/whatsapp/bring-your-own/verify"
CONFIRM = "/api/v1/messaging/numbers/whatsapp/bring-your-own/confirm"


@pytest.fixture
def vobiz(numbers_mock_tenant):
    tenant = numbers_mock_tenant
    with httpx.Client(base_url=tenant.vobiz_url, headers=tenant.vobiz_headers) as client:
        yield client


@pytest.fixture
def bird(numbers_mock_tenant):
    tenant = numbers_mock_tenant
    with httpx.Client(base_url=tenant.bird_url, headers=tenant.bird_headers) as client:
        yield client
"""

SOCKET_TESTS = """
earlier = {}


def test_an_order_completes_when_the_test_moves_the_clock(numbers_mock, numbers_mock_tenant, vobiz):
    tenant = numbers_mock_tenant
    order = vobiz.post(ORDERS, json=ORDER)
    assert order.status_code == 201, order.text
    path = f"{ORDERS}/{order.json()['id']}"
    numbers_mock.advance(29)
    assert vobiz.get(path).json()["status"] == "pending"
    numbers_mock.advance(1)
    assert vobiz.get(path).json()["status"] == "completed"
    wallets = numbers_mock.wallets("vobiz", tenant.vobiz_auth_id)
    [inr] = [w for w in wallets if w["currency"] == "INR"]
    assert (inr["openingBalance"], inr["balance"]) == ("10000.00", "9250.00")
    journal = numbers_mock.journal(provider="vobiz", tenant=tenant.vobiz_auth_id)
    assert [e["operationId"] for e in journal] == [
        "getWhatsAppNumberOrder", "getWhatsAppNumberOrder", "createWhatsAppNumberOrder"
    ]
    # Left behind on purpose: a rule scoped to this tenant, which its reset drops.
    numbers_mock.add_rule(
        provider="vobiz", on="otp", outcome="code", code="424242", account_id=tenant.vobiz_auth_id
    )
    earlier["tenant"], earlier["order"] = tenant, path


def test_the_previous_tenant_was_reset_and_this_one_is_new(
    numbers_mock, numbers_mock_tenant, vobiz
):
    before = earlier["tenant"]
    assert numbers_mock_tenant.vobiz_auth_id != before.vobiz_auth_id
    assert numbers_mock_tenant.bird_workspace_id != before.bird_workspace_id
    assert numbers_mock.wallets("vobiz", before.vobiz_auth_id) == []
    assert before.vobiz_auth_id not in {rule["tenant"] for rule in numbers_mock.rules()}
    assert vobiz.get(earlier["order"]).status_code == 404
    assert vobiz.get(f"/api/v1/account/{numbers_mock_tenant.vobiz_auth_id}/balance/INR").json()[
        "available_balance"
    ] == 10000


def test_the_otp_oracle_reads_the_code_that_was_sent(numbers_mock, numbers_mock_tenant, vobiz):
    phone = f"+1555{secrets.randbelow(10**7):07d}"
    sent = vobiz.post(VERIFY, json={"phone_number": phone, "verification_method": "sms"})
    assert sent.status_code == 200, sent.text
    code = numbers_mock.latest_otp(phone, auth_id=numbers_mock_tenant.vobiz_auth_id)
    confirmed = vobiz.post(CONFIRM, json={"phone_number": phone, "otp_code": code})
    assert confirmed.json()["status"] == "verified"
    assert [c["status"] for c in numbers_mock.otp_codes(phone)] == ["verified"]


def test_a_bird_number_is_provisioned_and_its_wallet_runs_dry(
    numbers_mock, numbers_mock_tenant, bird
):
    tenant = numbers_mock_tenant
    stock = f"/organizations/{tenant.bird_organization_id}/numbers-stock-items"
    found = bird.get(stock, params={"countryCodes": "GB", "limit": 20}).json()["results"]
    items = [i for i in found if not i["backOrderRequired"]]  # in stock: no draft order
    numbers = f"/workspaces/{tenant.bird_workspace_id}/numbers-long-code"
    bought = bird.post(numbers, json={"numberStockItemIds": [items[0]["id"]]})
    assert bought.status_code == 201, bought.text
    number = bought.json()["results"][0]
    assert number["order"]["status"] == "submitted"
    numbers_mock.advance(5)
    assert bird.get(f"{numbers}/{number['id']}").json()["order"]["status"] == "fulfilled"
    numbers_mock.set_wallet("bird", tenant.bird_workspace_id, "EUR", "0")
    refused = bird.post(numbers, json={"numberStockItemIds": [items[1]["id"]]})
    assert refused.status_code == 402


def test_a_refused_control_call_raises_with_the_problem_detail(numbers_mock, numbers_mock_tenant):
    with pytest.raises(NumbersMockError, match="may not have been used yet") as caught:
        numbers_mock.set_wallet("vobiz", numbers_mock_tenant.vobiz_auth_id, "INR", "1")
    assert (caught.value.status, caught.value.code) == (404, "not-found")


def test_the_official_bird_sdk_is_ready_for_the_platform_api(numbers_mock_tenant):
    tenant = numbers_mock_tenant
    with tenant.bird_platform_client(max_retries=0) as client:
        [found] = client.numbers.available.list(country_code="US", limit=1).data
        order = client.numbers.orders.create(number=found.number)
        assert client.numbers.get(order.number_id).status.value == "active"
        earlier["platform"] = (tenant.bird_platform_api_key, order.number_id)
    with tenant.bird_platform_client(oauth=True) as billing:
        assert billing.billing_wallets.list().data[0].balance == "98.00"


def test_the_platform_tenant_was_reset_too(numbers_mock_tenant):
    key, number_id = earlier["platform"]
    assert numbers_mock_tenant.bird_platform_api_key != key
    with httpx.Client(base_url=numbers_mock_tenant.bird_platform_url) as client:
        gone = client.get(f"/v1/numbers/{number_id}", headers={"Authorization": f"Bearer {key}"})
    assert gone.status_code == 404
"""


def inner(pytester: pytest.Pytester, *tests: str) -> None:
    pytester.makepyfile(test_inner=PRELUDE + "".join(textwrap.dedent(t) for t in tests))


@pytest.mark.socket
def test_the_socket_fixtures_isolate_tenants_and_steer_the_clock(
    pytester: pytest.Pytester,
) -> None:
    inner(pytester, SOCKET_TESTS)
    result = pytester.runpytest_inprocess(*PLUGIN)
    result.assert_outcomes(passed=7)


WEBHOOK_TESTS = """
def subscribe_and_buy(tenant, bird, url):
    org, ws = tenant.bird_organization_id, tenant.bird_workspace_id
    hooks = f"/organizations/{org}/workspaces/{ws}/webhook-subscriptions"
    body = {"service": "numbers", "event": "endpoint.updated", "url": url, "signingKey": "k"}
    assert bird.post(hooks, json=body).status_code == 201
    found = bird.get(f"/organizations/{org}/numbers-stock-items", params={"countryCodes": "US"})
    item = next(
        i
        for i in found.json()["results"]
        if "whatsapp" not in i["capabilities"] and not i["backOrderRequired"]
    )
    wanted = {"numberStockItemIds": [item["id"]]}
    bought = bird.post(f"/workspaces/{ws}/numbers-long-code", json=wanted)
    assert bought.status_code == 201, bought.text


def order_status(message):
    return message.json["payload"]["number"]["order"]["status"]


def test_a_local_receiver_gets_each_change_signed(
    numbers_mock, numbers_mock_tenant, numbers_mock_receiver, bird
):
    receiver = numbers_mock_receiver
    assert receiver.url.startswith("http://127.0.0.1:")
    subscribe_and_buy(numbers_mock_tenant, bird, receiver.url)
    first = receiver.next()
    assert first.verify_bird("k")
    assert not first.verify_bird("another key")
    numbers_mock.advance(5)
    later = [receiver.next(), receiver.next()]
    assert [order_status(m) for m in [first, *later]] == ["submitted", "processing", "fulfilled"]
    assert len({m.message_id for m in [first, *later]}) == 3


def test_the_inbox_gets_them_too_and_checks_them_itself(
    numbers_mock, numbers_mock_tenant, numbers_mock_inbox, bird
):
    inbox = numbers_mock_inbox
    assert "/_mock/inbox/" in inbox.url
    subscribe_and_buy(numbers_mock_tenant, bird, inbox.url)
    assert order_status(inbox.next()) == "submitted"
    numbers_mock.advance(5)
    assert [order_status(inbox.next()) for _ in range(2)] == ["processing", "fulfilled"]
    assert all(m.verify_bird("k") for m in inbox.messages)
    assert list(inbox.verified()) == [True, True, True]
"""


@pytest.mark.socket
def test_the_webhook_fixtures_wait_for_and_verify_deliveries(pytester: pytest.Pytester) -> None:
    inner(pytester, WEBHOOK_TESTS)
    result = pytester.runpytest_inprocess(*PLUGIN)
    result.assert_outcomes(passed=2)


def test_the_in_process_fixtures_give_each_test_its_own_mock(pytester: pytest.Pytester) -> None:
    inner(
        pytester,
        """
        def test_sync(numbers_mock_inprocess):
            mock = numbers_mock_inprocess
            headers = mock.tenant.vobiz_headers
            order = mock.client.post(ORDERS, json=ORDER, headers=headers)
            assert order.status_code == 201, order.text
            assert mock.control.advance(30)["frozen"] is True
            path = f"{ORDERS}/{order.json()['id']}"
            assert mock.client.get(path, headers=headers).json()["status"] == "completed"
            assert len(mock.control.journal()) == 2


        def test_own_client_over_the_transport(numbers_mock_inprocess):
            mock = numbers_mock_inprocess
            assert mock.control.journal() == []  # a mock of its own
            with httpx.Client(transport=mock.transport, base_url="http://sdk") as sdk:
                assert sdk.get("/_mock/health").json()["status"] == "ok"
            assert mock.control.health()["status"] == "ok"  # the transport outlives sdk


        @pytest.mark.anyio
        async def test_async(numbers_mock_async):
            mock = numbers_mock_async
            headers = mock.tenant.vobiz_headers
            order = await mock.client.post(ORDERS, json=ORDER, headers=headers)
            assert order.status_code == 201, order.text
            await mock.control.advance(30)
            got = await mock.client.get(f"{ORDERS}/{order.json()['id']}", headers=headers)
            assert got.json()["status"] == "completed"
            assert [e["status"] for e in await mock.control.journal()] == [200, 201]


        @pytest.mark.anyio
        async def test_sync_control_inside_an_event_loop(numbers_mock_inprocess):
            assert numbers_mock_inprocess.control.health()["status"] == "ok"
        """,
    )
    result = pytester.runpytest_inprocess(*PLUGIN)
    result.assert_outcomes(passed=4)


@pytest.mark.socket
@pytest.mark.parametrize("how", ["option", "env"])
def test_a_running_server_is_used_when_given(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    app = create_app(Settings(seed=5, clock="system"))
    with serve(app) as url:
        inner(
            pytester,
            f'''
            def test_uses_it(numbers_mock, numbers_mock_url, vobiz):
                assert numbers_mock_url == "{url}"
                health = numbers_mock.health()
                # That server's settings, not the plugin's defaults (seed 1, manual clock).
                assert (health["seed"], health["clock"]["mode"]) == (5, "system")
                assert vobiz.post(ORDERS, json=ORDER).status_code == 201
            ''',
        )
        if how == "env":
            monkeypatch.setenv("NUMBERS_MOCK_URL", url + "/")
            args = [*PLUGIN, "--numbers-mock-seed", "9"]
        else:
            args = [*PLUGIN, "--numbers-mock-url", url]
        pytester.runpytest_inprocess(*args).assert_outcomes(passed=1)
        with httpx.Client(base_url=url) as control:
            [entry] = control.get("/_mock/journal").json()["entries"]
            assert entry["operationId"] == "createWhatsAppNumberOrder"
            accounts = {w["tenant"] for w in control.get("/_mock/wallets").json()["wallets"]}
            assert entry["tenant"] not in accounts  # reset at the inner test's teardown
    assert app.state.mock.failures == []


@pytest.mark.socket
def test_the_options_configure_the_served_mock(pytester: pytest.Pytester) -> None:
    scenario = write_scenario(pytester.path, {"vobiz": {"orders": {"completedAfterSeconds": 120}}})
    inner(
        pytester,
        """
        def test_configured(numbers_mock, vobiz):
            health = numbers_mock.health()
            assert health["seed"] == 7
            assert health["clock"]["now"] == "2026-03-01T10:00:00Z"
            assert (health["clock"]["mode"], health["clock"]["frozen"]) == ("manual", True)
            order = vobiz.post(ORDERS, json=ORDER).json()
            numbers_mock.advance(119)
            assert vobiz.get(f"{ORDERS}/{order['id']}").json()["status"] == "pending"
        """,
    )
    result = pytester.runpytest_inprocess(
        *PLUGIN,
        "--numbers-mock-seed=7",
        "--numbers-mock-clock-start=2026-03-01T10:00:00Z",
        f"--numbers-mock-scenario={scenario.name}",
    )
    result.assert_outcomes(passed=1)
    # The deprecated spelling still works.
    old = pytester.runpytest_inprocess(
        *PLUGIN,
        "--numbers-mock-seed=7",
        "--numbers-mock-clock-start=2026-03-01T10:00:00Z",
        f"--numbers-mock-fixtures={scenario.name}",
    )
    old.assert_outcomes(passed=1)


def test_a_built_in_scenario_by_name(pytester: pytest.Pytester) -> None:
    inner(
        pytester,
        """
        def test_strict(numbers_mock_inprocess):
            assert numbers_mock_inprocess.control.health()["scenario"] == "ci-strict"
        """,
    )
    result = pytester.runpytest_inprocess(*PLUGIN, "--numbers-mock-scenario=ci-strict")
    result.assert_outcomes(passed=1)


def test_an_async_test_needs_no_mark(pytester: pytest.Pytester) -> None:
    """No anyio mark, no pytest-asyncio: the plugin runs it; a coroutine test that does not
    use its fixture is left to pytest, which says what to install."""
    inner(
        pytester,
        """
        async def test_async_unmarked(numbers_mock_async):
            mock = numbers_mock_async
            headers = mock.tenant.vobiz_headers
            order = await mock.client.post(ORDERS, json=ORDER, headers=headers)
            assert order.status_code == 201, order.text
            await mock.control.advance(30)
            got = await mock.client.get(f"{ORDERS}/{order.json()['id']}", headers=headers)
            assert got.json()["status"] == "completed"


        async def test_async_failing(numbers_mock_async):
            health = await numbers_mock_async.control.health()
            assert health["status"] == "broken"


        async def test_not_ours():
            pass
        """,
    )
    result = pytester.runpytest_inprocess(*PLUGIN, "-p", "no:asyncio")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*test_async_failing*", "*assert 'ok' == 'broken'*"])
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


@pytest.mark.socket
def test_a_dead_url_fails_within_five_seconds_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A subprocess (a fresh httpx, as a user's run has), importing this checkout's plugin.
    root = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening: refused
        inner(
            pytester,
            """
            def test_never_reached(numbers_mock):
                pass
            """,
        )
        started = time.monotonic()
        result = pytester.runpytest_subprocess(*PLUGIN, f"--numbers-mock-url={url}")
        took = time.monotonic() - started
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*numbers-mock at {url} did not answer GET /_mock/health within 5 s*"]
    )
    result.stdout.fnmatch_lines(["*unset --numbers-mock-url / NUMBERS_MOCK_URL*"])
    assert took < 10, took  # 5 s of waiting, and a fresh interpreter


def test_a_system_clock_runs_and_bad_options_say_what_is_wrong(pytester: pytest.Pytester) -> None:
    inner(
        pytester,
        """
        def test_runs(numbers_mock_inprocess):
            assert numbers_mock_inprocess.control.clock()["mode"] == "system"
        """,
    )
    pytester.runpytest_inprocess(*PLUGIN, "--numbers-mock-clock=system").assert_outcomes(passed=1)
    missing = pytester.runpytest_inprocess(*PLUGIN, "--numbers-mock-fixtures=nowhere.yaml")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*numbers-mock:*nowhere.yaml*"])
    late = pytester.runpytest_inprocess(*PLUGIN, "--numbers-mock-clock-start=yesterday")
    assert late.ret == pytest.ExitCode.USAGE_ERROR
    late.stderr.fnmatch_lines(["*--numbers-mock-clock-start: 'yesterday' is not an ISO 8601 time*"])
    negative = pytester.runpytest_inprocess(*PLUGIN, "--numbers-mock-seed=-1")
    assert negative.ret == pytest.ExitCode.USAGE_ERROR
    negative.stderr.fnmatch_lines(["*--numbers-mock-seed: -1 is negative*"])


@pytest.mark.skipif(not INSTALLED, reason="numbers-mock is not installed with its entry point")
def test_the_entry_point_loads_by_name_and_an_unused_plugin_starts_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import sys
        import threading

        def test_untouched():
            assert not [t for t in threading.enumerate() if t.name.startswith("numbers-mock")]
            assert "uvicorn" not in sys.modules
            assert "mockserver.app" not in sys.modules
        """
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "numbers_mock", "--numbers-mock-seed=3")
    result.assert_outcomes(passed=1)


# --- the control client, straight against the app ----------------------------------------


def test_the_control_client_is_public_and_loads_without_the_mock() -> None:
    code = (
        "import sys\n"
        "from mockserver import AsyncMockControl, MockControl, MockTenant, NumbersMockError\n"
        "assert MockControl.__module__ == 'mockserver.client', MockControl.__module__\n"
        "assert 'mockserver.app' not in sys.modules and 'starlette' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def control(app: Starlette) -> Iterator[MockControl]:
    with (
        sync_asgi_transport(app) as transport,
        httpx.Client(transport=transport, base_url="http://mock") as http,
    ):
        yield MockControl(http)


def test_clock_calls(control: MockControl) -> None:
    assert control.clock() == {"now": "2026-03-01T10:00:00Z", "mode": "manual", "frozen": True}
    assert control.advance(timedelta(minutes=1))["now"] == "2026-03-01T10:01:00Z"
    assert control.set_time(START + timedelta(hours=1))["now"] == "2026-03-01T11:00:00Z"
    assert control.now() == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert control.unfreeze()["frozen"] is False
    assert control.freeze()["frozen"] is True
    with pytest.raises(NumbersMockError, match="only moves forward") as caught:
        control.set_time("2026-03-01T10:00:00Z")
    assert (caught.value.status, caught.value.code) == (409, "clock-backwards")
    with pytest.raises(ValueError, match="UTC offset"):
        control.set_time(datetime(2026, 3, 2))  # noqa: DTZ001


def test_rules_and_faults_take_python_names(control: MockControl) -> None:
    rule = control.add_rule(
        provider="vobiz", on="order", outcome="failed", after_seconds=5, reason="Declined"
    )
    assert rule["params"] == {"afterSeconds": 5, "reason": "Declined"}
    scoped = control.add_rule(
        provider="bird", on="payment", outcome="declined", workspaceId=BIRD_WS
    )
    assert [r["id"] for r in control.rules()] == [scoped["id"], rule["id"]]
    control.delete_rule(rule["id"])
    control.clear_rules()
    assert control.rules() == []
    [fault] = control.add_fault(provider="vobiz", status=503, latency_ms={"min": 0, "max": 1})
    assert (fault["status"], fault["latencyMs"]) == (503, {"min": 0, "max": 1})
    assert len(control.add_fault(profile="bird-documented-rate-limits")) == 2
    control.delete_fault(fault["id"])
    assert len(control.faults()) == 2
    control.clear_faults()
    assert control.faults() == []


def test_a_request_the_spec_refuses_lists_where(control: MockControl) -> None:
    with pytest.raises(NumbersMockError) as caught:
        control.add_rule(provider="vobiz", on="weather", outcome="rain")
    error = caught.value
    assert (error.status, error.code, error.problem["status"]) == (422, "invalid-request", 422)
    assert re.search(r"POST /_mock/rules -> 422 invalid-request: .*\n  body /: ", str(error))


def test_state_wallets_journal_and_resets(control: MockControl) -> None:
    http = control.http
    dump = control.state(secrets=True)
    order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
    placed = http.post(f"{VOBIZ_API}/numbers/whatsapp/orders", json=order, headers=VOBIZ)
    assert placed.status_code == 201
    [entry] = control.journal(request_id=placed.headers["x-request-id"])
    assert entry["operationId"] == "createWhatsAppNumberOrder"
    assert control.journal(provider="bird") == []
    wallet = control.set_wallet("vobiz", VOBIZ_AUTH_ID, "INR", 12)
    assert (wallet["tenant"], wallet["balance"]) == (VOBIZ_AUTH_ID, "12.00")
    assert control.state("vobiz", VOBIZ_AUTH_ID)["tenant"] == VOBIZ_AUTH_ID
    assert control.restore(dump)["now"] == "2026-03-01T10:00:00Z"
    [inr] = [w for w in control.wallets("vobiz", VOBIZ_AUTH_ID) if w["currency"] == "INR"]
    assert inr["balance"] == inr["openingBalance"]
    control.clear_journal()
    assert control.journal() == []
    assert control.reset_tenant("vobiz", VOBIZ_AUTH_ID) is True
    assert control.reset_tenant("vobiz", "MA_NOBODY00", missing_ok=True) is False
    with pytest.raises(NumbersMockError, match="MA_NOBODY00"):
        control.reset_tenant("vobiz", "MA_NOBODY00")
    control.forget(MockTenant.new(control.url))  # never used: nothing to reset, no error
    control.reset()
    with pytest.raises(LookupError, match=r"no OTP code to \+14155550123"):
        control.latest_otp("+14155550123")


async def test_the_async_client_mirrors_the_sync_one(client: httpx.AsyncClient) -> None:
    control = AsyncMockControl(client)
    assert control.url == "http://mock"
    assert (await control.health())["status"] == "ok"
    assert (await control.advance(2))["now"] == "2026-03-01T10:00:02Z"
    assert await control.now() == START + timedelta(seconds=2)
    verify = {"phone_number": "+14155550123", "verification_method": "sms"}
    path = f"{VOBIZ_API}/numbers/whatsapp/bring-your-own/verify"
    assert (await client.post(path, json=verify, headers=VOBIZ)).status_code == 200
    code = await control.latest_otp("+14155550123", auth_id=VOBIZ_AUTH_ID)
    assert [c["code"] for c in await control.otp_codes("+14155550123")] == [code]
    with pytest.raises(LookupError):
        await control.latest_otp("+14155550123", auth_id="MA_SOMEONE1")
    await control.reset()
    assert await control.reset_tenant("bird", BIRD_WS) is True
    await control.forget(MockTenant.new(control.url))


def test_a_tenant_is_fresh_and_well_formed() -> None:
    one, two = MockTenant.new("http://mock/"), MockTenant.new("http://mock")
    assert one.url == one.bird_url == one.vobiz_url == "http://mock"
    assert re.fullmatch(r"MA_[A-Z0-9]{8}", one.vobiz_auth_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,128}", one.bird_access_key)
    assert one.bird_headers == {"Authorization": f"AccessKey {one.bird_access_key}"}
    assert one.vobiz_headers == {
        "X-Auth-ID": one.vobiz_auth_id,
        "X-Auth-Token": one.vobiz_auth_token,
    }
    assert {one.bird_workspace_id, one.vobiz_auth_id, one.bird_access_key}.isdisjoint(
        {two.bird_workspace_id, two.vobiz_auth_id, two.bird_access_key}
    )
    assert re.fullmatch(r"bk_eu1_[0-9a-f]{32}", one.bird_platform_api_key)
    assert one.bird_platform_url == "http://mock"
    assert one.bird_platform_headers == {"Authorization": f"Bearer {one.bird_platform_api_key}"}
    assert one.bird_platform_oauth_token == f"boa_{one.bird_platform_api_key}"
    assert one.bird_platform_api_key != two.bird_platform_api_key
