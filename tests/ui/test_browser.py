"""The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium), driven by
Playwright for Python with `executable_path`, against a live mock on a free port. Nothing is
downloaded: Playwright's own browsers are never used, and every request the pages make
outside the mock is refused and fails the test.

Each test takes screenshots of the pages it visits into the artifacts directory
(MOCKSERVER_ARTIFACTS, default .artifacts/dashboard/); docs/dashboard.png is one of them.
Skipped, saying why, only where no Chromium is installed (`.ci/run` installs Debian's).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import (
    BIRD,
    BIRD_ORG,
    BIRD_WS,
    ORDER,
    ORDERS,
    PHONE,
    STOCK,
    VERIFY,
    VOBIZ,
)
from tests.support.live import serve

CHROMIUM = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.socket,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium), "
        "as .ci/run does, or set MOCKSERVER_CHROMIUM",
    ),
]
# How this machine's Chromium runs headless, as root, with no network beyond loopback.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MOCKSERVER_ARTIFACTS") or ROOT / ".artifacts" / "dashboard")
TOKEN = "s3cret-token-for-the-browser"
SEEN = 5000  # ms a live change may take to show (the pages poll every second)


@dataclass
class Live:
    url: str
    app: Starlette
    api: httpx.Client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def live_mock(settings: Settings) -> Iterator[Live]:
    app = create_app(settings, clock=ManualClock(START))
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as api:
        yield Live(url, app, api)
    assert not app.state.mock.failures, [str(f) for f in app.state.mock.failures]


@pytest.fixture
def mock() -> Iterator[Live]:
    yield from live_mock(Settings(seed=1, validate_responses=True))


def open_page(browser: Browser, live: Live) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": 1366, "height": 860},
        permissions=["clipboard-read", "clipboard-write"],
    )
    elsewhere: list[str] = []

    def only_the_mock(route: Any) -> None:
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_mock)
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    # Script errors; a refused request (a 401 before signing in) is the test's to check.
    page.on(
        "console",
        lambda m: (
            failures.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield page
    context.close()
    assert not elsewhere, f"the dashboard asked for something outside the mock: {elsewhere}"
    assert not failures, f"the page's script failed: {failures}"


@pytest.fixture
def page(browser: Browser, mock: Live) -> Iterator[Page]:
    yield from open_page(browser, mock)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def status(page: Page) -> Any:
    return expect(page.get_by_role("status"))


# --- OTP codes ------------------------------------------------------------------------------


def test_a_code_sent_appears_on_the_otp_page_without_a_reload(page: Page, mock: Live) -> None:
    page.goto("/_mock/ui/otp")
    expect(page.get_by_text("No codes sent yet")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    body = {"phone_number": PHONE, "verification_method": "sms"}
    assert mock.api.post(VERIFY, json=body, headers=VOBIZ).status_code == 200
    [sent] = mock.api.get("/_mock/otp").json()["codes"]
    code = page.locator("code.otp-code")
    expect(code).to_have_text(sent["code"], timeout=SEEN)
    row = page.get_by_role("row").filter(has=code)
    expect(row).to_contain_text(PHONE)
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text("in 10 min")
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place
    page.get_by_role("button", name=f"Copy code {sent['code']} sent to {PHONE}").click()
    status(page).to_have_text(f"Copied {sent['code']}")
    assert page.evaluate("navigator.clipboard.readText()") == sent["code"]
    shot(page, "otp")
    # Expiry is counted in mock time: the clock moves, the countdown follows.
    page.get_by_role("button", name="Advance 5 min").click()
    expect(row).to_contain_text("in 5 min", timeout=SEEN)


# --- the clock and a tenant -------------------------------------------------------------------


def test_advance_30_s_completes_a_pending_vobiz_order_on_the_tenant_page(
    page: Page, mock: Live
) -> None:
    placed = mock.api.post(ORDERS, json=ORDER, headers=VOBIZ).json()
    page.goto("/_mock/ui/tenants")
    page.get_by_role("link", name="MA_ACME0001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("vobiz tenant MA_ACME0001")
    order = page.locator(f'table[data-kind="orders"] tr[data-id="{placed["id"]}"]')
    expect(order.locator('[data-status="order"]')).to_have_text("pending")
    expect(order).to_contain_text("in 30 s: order → completed")
    shot(page, "tenant-pending")
    page.get_by_role("button", name="Advance 30 s").click()
    status(page).to_have_text("Advanced 30 s")
    expect(order.locator('[data-status="order"]')).to_have_text("completed", timeout=SEEN)
    expect(order).to_contain_text("none")
    expect(page.locator("#clock-now")).to_have_text("2026-03-01 10:00:30")
    shot(page, "tenant")


def test_resetting_a_tenant_from_its_page(page: Page, mock: Live) -> None:
    mock.api.post(ORDERS, json=ORDER, headers=VOBIZ)
    page.goto("/_mock/ui/tenants/vobiz/MA_ACME0001")
    inr = page.locator("table.wallets").get_by_role("row", name=re.compile("^INR"))
    expect(inr.locator(".amount")).to_have_text("24250.00")
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Reset this tenant").click()
    expect(inr.locator(".amount")).to_have_text("25000.00", timeout=SEEN)
    expect(page.get_by_role("heading", name=re.compile(r"^Orders"))).to_have_text("Orders 0")
    assert asked
    assert "Reset vobiz tenant MA_ACME0001" in asked[0]
    wallets = mock.api.get("/_mock/wallets", params={"provider": "vobiz"}).json()["wallets"]
    assert [w["balance"] for w in wallets if w["currency"] == "INR"] == ["25000.00"]


def test_setting_a_balance_from_the_tenant_page(page: Page, mock: Live) -> None:
    page.goto("/_mock/ui/tenants/vobiz/MA_ACME0001")
    page.get_by_label("Wallet", exact=True).select_option(label="USD")
    page.get_by_label("Balance", exact=True).fill("0")
    page.get_by_role("button", name="Set balance").click()
    status(page).to_have_text("Balance set")
    usd_row = page.locator("table.wallets").get_by_role("row", name=re.compile("^USD"))
    expect(usd_row.locator(".amount")).to_have_text("0.00", timeout=SEEN)
    usd = {"country_code": "US", "region": "CA", "number_type": "local", "currency": "USD"}
    assert mock.api.post(ORDERS, json=usd, headers=VOBIZ).status_code == 402


# --- rules and faults ---------------------------------------------------------------------------


def test_a_402_rule_and_a_402_fault_from_the_forms_fail_the_next_buys(
    page: Page, mock: Live
) -> None:
    page.goto("/_mock/ui/rules")
    page.get_by_label("Rule", exact=True).select_option(label="vobiz: payment → declined")
    page.get_by_role("textbox", name="Tenant (accountId)").fill("MA_ACME0001")
    page.get_by_role("button", name="Add rule").click()
    status(page).to_have_text("Rule added")
    rules = page.locator("#rules-state")
    expect(rules).to_contain_text("payment", timeout=SEEN)
    expect(rules).to_contain_text("MA_ACME0001")
    shot(page, "rules")
    refused = mock.api.post(ORDERS, json=ORDER, headers=VOBIZ)
    assert (refused.status_code, refused.json()["error"]["code"]) == (402, "INSUFFICIENT_BALANCE")
    expect(rules).to_contain_text("No rules waiting", timeout=SEEN)  # the rule was used up
    assert mock.api.post(ORDERS, json=ORDER, headers=VOBIZ).status_code == 201

    # "All Bird buys get 402": a fault on the buy operation.
    page.get_by_label("Provider", exact=True).select_option("bird")
    page.get_by_label("Operation").select_option("createWorkspaceLongCodeNumbers")
    page.get_by_label("Status").fill("402")
    page.get_by_role("button", name="Add fault").click()
    status(page).to_have_text("Fault added")
    stock = mock.api.get(STOCK, params={"countryCodes": "US", "limit": 1}, headers=BIRD).json()
    buy = {"numberStockItemIds": [stock["results"][0]["id"]]}
    bought = mock.api.post(f"/workspaces/{BIRD_WS}/numbers-long-code", json=buy, headers=BIRD)
    assert bought.status_code == 402
    faults = page.get_by_role("row").filter(has_text="createWorkspaceLongCodeNumbers")
    expect(faults).to_contain_text("status 402")
    expect(faults.locator("td.num")).to_have_text("1", timeout=SEEN)  # its hits
    page.get_by_role("button", name=re.compile("^Delete fault")).click()
    status(page).to_have_text("Fault deleted")
    expect(page.get_by_text("No faults.")).to_be_visible(timeout=SEEN)
    again = mock.api.post(f"/workspaces/{BIRD_WS}/numbers-long-code", json=buy, headers=BIRD)
    assert again.status_code == 201


# --- the journal ----------------------------------------------------------------------------


# --- webhooks -------------------------------------------------------------------------------


def test_a_delivery_appears_live_is_retried_and_redelivered_from_the_webhooks_page(
    page: Page, mock: Live
) -> None:
    hooks = f"/organizations/{BIRD_ORG}/workspaces/{BIRD_WS}/webhook-subscriptions"
    url = f"{mock.url}/_mock/inbox/browser"
    body = {"service": "numbers", "event": "endpoint.updated", "url": url, "signingKey": "k"}
    created = mock.api.post(hooks, json=body, headers=BIRD)
    assert created.status_code == 201, created.text
    mock.api.put("/_mock/inbox/browser", json={"respond": [500]})
    page.goto("/_mock/ui/webhooks")
    expect(page.get_by_text("No deliveries.")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    items = mock.api.get(STOCK, params={"countryCodes": "US", "limit": 20}, headers=BIRD).json()
    item = next(i for i in items["results"] if "whatsapp" not in i["capabilities"])
    bought = mock.api.post(
        f"/workspaces/{BIRD_WS}/numbers-long-code",
        json={"numberStockItemIds": [item["id"]]},
        headers=BIRD,
    )
    assert bought.status_code == 201, bought.text
    row = page.locator("table.deliveries > tbody > tr").first
    expect(row).to_contain_text("endpoint.updated", timeout=SEEN)
    expect(row).to_contain_text(created.json()["id"])
    expect(row).to_contain_text("1 attempt", timeout=SEEN)
    expect(row).to_contain_text("in 30 s")  # the inbox answered 500: retried on the clock
    assert page.evaluate("window.stillTheSamePage") is True  # appeared in place
    row.get_by_text("1 attempt").click()
    expect(row.locator("table.attempts")).to_contain_text("500")
    shot(page, "webhooks")
    page.get_by_role("button", name="Advance 30 s").click()
    status(page).to_have_text("Advanced 30 s")
    # The retry at 30 s and the order's own changes behind it are delivered.
    delivered = page.locator("table.deliveries > tbody > tr", has_text="delivered")
    expect(delivered).to_have_count(3, timeout=SEEN)
    first = page.locator("table.deliveries > tbody > tr").last
    expect(first).to_contain_text("2 attempts")
    delivery = mock.api.get("/_mock/webhooks/deliveries").json()["deliveries"][-1]
    first.get_by_role("button", name=f"Redeliver {delivery['id']}").click()
    status(page).to_have_text("Redelivery queued")
    expect(first).to_contain_text("3 attempts", timeout=SEEN)
    page.get_by_role("button", name="Pause every delivery").click()
    expect(page.get_by_text("Paused: every delivery")).to_be_visible(timeout=SEEN)
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause every delivery")).to_be_visible(timeout=SEEN)
    inbox = mock.api.get("/_mock/inbox/browser").json()["messages"]
    assert [m["status"] for m in inbox] == [500, 200, 200, 200, 200]
    assert all(m["verification"]["valid"] for m in inbox)


def test_the_journal_tails_live_filters_and_opens_a_request(page: Page, mock: Live) -> None:
    page.goto("/_mock/ui/journal")
    expect(page.get_by_text("No requests.")).to_be_visible()
    placed = mock.api.post(ORDERS, json=ORDER, headers=VOBIZ)
    mock.api.get(STOCK, params={"countryCodes": "US", "limit": 1}, headers=BIRD)
    request_id = placed.headers["x-request-id"]
    link = page.get_by_role("link", name=request_id)
    expect(link).to_be_visible(timeout=SEEN)
    expect(page.get_by_text("2 shown")).to_be_visible()
    shot(page, "journal")
    page.get_by_label("Status").fill("201")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"status=201"))
    assert "tenant=" not in page.url  # empty filters are left out
    expect(page.get_by_text("1 shown")).to_be_visible()
    page.get_by_role("link", name=request_id).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("→ 201")
    headers = page.get_by_role("table", name="Request headers (secrets redacted)")
    expect(headers.get_by_role("row", name=re.compile("x-auth-token"))).to_contain_text(
        "[redacted]"
    )
    expect(page.locator("pre.body").first).to_contain_text('"country_code": "IN"')
    assert VOBIZ["X-Auth-Token"] not in page.content()
    shot(page, "request")


# --- the overview, by keyboard ---------------------------------------------------------------


def test_the_overview_by_keyboard(page: Page, mock: Live) -> None:
    mock.api.get(f"/organizations/{BIRD_ORG}/numbers-stock-items", headers=BIRD)
    page.goto("/_mock/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    advance = page.get_by_role("button", name="Advance 1 h")
    advance.focus()
    page.keyboard.press("Enter")
    status(page).to_have_text("Advanced 1 h")
    expect(page.locator("#clock-now")).to_have_text("2026-03-01 11:00:00")
    expect(advance).to_be_focused()  # the live clock was swapped in around it
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#clock-state")).to_have_text("running", timeout=SEEN)
    page.get_by_role("button", name="Freeze").click()
    expect(page.locator("#clock-state")).to_have_text("frozen", timeout=SEEN)
    expect(page.get_by_role("row", name=re.compile("^vobiz"))).to_contain_text("1")
    shot(page, "overview")
    page.get_by_role("link", name="Tenants").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenants")
    shot(page, "tenants")


# --- the control token ------------------------------------------------------------------------


@pytest.fixture
def guarded() -> Iterator[Live]:
    yield from live_mock(Settings(seed=1, validate_responses=True, control_token=TOKEN))


def test_signing_in_with_the_control_token(browser: Browser, guarded: Live) -> None:
    for page in open_page(browser, guarded):
        refused = page.goto("/_mock/ui/otp")
        assert refused is not None
        assert refused.status == 401
        page.goto("/_mock/ui/login?next=/_mock/ui/otp")
        page.get_by_label("Control token").fill("not-the-token")
        page.get_by_role("button", name="Sign in").click()
        status(page).to_contain_text("401")
        page.get_by_label("Control token").fill(TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/_mock/ui/otp")
        expect(page.get_by_role("heading", level=1)).to_have_text("OTP codes")
        page.get_by_role("button", name="Advance 30 s").click()  # the API takes the session
        status(page).to_have_text("Advanced 30 s")
