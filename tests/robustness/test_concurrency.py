"""Concurrent clients on a real uvicorn socket, racing for the same stock, wallets and codes.

The scenario gives ad-hoc tenants small wallets, so that every race ends with some money
and some stock left over, and the outcome can be checked exactly rather than statistically:

- every stock item is sold (Bird) or ordered (Vobiz) at most once, to the one owner the
  list endpoints show;
- every wallet's ledger balances to the unit, and the balance read over HTTP (Vobiz) or
  from the backend (Bird has no wallet endpoint) is the opening balance minus the prices of
  what the tenant owns;
- a 402 is only ever answered to a tenant whose money had really run out;
- one OTP verification, confirmed concurrently with right and wrong codes, succeeds once,
  and counts every wrong code exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from tests.conftest import START
from tests.support.credentials import (
    BIRD_ORG,
    CONFIRM,
    ORDERS,
    VERIFY,
    VOBIZ_API,
    bird_key,
    vobiz_account,
)
from tests.support.live import serve
from tests.support.scenarios import write_scenario

pytestmark = pytest.mark.socket

STOCK = f"/organizations/{BIRD_ORG}/numbers-stock-items"
WORKSPACE = "33333333-3333-4333-8333-333333333333"  # each ad-hoc tenant has its own by this id
NUMBERS = f"/workspaces/{WORKSPACE}/numbers-long-code"

BIRD_WALLET = Decimal("5.00")  # five US local numbers at 1.00 EUR
VOBIZ_WALLET = Decimal("2250.00")  # three IN numbers at 500 + 250 INR
ORDER_PRICE = Decimal("750")


@pytest.fixture
def small_wallets(tmp_path: Path) -> Path:
    return write_scenario(
        tmp_path,
        {
            "bird": {"adHocTenants": {"enabled": True, "wallet": str(BIRD_WALLET)}},
            "vobiz": {
                "adHocAccounts": {
                    "enabled": True,
                    "balances": {"INR": str(VOBIZ_WALLET), "USD": "10.00"},
                }
            },
        },
    )


@contextmanager
def live(scenario: Path) -> Iterator[tuple[Starlette, httpx.AsyncClient]]:
    """The mock on a real socket, with an async client that may open many connections."""
    app = create_app(
        Settings(fixtures=scenario, seed=21, validate_responses=True), clock=ManualClock(START)
    )
    with serve(app) as base_url:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        yield app, httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits)
    assert not app.state.mock.failures, [str(f) for f in app.state.mock.failures]


def ledger_balances(wallet: Any) -> None:
    """opening - debits + credits == balance, to the unit, and entry by entry."""
    running = wallet.opening_balance
    for entry in wallet.entries:
        running = running - entry.amount if entry.kind == "debit" else running + entry.amount
        assert entry.balance_after == running
    assert running == wallet.balance
    assert not wallet.balance.is_negative()


def running_balances(wallet: Any) -> set[Decimal]:
    return {wallet.opening_balance.as_decimal()} | {
        e.balance_after.as_decimal() for e in wallet.entries
    }


# --- Bird: 200 purchases over 40 stock items from 5 tenants ----------------------------


async def test_concurrent_bird_purchases_sell_each_item_once_and_every_ledger_balances(
    small_wallets: Path,
) -> None:
    tenants = [bird_key(f"race{i}") for i in range(5)]
    with live(small_wallets) as (app, http):
        async with http:
            search = {"countryCodes": "US", "types": "local", "limit": "40"}
            page = await http.get(STOCK, params=search, headers=tenants[0])
            items = page.json()["results"]
            assert len(items) == 40
            assert {_money(i["monthlyPrice"]) for i in items} == {1}
            # Every tenant tries every item, one purchase each, starting at a different one:
            # 200 purchases, each item wanted by 5 tenants, 25 affordable in all.
            attempts = [(t, items[(k + 8 * t) % 40]) for k in range(40) for t in range(5)]

            async def buy(tenant: int, item: Mapping[str, Any]) -> httpx.Response:
                body = {"numberStockItemIds": [item["id"]]}
                return await http.post(NUMBERS, json=body, headers=tenants[tenant])

            replies = await asyncio.gather(*(buy(t, item) for t, item in attempts))
            owned = [await _bird_numbers(http, headers) for headers in tenants]
            left = await http.get(STOCK, params={**search, "limit": "99"}, headers=tenants[0])
            still_listed = {i["numberString"] for i in left.json()["results"]}

    statuses = Counter(r.status_code for r in replies)
    assert set(statuses) <= {201, 402, 422}, statuses
    bought: dict[str, int] = {}  # numberString -> tenant
    for (tenant, item), reply in zip(attempts, replies, strict=True):
        if reply.status_code == 201:
            [number] = reply.json()["results"]
            assert number["numberString"] == item["numberString"]
            assert item["numberString"] not in bought, "sold twice"
            bought[item["numberString"]] = tenant
        elif reply.status_code == 422:  # someone else got it first
            [(field, [problem])] = reply.json()["details"].items()
            assert field == ".numberStockItemIds[0]"
            assert "no longer in stock" in problem
    # The list endpoints agree: each number has the one owner its 201 named.
    for tenant, numbers in enumerate(owned):
        assert numbers == {n for n, t in bought.items() if t == tenant}
    assert sum(len(numbers) for numbers in owned) == len(set().union(*owned))
    # 25 affordable, 40 wanted by everyone: every wallet is spent, 15 items are left.
    assert len(bought) == 25
    assert all(len(numbers) == 5 for numbers in owned)
    unsold = {i["numberString"] for i in items} - set(bought)
    assert unsold <= still_listed
    assert not set(bought) & still_listed
    # Every wallet's ledger balances, down to exactly what its numbers cost.
    state = app.state.mock.providers[0].backend.state
    wallets = []
    for headers in tenants:
        tenant = state.tenants[state.credentials[headers["Authorization"]]]
        wallet = tenant.workspaces[WORKSPACE].wallet
        ledger_balances(wallet)
        assert wallet.balance.as_decimal() == 0
        assert [e.kind for e in wallet.entries] == ["debit"] * 5
        wallets.append(wallet)
    # A 402 only when the money had really run out: for an item nobody could buy, every
    # tenant's try was a 402, and each 402 shows a balance the wallet really had, short.
    for (tenant, item), reply in zip(attempts, replies, strict=True):
        if item["numberString"] in unsold:
            assert reply.status_code == 402
        if reply.status_code == 402:
            assert reply.json()["code"] == "InsufficientFunds"
            details = reply.json()["details"]
            required, available = _money(details["required"]), _money(details["available"])
            assert required == 1
            assert available < required
            assert available in running_balances(wallets[tenant])
    assert statuses[402] >= 15 * 5


def _money(money: Mapping[str, Any]) -> Decimal:
    return Decimal(money["amount"]).scaleb(money["exponent"])


async def _bird_numbers(http: httpx.AsyncClient, headers: Mapping[str, str]) -> set[str]:
    page = await http.get(NUMBERS, params={"limit": "99"}, headers=headers)
    assert page.status_code == 200
    assert "nextPageToken" not in page.json()
    return {n["numberString"] for n in page.json()["results"]}


# --- Vobiz: 100 orders of 20 preferred numbers from 5 accounts -------------------------


async def test_concurrent_vobiz_orders_take_each_number_once_and_every_balance_adds_up(
    small_wallets: Path,
) -> None:
    accounts = [vobiz_account(f"race{i}") for i in range(5)]
    with live(small_wallets) as (app, http):
        async with http:
            listed = await http.get(
                f"{VOBIZ_API}/numbers/whatsapp/availability",
                params={"country": "IN", "region": "MH", "limit": "20"},
                headers=accounts[0],
            )
            numbers = [n["e164"] for n in listed.json()["items"]]
            assert len(numbers) == 20
            # 5 accounts x 20 preferred numbers, 15 affordable in all
            attempts = [(a, numbers[(k + 4 * a) % 20]) for k in range(20) for a in range(5)]

            async def order(account: int, number: str) -> httpx.Response:
                body = {
                    "country_code": "IN",
                    "region": "MH",
                    "number_type": "local",
                    "currency": "INR",
                    "preferred_number": number,
                }
                return await http.post(ORDERS, json=body, headers=accounts[account])

            replies = await asyncio.gather(*(order(a, n) for a, n in attempts))
            owned = [await _vobiz_orders(http, headers) for headers in accounts]
            balances = [
                await http.get(f"/api/v1/account/{h['X-Auth-ID']}/balance/INR", headers=h)
                for h in accounts
            ]
            left = await http.get(
                f"{VOBIZ_API}/numbers/whatsapp/availability",
                params={"country": "IN", "region": "MH", "limit": "100"},
                headers=accounts[0],
            )
            still_listed = {n["e164"] for n in left.json()["items"]}

    statuses = Counter(r.status_code for r in replies)
    assert set(statuses) <= {201, 402, 409}, statuses
    ordered: dict[str, int] = {}
    for (account, number), reply in zip(attempts, replies, strict=True):
        if reply.status_code == 201:
            assert reply.json()["selected_phone_number"] == number
            assert number not in ordered, "ordered twice"
            ordered[number] = account
        elif reply.status_code == 409:
            assert reply.json()["error"]["code"] == "NUMBER_NOT_AVAILABLE"
    for account, mine in enumerate(owned):
        assert mine == {n for n, a in ordered.items() if a == account}
    assert len(ordered) == 15
    assert all(len(mine) == 3 for mine in owned)
    unordered = set(numbers) - set(ordered)
    assert unordered <= still_listed
    assert not set(ordered) & still_listed
    # Balances over HTTP: the opening balance less three orders; ledgers balance.
    state = app.state.mock.providers[1].backend.state
    for headers, balance in zip(accounts, balances, strict=True):
        assert balance.status_code == 200
        assert Decimal(str(balance.json()["balance"])) == VOBIZ_WALLET - 3 * ORDER_PRICE == 0
        ledger_balances(state.accounts[headers["X-Auth-ID"]].wallets["INR"])
    for (account, number), reply in zip(attempts, replies, strict=True):
        if number in unordered:
            assert reply.status_code == 402
        if reply.status_code == 402:
            error = reply.json()["error"]
            assert error["code"] == "INSUFFICIENT_BALANCE"
            details = error["details"]
            assert details["currency"] == "INR"
            assert Decimal(str(details["available"])) < Decimal(str(details["required"]))
            assert Decimal(str(details["required"])) == ORDER_PRICE
            wallet = state.accounts[accounts[account]["X-Auth-ID"]].wallets["INR"]
            assert Decimal(str(details["available"])) in running_balances(wallet)
    assert statuses[402] >= 5 * 5


async def _vobiz_orders(http: httpx.AsyncClient, headers: Mapping[str, str]) -> set[str]:
    listed = await http.get(ORDERS, headers=headers)
    assert listed.status_code == 200
    return {o["selected_phone_number"] for o in listed.json()["items"]}


# --- Vobiz: one verification, confirmed concurrently ----------------------------------

PHONE = "+447700900123"  # not in Vobiz's stock (IN and US), so anyone's to bring


@dataclass(frozen=True)
class Confirmations:
    replies: list[httpx.Response]
    verification: Any  # the backend's record, after the race

    def count(self, status: int, code: str | None = None) -> int:
        return sum(
            1
            for r in self.replies
            if r.status_code == status
            and (code is None or status == 200 or r.json()["error"]["code"] == code)
        )

    def remaining(self) -> list[int]:
        """attempts_remaining of every wrong-code reply."""
        return sorted(
            r.json()["error"]["details"]["attempts_remaining"]
            for r in self.replies
            if r.status_code == 400
        )


async def _confirm_concurrently(small_wallets: Path, codes: Sequence[str | None]) -> Confirmations:
    """Verify PHONE, then confirm it once per entry of `codes` at the same time (None:
    the right code, read from the backend; the OTP oracle endpoint is not there yet)."""
    account = vobiz_account("otprace1")
    with live(small_wallets) as (app, http):
        async with http:
            sent = await http.post(
                VERIFY, json={"phone_number": PHONE, "verification_method": "sms"}, headers=account
            )
            assert sent.status_code == 200
            state = app.state.mock.providers[1].backend.state
            verification = state.accounts[account["X-Auth-ID"]].verifications[PHONE]
            right = verification.code

            async def confirm(code: str) -> httpx.Response:
                body = {"phone_number": PHONE, "otp_code": code}
                return await http.post(CONFIRM, json=body, headers=account)

            replies = await asyncio.gather(*(confirm(code or right) for code in codes))
    assert all(code != right for code in codes if code is not None)
    return Confirmations(list(replies), verification)


WRONG = "000000"


async def test_concurrent_confirms_verify_once_and_count_every_wrong_code(
    small_wallets: Path,
) -> None:
    # 4 wrong codes (one short of the lock) and 8 right ones, interleaved
    codes = [WRONG if k % 3 == 0 else None for k in range(12)]
    race = await _confirm_concurrently(small_wallets, codes)
    assert race.count(200) == 1
    wrong = race.count(400, "INVALID_OTP")
    assert wrong == race.verification.attempts <= 4
    # every wrong code counted once: attempts_remaining 4, 3, ... with no repeats
    assert race.remaining() == sorted(5 - k for k in range(1, wrong + 1))
    # once verified, the other confirms (right or wrong) are told so
    assert race.count(409, "NUMBER_ALREADY_VERIFIED") == len(codes) - 1 - wrong
    assert race.verification.verified_at is not None


async def test_concurrent_confirms_past_the_limit_lock_or_verify_exactly_once(
    small_wallets: Path,
) -> None:
    # 8 wrong codes, more than the 5 allowed, and 4 right ones
    codes = [None if k % 3 == 1 else WRONG for k in range(12)]
    race = await _confirm_concurrently(small_wallets, codes)
    wrong = race.count(400, "INVALID_OTP")
    assert wrong == race.verification.attempts <= 5
    assert race.remaining() == sorted(5 - k for k in range(1, wrong + 1))
    if race.count(200) == 1:  # a right code came before the fifth wrong one
        assert wrong < 5
        assert race.count(409, "NUMBER_ALREADY_VERIFIED") == len(codes) - 1 - wrong
        assert race.verification.verified_at is not None
    else:  # the fifth wrong code locked it: everything after is 429, right codes too
        assert race.count(200) == 0
        assert wrong == 5
        assert race.count(429, "VERIFICATION_LOCKED") == len(codes) - 5
        assert race.verification.verified_at is None
        assert race.verification.locked_until is not None


async def test_concurrent_verifications_of_one_number_by_several_accounts_have_one_winner(
    small_wallets: Path,
) -> None:
    accounts = [vobiz_account(f"claim{i}") for i in range(8)]
    with live(small_wallets) as (app, http):
        async with http:
            body = {"phone_number": PHONE, "verification_method": "voice"}
            replies = await asyncio.gather(
                *(http.post(VERIFY, json=body, headers=h) for h in accounts)
            )
    statuses = Counter(r.status_code for r in replies)
    assert statuses == {200: 1, 409: 7}
    assert all(
        r.json()["error"]["code"] == "NUMBER_IN_USE" for r in replies if r.status_code == 409
    )
    [winner] = [
        h["X-Auth-ID"] for h, r in zip(accounts, replies, strict=True) if r.status_code == 200
    ]
    state = app.state.mock.providers[1].backend.state
    assert state.claims[PHONE].account_id == winner
    holders = [a for a, account in state.accounts.items() if PHONE in account.verifications]
    assert holders == [winner]
