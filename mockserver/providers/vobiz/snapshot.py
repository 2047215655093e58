"""Vobiz's state as JSON and back (mockserver/snapshot.py has the dump as a whole).

Accounts are listed in the order of `VobizState.accounts`; a pending side effect names its
account by auth id, and a restore hands back that very Account object (an account no
longer listed but still reached by one is kept under `detachedAccounts`, named
{"detached": index}). Ordered numbers are named by stock id (with their number, as a check
and for the reader) and looked up in the freshly seeded stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.dumps import (
    Reader,
    SnapshotError,
    maybe_when,
    money,
    rules,
    schedule,
    timeline,
    wallet,
    when,
)
from mockserver.providers.vobiz.models import (
    Account,
    Channel,
    Claim,
    Due,
    Order,
    SentCode,
    StockNumber,
    Verification,
    VobizState,
)
from mockserver.providers.vobiz.seed import VobizConfig

# The side effects VobizBackend applies (models.Due).
DUE_KINDS = ("order-ended",)


def knows(state: VobizState, tenant: str) -> bool:
    return tenant in state.accounts


def dump(state: VobizState, tenant: str | None = None) -> dict[str, Any]:
    """All of Vobiz's state or, with `tenant` (an auth id), that account's part: no
    stock, for reading only."""
    accounts = [a for auth_id, a in state.accounts.items() if tenant in (None, auth_id)]
    refs = _Refs(state.accounts)
    mine = {id(a) for a in accounts}

    def keep(account_id: str) -> bool:
        return tenant in (None, account_id)

    part: dict[str, Any] = {
        "accounts": [_account(a) for a in accounts],
        # Credential -> auth id, as the backend binds them (JSON objects keep their order).
        "tokens": {token: auth_id for token, auth_id in state.tokens.items() if keep(auth_id)},
        "bearers": {token: auth_id for token, auth_id in state.bearers.items() if keep(auth_id)},
        "claims": [
            {"phoneNumber": phone, "account": claim.account_id, "until": maybe_when(claim.until)}
            for phone, claim in state.claims.items()
            if keep(claim.account_id)
        ],
        # The OTP oracle's record: voided verifications too, the current one shared with
        # its account (a restore shares it again, found by id).
        "sentCodes": {
            phone: [
                {"account": sent.account_id, "verification": _verification(sent.verification)}
                for sent in codes
                if keep(sent.account_id)
            ]
            for phone, codes in state.sent_codes.items()
            if any(keep(sent.account_id) for sent in codes)
        },
        "rules": rules(state.rules, lambda r: tenant is None or r.scope == tenant),
        "schedule": schedule(
            state.schedule,
            lambda due: {
                "kind": due.kind,
                "account": refs.of(due.account),
                "subject": due.subject_id,
            },
            lambda due: tenant is None or id(due.account) in mine,
        ),
    }
    if tenant is None:
        part["detachedAccounts"] = [_account(a) for a in refs.detached]
        part["stock"] = {"unavailable": state.inventory.unavailable_ids()}
    return part


def restore(data: Mapping[str, Any], config: VobizConfig, fresh: VobizState) -> VobizState:
    """`fresh` (seeded from the same scenario and seed) made into the dumped state; raises
    SnapshotError. `config` is unused: taken for the same signature as Bird's."""
    dump = Reader(data, "$.vobiz")
    inventory = fresh.inventory
    for index, number_id in enumerate(dump.at("stock").texts("unavailable")):
        if inventory.get(number_id) is None or not inventory.is_available(number_id):
            where = f"$.vobiz.stock.unavailable[{index}]"
            problem = "listed twice" if inventory.get(number_id) else "not in this seed's stock"
            raise SnapshotError(f"{where}: stock number {number_id} is {problem}")
        inventory.take(number_id)

    accounts: dict[str, Account] = {}
    for entry in dump.each("accounts"):
        account = _read_account(entry, inventory)
        if account.auth_id in accounts:
            raise entry.error(f"account {account.auth_id} listed twice")
        accounts[account.auth_id] = account
    detached = [_read_account(entry, inventory) for entry in dump.each("detachedAccounts")]

    def account_of(ref: Reader) -> Account:
        if ref.has("detached"):
            index = ref.integer("detached")
            if not 0 <= index < len(detached):
                raise ref.error(f"no detached account {index}")
            return detached[index]
        found = accounts.get(ref.text("account"))
        if found is None:
            raise ref.error(f"no account {ref.text('account')}")
        return found

    def due(entry: Reader) -> Due:
        kind = entry.text("kind")
        if kind not in DUE_KINDS:
            raise entry.error(f"unknown side effect {kind!r} (known: {', '.join(DUE_KINDS)})")
        return Due(kind, account_of(entry.at("account")), entry.text("subject"))

    claims: dict[str, Claim] = {}
    for entry in dump.each("claims"):
        phone = entry.text("phoneNumber")
        if phone in claims:
            raise entry.error(f"a second claim on {phone}")
        claims[phone] = Claim(entry.text("account"), entry.maybe_time("until"))

    sent_codes: dict[str, list[SentCode]] = {}
    for phone, listed in dump.pairs("sentCodes"):
        sent_codes[phone] = [_read_sent(entry, phone, accounts) for entry in listed.each_item()]

    fresh.accounts = accounts
    fresh.tokens = {token: raw.as_text() for token, raw in dump.pairs("tokens")}
    fresh.bearers = {token: raw.as_text() for token, raw in dump.pairs("bearers")}
    fresh.claims = claims
    fresh.sent_codes = sent_codes
    fresh.rules = dump.at("rules").as_rules()
    fresh.schedule = dump.at("schedule").as_schedule(due)
    return fresh


# --- writing ----------------------------------------------------------------------------


class _Refs:
    """How the dump names accounts: by auth id, or as detached."""

    def __init__(self, accounts: dict[str, Account]) -> None:
        self._listed: dict[int, dict[str, Any]] = {
            id(a): {"account": auth_id} for auth_id, a in accounts.items()
        }
        self.detached: list[Account] = []

    def of(self, account: Account) -> dict[str, Any]:
        ref = self._listed.get(id(account))
        if ref is None:
            ref = self._listed[id(account)] = {"detached": len(self.detached)}
            self.detached.append(account)
        return ref


def _account(account: Account) -> dict[str, Any]:
    return {
        "authId": account.auth_id,
        "adHoc": account.ad_hoc,
        "createdAt": when(account.created_at),
        "wallets": {currency: wallet(w) for currency, w in account.wallets.items()},
        "walletIds": dict(account.wallet_ids),
        "orders": [_order(o) for o in account.orders.values()],
        "verifications": [_verification(v) for v in account.verifications.values()],
        "channels": [_channel(c) for c in account.channels.values()],
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "accountId": order.account_id,
        "number": {"id": order.number.id, "number": order.number.number},
        "numberType": order.number_type,
        "currency": order.currency,
        "setupCost": money(order.setup_cost),
        "monthlyCost": money(order.monthly_cost),
        "providerOrderId": order.provider_order_id,
        "createdAt": when(order.created_at),
        "timeline": timeline(order.timeline),
        "endedStatus": order.ended_status,
        "endedAt": maybe_when(order.ended_at),
        "failureReason": order.failure_reason,
    }


def _verification(verification: Verification) -> dict[str, Any]:
    return {
        "id": verification.id,
        "phoneNumber": verification.phone_number,
        "method": verification.method,
        "code": verification.code,
        "sentAt": when(verification.sent_at),
        "expiresAt": when(verification.expires_at),
        "attempts": verification.attempts,
        "verifiedAt": maybe_when(verification.verified_at),
        "lockedUntil": maybe_when(verification.locked_until),
    }


def _channel(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "accountId": channel.account_id,
        "wabaId": channel.waba_id,
        "phoneNumberId": channel.phone_number_id,
        "phoneNumber": channel.phone_number,
        "onboardingMode": channel.onboarding_mode,
        "numberProvider": channel.number_provider,
        "numberOrderId": channel.number_order_id,
        # Never rendered by the API, but the channel keeps it: a restore must too.
        "accessToken": channel.access_token,
        "displayName": channel.display_name,
        "verificationStatus": channel.verification_status,
        "createdAt": when(channel.created_at),
        "updatedAt": when(channel.updated_at),
    }


# --- reading ----------------------------------------------------------------------------


def _read_account(raw: Reader, inventory: Inventory[StockNumber]) -> Account:
    account = Account(
        auth_id=raw.text("authId"),
        ad_hoc=raw.flag("adHoc"),
        created_at=raw.time("createdAt"),
        wallets={currency: w.as_wallet() for currency, w in raw.pairs("wallets")},
        wallet_ids={currency: w.as_text() for currency, w in raw.pairs("walletIds")},
    )
    for entry in raw.each("orders"):
        order = _read_order(entry, inventory)
        account.orders[order.id] = order
    for entry in raw.each("verifications"):
        verification = _read_verification(entry)
        account.verifications[verification.phone_number] = verification
    for entry in raw.each("channels"):
        channel = _read_channel(entry)
        account.channels[channel.id] = channel
    return account


def _read_sent(raw: Reader, phone: str, accounts: dict[str, Account]) -> SentCode:
    account_id = raw.text("account")
    verification = _read_verification(raw.at("verification"))
    owner = accounts.get(account_id)
    current = None if owner is None else owner.verifications.get(phone)
    if current is not None and current.id == verification.id:
        verification = current  # the very object the account holds, as before the dump
    return SentCode(account_id, verification)


def _read_order(raw: Reader, inventory: Inventory[StockNumber]) -> Order:
    ref = raw.at("number")
    number_id, e164 = ref.text("id"), ref.text("number")
    number = inventory.get(number_id)
    if number is None:
        raise ref.error(f"stock number {number_id} is not in this seed's stock")
    if number.number != e164:
        raise ref.error(f"stock number {number_id} is {number.number} here, not {e164}")
    return Order(
        id=raw.text("id"),
        account_id=raw.text("accountId"),
        number=number,
        number_type=raw.text("numberType"),
        currency=raw.text("currency"),
        setup_cost=raw.money("setupCost"),
        monthly_cost=raw.money("monthlyCost"),
        provider_order_id=raw.text("providerOrderId"),
        created_at=raw.time("createdAt"),
        timeline=raw.at("timeline").as_timeline(),
        ended_status=raw.maybe_text("endedStatus"),
        ended_at=raw.maybe_time("endedAt"),
        failure_reason=raw.maybe_text("failureReason"),
    )


def _read_verification(raw: Reader) -> Verification:
    return Verification(
        id=raw.text("id"),
        phone_number=raw.text("phoneNumber"),
        method=raw.text("method"),
        code=raw.text("code"),
        sent_at=raw.time("sentAt"),
        expires_at=raw.time("expiresAt"),
        attempts=raw.integer("attempts"),
        verified_at=raw.maybe_time("verifiedAt"),
        locked_until=raw.maybe_time("lockedUntil"),
    )


def _read_channel(raw: Reader) -> Channel:
    return Channel(
        id=raw.text("id"),
        account_id=raw.text("accountId"),
        waba_id=raw.text("wabaId"),
        phone_number_id=raw.maybe_text("phoneNumberId"),
        phone_number=raw.text("phoneNumber"),
        onboarding_mode=raw.text("onboardingMode"),
        number_provider=raw.text("numberProvider"),
        number_order_id=raw.maybe_text("numberOrderId"),
        access_token=raw.text("accessToken"),
        display_name=raw.text("displayName"),
        verification_status=raw.text("verificationStatus"),
        created_at=raw.time("createdAt"),
        updated_at=raw.time("updatedAt"),
    )
