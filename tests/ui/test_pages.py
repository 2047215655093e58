"""The dashboard's pages, server-side, through httpx against the app: each page's status and
key content, what its buttons and forms would call, the control token's rule, and markup a
keyboard and a screen reader can use (every field labelled, one h1, unique ids, no script
or style from anywhere else)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, control, create_app
from mockserver.resources import spec_file
from mockserver.ui.api import ControlApi
from tests.conftest import START
from tests.providers.bird.helpers import buy_one
from tests.support.credentials import (
    BIRD,
    BIRD_ORG,
    BIRD_WS,
    CHANNELS,
    ORDER,
    ORDERS,
    PHONE,
    VERIFY,
    VOBIZ,
    VOBIZ_AUTH_ID,
)

TOKEN = "s3cret-token-for-the-dashboard"


class Page(HTMLParser):
    """What the tests read of a page: its text, ids, labels, fields, headings, links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: list[str] = []
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.h1 = 0
        self.urls: list[str] = []
        self.api: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.fields.append(found)
        if tag == "h1":
            self.h1 += 1
        for name in ("href", "src", "action"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if found.get("data-api"):
            self.api.append(str(found["data-api"]))
        if tag == "script":
            self.scripts.append(found)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def content(self) -> str:
        return " ".join(" ".join(self.text).split())


async def page(client: httpx.AsyncClient, path: str, expect: int = 200, **params: Any) -> Page:
    response = await client.get(path, params=params)
    assert response.status_code == expect, response.text
    assert response.headers["content-type"] == "text/html"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    return Page(response.text)


def accessible(found: Page) -> None:
    unlabelled = [f for f in found.fields if f.get("id") not in found.labels]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    assert found.h1 == 1
    twice = [i for i, n in Counter(found.ids).items() if n > 1]
    assert not twice, f"ids used twice: {twice}"
    assert "main" in found.ids  # the skip link's target
    external = [u for u in found.urls if u.startswith(("http:", "https:", "//"))]
    assert not external, f"the page loads from elsewhere: {external}"
    assert found.scripts == [{"src": "/_mock/ui/static/dashboard.js", "defer": None}]


# Every dashboard page of the control spec, with the path a test opens.
PAGES = {
    "getDashboardOverview": "/_mock/ui/",
    "getDashboardOtp": "/_mock/ui/otp",
    "getDashboardTenants": "/_mock/ui/tenants",
    "getDashboardTenant": f"/_mock/ui/tenants/vobiz/{VOBIZ_AUTH_ID}",
    "getDashboardJournal": "/_mock/ui/journal",
    "getDashboardRules": "/_mock/ui/rules",
    "getDashboardWebhooks": "/_mock/ui/webhooks",
    "getDashboardLogin": "/_mock/ui/login",
}


def test_every_dashboard_operation_is_a_page_here_or_a_static_file() -> None:
    document = yaml.safe_load(spec_file("control.yaml").read_text())
    operations = {
        op["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/_mock/ui/")
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert operations == {*PAGES, "getDashboardJournalEntry", "getDashboardStatic"}


@pytest.mark.parametrize("operation", list(PAGES))
async def test_every_page_is_accessible_markup(client: httpx.AsyncClient, operation: str) -> None:
    await client.post(ORDERS, json=ORDER, headers=VOBIZ)  # something in the journal
    accessible(await page(client, PAGES[operation]))


async def test_the_overview_shows_the_clock_scenario_and_each_provider(
    client: httpx.AsyncClient,
) -> None:
    await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    found = await page(client, "/_mock/ui/")
    text = found.content
    assert "Mock time 2026-03-01 10:00:00 UTC frozen (manual clock)" in text
    assert "Scenario default" in text
    assert "Seed 1" in text
    for label in ("Advance 30 s", "Advance 5 min", "Advance 1 h", "Advance 1 day", "Run"):
        assert label in text
    assert "1 orders, 0 numbers, 0 verifications, 0 channels" in text
    assert found.api.count("POST /_mock/clock/advance") == 4
    assert "POST /_mock/clock/unfreeze" in found.api  # frozen: the button runs it
    assert "POST /_mock/reset" in found.api
    await client.post("/_mock/clock/unfreeze")
    assert "POST /_mock/clock/freeze" in (await page(client, "/_mock/ui/")).api


async def test_the_otp_page_lists_every_code_with_its_expiry_in_mock_time(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    empty = await page(client, "/_mock/ui/otp")
    assert "No codes sent yet" in empty.content
    body = {"phone_number": PHONE, "verification_method": "sms"}
    assert (await client.post(VERIFY, json=body, headers=VOBIZ)).status_code == 200
    [code] = (await client.get("/_mock/otp")).json()["codes"]
    clock.advance(timedelta(seconds=30))
    text = (await page(client, "/_mock/ui/otp")).content
    assert f"{code['code']} Copy {PHONE} {VOBIZ_AUTH_ID} vobiz sms pending in 9 min 30 s 0" in text
    assert f"Copy code {code['code']} sent to {PHONE}" in (await client.get("/_mock/ui/otp")).text
    filtered = await page(client, "/_mock/ui/otp", phone_number="+14155550999")
    assert "No codes sent to +14155550999 yet" in filtered.content
    clock.advance(timedelta(minutes=10))
    assert "expired" in (await page(client, "/_mock/ui/otp", phone_number=PHONE)).content


async def test_the_tenants_page_lists_each_providers_tenants(client: httpx.AsyncClient) -> None:
    found = await page(client, "/_mock/ui/tenants")
    assert f"/_mock/ui/tenants/vobiz/{VOBIZ_AUTH_ID}" in found.urls
    assert f"/_mock/ui/tenants/bird/{BIRD_WS}" in found.urls
    assert "25000.00 INR, 300.00 USD" in found.content


async def test_a_tenant_page_shows_wallets_resources_and_the_next_change(
    client: httpx.AsyncClient,
) -> None:
    await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    found = await page(client, f"/_mock/ui/tenants/vobiz/{VOBIZ_AUTH_ID}")
    text = found.content
    assert "INR 24250.00" in text
    assert "Orders 1" in text
    assert "pending in 30 s : order → completed" in text
    assert "POST /_mock/reset" in found.api
    assert "PUT /_mock/wallets/vobiz/{wallet}/{currency}" in found.api
    bird = await page(client, f"/_mock/ui/tenants/bird/{BIRD_WS}")
    assert "Held by acme" in bird.content


async def test_a_bird_number_shows_its_statuses_on_the_tenant_page(
    client: httpx.AsyncClient,
) -> None:
    bought = await buy_one(client, countryCodes="US")
    text = (await page(client, f"/_mock/ui/tenants/bird/{BIRD_WS}")).content
    assert f"{bought['id']} submitted provisioning planned in 2 s : order → processing" in text


async def test_an_unknown_tenant_is_a_page_that_says_so(client: httpx.AsyncClient) -> None:
    found = await page(client, "/_mock/ui/tenants/vobiz/MA_NOBODY00", expect=404)
    assert "No vobiz tenant MA_NOBODY00" in found.content
    refused = await client.get("/_mock/ui/tenants/nobody/x")
    assert refused.status_code == 422  # not a provider: the spec says so


async def test_the_journal_lists_filters_and_links_each_request(
    client: httpx.AsyncClient,
) -> None:
    placed = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    await client.get(CHANNELS, headers=VOBIZ)
    request_id = placed.headers["x-request-id"]
    every = await page(client, "/_mock/ui/journal")
    assert f"/_mock/ui/journal/{request_id}" in every.urls
    assert "2 shown" in every.content
    for filters in (
        {"status": 201},
        {"operationId": "createWhatsAppNumberOrder"},
        {"provider": "vobiz", "tenant": VOBIZ_AUTH_ID, "status": 201},
    ):
        found = await page(client, "/_mock/ui/journal", **filters)
        assert "1 shown" in found.content, filters
    none = await page(client, "/_mock/ui/journal", status=404)
    assert "No requests match" in none.content
    # The API refuses empty parameters; the page's script leaves empty filters out.
    assert (await client.get("/_mock/ui/journal?tenant=")).status_code == 422


async def test_a_request_shows_its_headers_and_bodies_with_secrets_redacted(
    client: httpx.AsyncClient,
) -> None:
    placed = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
    request_id = placed.headers["x-request-id"]
    found = await page(client, f"/_mock/ui/journal/{request_id}")
    text = found.content
    assert "POST /api/v1/messaging/numbers/whatsapp/orders → 201" in text
    assert "x-auth-token [redacted]" in text
    assert VOBIZ["X-Auth-Token"] not in text
    assert '"country_code": "IN"' in text  # the body, indented
    missing = await page(client, "/_mock/ui/journal/req_000000000000", expect=404)
    assert "No journal entry req_000000000000" in missing.content


async def test_a_request_with_unknown_input_is_marked_with_its_warnings(
    client: httpx.AsyncClient,
) -> None:
    """`countryCodes[]` (the bracket style of qs and axios) is no parameter of Bird's stock
    search: answered as if absent, with a warning the journal keeps and the pages show."""
    search = f"/organizations/{BIRD_ORG}/numbers-stock-items"
    found = await client.get(search, params={"countryCodes[]": "US"}, headers=BIRD)
    assert found.status_code == 200
    request_id = found.headers["x-request-id"]
    listed = await page(client, "/_mock/ui/journal")
    assert "warning" in listed.content.split()
    html = (await client.get("/_mock/ui/journal")).text
    assert 'title="unknown query parameter &#34;countryCodes[]&#34;"' in html
    entry = await page(client, f"/_mock/ui/journal/{request_id}")
    assert "Warnings" in entry.content
    assert 'unknown query parameter "countryCodes[]"' in entry.content
    assert "--strict-unknown" in entry.content


async def test_the_rules_page_offers_every_rule_and_every_operation(
    client: httpx.AsyncClient,
) -> None:
    rule = {"provider": "vobiz", "on": "payment", "outcome": "declined"}
    added = (await client.post("/_mock/rules", json=rule)).json()
    fault = {"provider": "bird", "operationId": "createWorkspaceLongCodeNumbers", "status": 402}
    [injected] = (await client.post("/_mock/faults", json=fault)).json()["faults"]
    found = await page(client, "/_mock/ui/rules")
    assert f"DELETE /_mock/rules/{added['id']}" in found.api
    assert f"DELETE /_mock/faults/{injected['id']}" in found.api
    assert "operationId=createWorkspaceLongCodeNumbers" in found.content
    assert "status 402" in found.content
    control = (await client.get("/_mock/specs/control.json")).json()
    variants = control["components"]["schemas"]["RuleInput"]["oneOf"]
    kinds = [i for i in found.ids if i.startswith("rule-") and i[5:].isdigit()]
    assert len(kinds) == len(variants)
    assert "vobiz: payment → declined" in found.content
    assert "bird-documented-rate-limits" in found.content  # a fault profile
    html = (await client.get("/_mock/ui/rules")).text
    for operation in ("createWorkspaceLongCodeNumbers", "createWhatsAppNumberOrder"):
        assert f'<option value="{operation}">' in html


async def test_the_webhooks_page_lists_deliveries_with_their_attempts_and_actions(
    client: httpx.AsyncClient,
) -> None:
    hooks = f"/organizations/{BIRD_ORG}/workspaces/{BIRD_WS}/webhook-subscriptions"
    body = {"service": "numbers", "event": "endpoint.updated", "url": "http://m/_mock/inbox/ui"}
    subscribed = await client.post(hooks, json=body, headers=BIRD)
    assert subscribed.status_code == 201, subscribed.text
    await client.put("/_mock/inbox/ui", json={"respond": [500]})
    empty = await page(client, "/_mock/ui/webhooks")
    assert "No deliveries." in empty.content
    assert "POST /_mock/webhooks/pause" in empty.api
    await buy_one(client, countryCodes="US")
    await client.post("/_mock/webhooks/drain", json={})
    found = await page(client, "/_mock/ui/webhooks")
    text = found.content
    assert "1 shown." in text
    assert "endpoint.updated" in text
    assert subscribed.json()["id"] in text
    assert "1 attempt" in text
    assert "failed" in text  # the inbox answered 500: a failed attempt, retried
    assert "in 30 s" in text  # the retry, on the mock clock
    delivery = (await client.get("/_mock/webhooks/deliveries")).json()["deliveries"][0]
    assert f"POST /_mock/webhooks/deliveries/{delivery['id']}/redeliver" not in found.api
    await client.post("/_mock/clock/advance", json={"seconds": 10})
    await client.post("/_mock/webhooks/drain", json={})
    later = await page(client, "/_mock/ui/webhooks", outcome="delivered")
    assert f"POST /_mock/webhooks/deliveries/{delivery['id']}/redeliver" not in later.api
    await client.post("/_mock/clock/advance", json={"seconds": 30})
    await client.post("/_mock/webhooks/drain", json={})
    done = await page(client, "/_mock/ui/webhooks", outcome="delivered")
    assert f"POST /_mock/webhooks/deliveries/{delivery['id']}/redeliver" in done.api
    assert "2 attempts" in done.content
    await client.post("/_mock/webhooks/pause", json={"provider": "bird"})
    paused = await page(client, "/_mock/ui/webhooks")
    assert "Paused: provider=bird" in paused.content
    assert "POST /_mock/webhooks/resume" in paused.api
    accessible(paused)


async def test_the_dashboard_reads_an_operation_that_waits_by_awaiting_it(
    app: Starlette,
) -> None:
    """ui/api.py: a synchronous read as before; an operation that waits (a drain) refused
    there, cleanly, and answered by `answer`."""
    api = ControlApi(control.surface(app.state.mock).handlers)
    assert api("getWebhooks")["counts"]["pending"] == 0
    with pytest.raises(TypeError, match="drainWebhooks waits"):
        api("drainWebhooks", body={"timeout": 1})
    drained = await api.answer("drainWebhooks", body={"timeout": 1})
    assert drained["idle"] is True
    assert (await api.answer("getWebhooks"))["counts"]["pending"] == 0


async def test_the_static_files_are_served_from_the_package(client: httpx.AsyncClient) -> None:
    script = await client.get("/_mock/ui/static/dashboard.js")
    assert (script.status_code, script.headers["content-type"]) == (200, "text/javascript")
    assert "data-live" in script.text
    style = await client.get("/_mock/ui/static/dashboard.css")
    assert (style.status_code, style.headers["content-type"]) == (200, "text/css")
    assert (await client.get("/_mock/ui/static/other.js")).status_code == 404
    assert (await client.get("/_mock/ui/static/..%2Fpages.py")).status_code in (404, 422)


@pytest.fixture
async def guarded() -> Any:
    app = create_app(
        Settings(control_token=TOKEN, validate_responses=True), clock=ManualClock(START)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield client
    assert not app.state.mock.failures


async def test_with_a_token_only_the_sign_in_page_and_its_files_are_open(
    guarded: httpx.AsyncClient,
) -> None:
    refused = await guarded.get("/_mock/ui/")
    assert refused.status_code == 401
    assert "/_mock/ui/login" in refused.json()["detail"]
    signin = await page(guarded, "/_mock/ui/login", next="/_mock/ui/otp")
    assert "POST /_mock/session" in signin.api
    assert (await guarded.get("/_mock/ui/static/dashboard.js")).status_code == 200
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (await guarded.get("/_mock/ui/", headers=bearer)).status_code == 200
    outside = await guarded.get("/_mock/ui/login", params={"next": "https://elsewhere.example/"})
    assert outside.status_code == 422  # it only ever goes back to a dashboard page


@pytest.mark.parametrize("validator", ["compiled", "openapi-core"])
async def test_both_validators_check_every_page_against_the_spec(validator: str) -> None:
    settings = Settings(seed=1, validator=validator, validate_responses=True)
    app = create_app(settings, clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        placed = await client.post(ORDERS, json=ORDER, headers=VOBIZ)
        paths = [
            *PAGES.values(),
            f"/_mock/ui/journal/{placed.headers['x-request-id']}",
            "/_mock/ui/journal/req_000000000000",
            "/_mock/ui/tenants/vobiz/MA_NOBODY00",
            "/_mock/ui/static/dashboard.js",
            "/_mock/ui/static/dashboard.css",
            "/_mock/ui/static/icon.svg",
        ]
        for path in paths:
            assert (await client.get(path)).status_code in (200, 404), path
    assert app.state.mock.failures == []
