"""The account API's transactions: the account's wallet ledgers, read as Vobiz's
transactions page shows them. The ledger is the source of truth: every debit and credit of
every wallet of the account (WhatsApp orders and their refunds, purchases from inventory,
release fees and their refunds, control-plane adjustments) is one transaction, `completed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from mockserver.domain.wallet import LedgerEntry
from mockserver.providers.vobiz.auth import VobizPrincipal
from mockserver.providers.vobiz.errors import TransactionsFailed

if TYPE_CHECKING:
    # Type-only, the one import circle allowed (ARCHITECTURE.md): the backend holds its
    # use cases, and they call back into it for the tenant, the clock and the ids.
    from mockserver.providers.vobiz.backend import VobizBackend

# Documented: "per_page ... max 1000"; above it "falls back to 50" (no clamping).
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 50
# Transaction ids are derived from the balance id and the entry's place in its ledger, so
# they are stable across dumps and restores and cost no random draw.
_IDS = uuid.UUID("6f1d2a5e-5c0b-4b8e-9a57-0c1f7e4b2d31")


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    from_date: str | None = None
    to_date: str | None = None
    type: str | None = None
    status: str | None = None
    currency: str | None = None
    reference_type: str | None = None
    description: str | None = None
    reference: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    account_id: str
    balance_id: str
    currency: str
    entry: LedgerEntry

    @property
    def reference_type(self) -> str:
        """The entry's own, or for an entry of a dump written before entries kept it, what
        the mock booked such entries as."""
        entry = self.entry
        if entry.reference_type:
            return entry.reference_type
        if entry.reference.startswith("control:"):
            return "manual_adjustment"
        return "refund" if entry.kind == "credit" else "did_purchase"


@dataclass(frozen=True, slots=True)
class TypeTotals:
    reference_type: str
    debit: Decimal
    credit: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Transactions:
    rows: Sequence[Transaction]  # this page
    total: int  # over the whole filtered set, as `summary`
    page: int
    per_page: int  # the one used (50 when more than 1000 were asked for)
    debit: Decimal
    credit: Decimal
    by_type: Sequence[TypeTotals]


class Ledger:
    def __init__(self, vobiz: VobizBackend) -> None:
        self.vobiz = vobiz

    def transactions(
        self, principal: VobizPrincipal, auth_id: str, query: TransactionQuery
    ) -> Transactions:
        """Newest first (`created_at` descending; entries of one instant in reverse ledger
        order), filtered (all filters ANDed), one page; the totals cover every match."""
        self.vobiz.settle()
        account = self.vobiz.account_at(principal, auth_id)
        since = _moment(query.from_date, end_of_day=False)
        until = _moment(query.to_date, end_of_day=True)
        rows = [
            (entry.at, currency, index, row)
            for currency, wallet in account.wallets.items()
            for index, entry in enumerate(wallet.entries)
            if _matches(
                row := Transaction(
                    _transaction_id(account.wallet_ids[currency], index),
                    account.auth_id,
                    account.wallet_ids[currency],
                    currency,
                    entry,
                ),
                query,
                since,
                until,
            )
        ]
        rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
        matched = [row for *_, row in rows]
        per_page = query.per_page if query.per_page <= MAX_PER_PAGE else DEFAULT_PER_PAGE
        offset = (query.page - 1) * per_page
        # Per reference type: [debits, credits, rows]; amounts of different currencies are
        # summed as they are (invented: filter by currency for meaningful totals).
        totals: dict[str, list[Decimal]] = {}
        for row in matched:
            sums = totals.setdefault(row.reference_type, [Decimal(0)] * 3)
            sums[0 if row.entry.kind == "debit" else 1] += row.entry.amount.as_decimal()
            sums[2] += 1
        by_type = [TypeTotals(name, d, c, int(n)) for name, (d, c, n) in sorted(totals.items())]
        return Transactions(
            rows=matched[offset : offset + per_page],
            total=len(matched),
            page=query.page,
            per_page=per_page,
            debit=sum((t.debit for t in by_type), Decimal(0)),
            credit=sum((t.credit for t in by_type), Decimal(0)),
            by_type=by_type,
        )


def _transaction_id(balance_id: str, index: int) -> str:
    return str(uuid.uuid5(_IDS, f"{balance_id}:{index}"))


def _matches(
    row: Transaction, query: TransactionQuery, since: datetime | None, until: datetime | None
) -> bool:
    entry = row.entry
    checks = (
        since is None or entry.at >= since,
        until is None or entry.at <= until,
        # Documented: credit and debit are broad classes; any other type is an exact match
        # (the mock writes only those two, so another type matches nothing).
        query.type is None or entry.kind == query.type,
        query.status is None or query.status == "completed",
        query.currency is None or row.currency == query.currency.upper(),
        query.reference_type is None or row.reference_type == query.reference_type,
        query.description is None or query.description.lower() in entry.description.lower(),
        query.reference is None or query.reference.lower() in entry.reference.lower(),
        query.transaction_id is None or row.id == query.transaction_id.lower(),
    )
    return all(checks)


def _moment(text: str | None, *, end_of_day: bool) -> datetime | None:
    """A date filter: a bare date is UTC, and as `to_date` covers its whole day (documented:
    "expands to 23:59:59"); an ISO 8601 timestamp as given (UTC if it names no offset).
    Anything else is the documented 500."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TransactionsFailed("Failed to retrieve transactions") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
