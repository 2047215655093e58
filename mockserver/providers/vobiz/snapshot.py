"""Vobiz's part of a state dump, and back (snapshot.py has the dump as a whole).

Written from the models' fields (dumps.Codec): accounts with their wallets, orders,
verifications, channels and numbers bought from inventory (with their trunk, application
and release), the credentials bound to them, claims on numbers, the OTP oracle's record,
rules and pending side effects. Ordered and bought numbers are written as references
({"id", "number"}) and looked up in the freshly seeded stock; the stock itself as the ids
of the numbers out of it (`inventory.unavailable`), last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.domain.inventory import Inventory
from mockserver.domain.rules import Rules
from mockserver.domain.schedule import Schedule
from mockserver.dumps import Codec, Reader, SnapshotError, stock_refs
from mockserver.providers.vobiz.models import SentCode, StockNumber, VobizState

# The side effects VobizBackend applies (models.Due).
DUE_KINDS = ("order-ended", "number-returned")


def knows(state: VobizState, tenant: str) -> bool:
    return tenant in state.accounts


def dump(state: VobizState, tenant: str | None = None, *, secrets: bool = False) -> dict[str, Any]:
    """All of Vobiz's state or, with `tenant` (an auth id), that account's part: no stock,
    for reading only. Tokens are redacted unless `secrets`."""
    codec = _codec(state.inventory, redact=not secrets)
    if tenant is not None:
        return codec.write_fields(_part(state, tenant), ("inventory", "stock_generation"))
    whole = codec.write_fields(state)
    whole["inventory"] = whole.pop("inventory")
    return whole


def restore(
    data: Mapping[str, Any], version: int, stock: Inventory[StockNumber]
) -> tuple[VobizState, list[str]]:
    """The dumped state on `stock` (seeded from the same scenario and seed), and the ids
    the dump lists out of stock: `stock` itself is left as it is. Raises SnapshotError."""
    if version == 1:
        data = upgrade_from_1(data)
    refs, out_of_stock = stock_refs(stock, StockNumber, "stock number")
    codec = Codec(refs)
    state: VobizState = codec.read(Reader(data, "$.vobiz"), VobizState)
    _check(state)
    _share_current_verifications(state)
    return state, out_of_stock.unavailable


def _codec(inventory: Inventory[StockNumber], *, redact: bool) -> Codec:
    refs, _ = stock_refs(inventory, StockNumber, "stock number")
    return Codec(refs, redact=redact)


def _check(state: VobizState) -> None:
    """What the models' types cannot say: every credential opens a listed account."""
    for kind, bindings in (("tokens", state.tokens), ("bearers", state.bearers)):
        for auth_id in bindings.values():
            if auth_id not in state.accounts:
                raise SnapshotError(f"$.vobiz.{kind}: a credential of {auth_id}, no such account")
    for index, (_, _, due) in enumerate(state.schedule.pending()):
        if due.kind not in DUE_KINDS:
            raise SnapshotError(
                f"$.vobiz.schedule.pending[{index}].kind: unknown side effect {due.kind!r} "
                f"(known: {', '.join(DUE_KINDS)})"
            )


def _share_current_verifications(state: VobizState) -> None:
    """The OTP oracle's record holds an account's current verification itself, so that
    confirming a code shows in the oracle: read back, it is the account's object again."""
    for phone, sent in state.sent_codes.items():
        for index, code in enumerate(sent):
            account = state.accounts.get(code.account_id)
            current = None if account is None else account.verifications.get(phone)
            if current is not None and current.id == code.verification.id:
                sent[index] = SentCode(code.account_id, current)


def _part(state: VobizState, auth_id: str) -> VobizState:
    """One account's state (sharing its objects: for writing)."""
    return VobizState(
        inventory=state.inventory,
        accounts={auth_id: state.accounts[auth_id]},
        tokens={token: owner for token, owner in state.tokens.items() if owner == auth_id},
        bearers={token: owner for token, owner in state.bearers.items() if owner == auth_id},
        rules=Rules([rule for rule in state.rules if rule.scope == auth_id]),
        claims={n: c for n, c in state.claims.items() if c.account_id == auth_id},
        schedule=Schedule.rebuilt(
            [e for e in state.schedule.pending() if e[2].account_id == auth_id],
            state.schedule.next_seq,
        ),
        sent_codes={
            phone: mine
            for phone, codes in state.sent_codes.items()
            if (mine := [code for code in codes if code.account_id == auth_id])
        },
    )


# --- format 1 -----------------------------------------------------------------------------


def upgrade_from_1(part: Mapping[str, Any]) -> dict[str, Any]:
    """Vobiz's part of a format-1 dump in format 2: pending effects and sent codes name
    their account by auth id, claims are keyed by phone number.

    Format 1 also kept accounts that only a pending effect still reached
    (`detachedAccounts`); no reset has left such an account since numbers-mock 0.1.0, and
    format 2 names them by auth id, so their effects do nothing."""
    raw = Reader(part, "$.vobiz")
    detached = [entry.text("authId") for entry in raw.at("detachedAccounts").items()]

    def account_of(ref: Reader) -> str:
        if not ref.has("detached"):
            return ref.text("account")
        index = ref.integer("detached")
        if not 0 <= index < len(detached):
            raise ref.error(f"no detached account {index}")
        return detached[index]

    schedule = raw.at("schedule")
    pending = [
        {
            "at": entry.at("at").value,
            "seq": entry.at("seq").value,
            "kind": entry.at("kind").value,
            "accountId": account_of(entry.at("account")),
            "subjectId": entry.at("subject").value,
        }
        for entry in schedule.at("pending").items()
    ]
    return {
        "accounts": raw.at("accounts").value,
        "tokens": raw.at("tokens").value,
        "bearers": raw.at("bearers").value,
        "rules": raw.at("rules").value,
        "claims": {
            entry.text("phoneNumber"): {
                "accountId": entry.at("account").value,
                "until": entry.at("until").value,
            }
            for entry in raw.at("claims").items()
        },
        "schedule": {"nextSeq": schedule.at("nextSeq").value, "pending": pending},
        "sentCodes": {
            phone: [
                {
                    "accountId": sent.at("account").value,
                    "verification": sent.at("verification").value,
                }
                for sent in listed.items()
            ]
            for phone, listed in raw.at("sentCodes").pairs()
        },
        "inventory": raw.at("stock").value,
    }
