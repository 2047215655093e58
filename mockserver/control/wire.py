"""The control plane's JSON shapes (specs/control.yaml, components/schemas)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mockserver.clock import MockClock
from mockserver.control.backend import RuleView, WalletView
from mockserver.domain.money import Money
from mockserver.domain.wallet import LedgerEntry
from mockserver.faults import Fault
from mockserver.journal import Entry, redact_body, redact_headers
from mockserver.providers.base import (
    Change,
    OtpCode,
    Provider,
    Record,
    TenantDetail,
    TenantSummary,
)


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def amount(money: Money) -> str:
    return f"{money.as_decimal():f}"


def clock(value: MockClock) -> dict[str, Any]:
    return {"now": when(value.now()), "mode": value.mode, "frozen": value.frozen}


def wallet(view: WalletView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": view.provider,
        "tenant": view.tenant,
        "currency": view.wallet.currency,
        "balance": amount(view.wallet.balance),
        "openingBalance": amount(view.wallet.opening_balance),
        "ledger": [ledger_entry(entry) for entry in view.wallet.entries],
    }
    if view.owner is not None:
        body["owner"] = view.owner
    return body


def ledger_entry(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "at": when(entry.at),
        "kind": entry.kind,
        "amount": amount(entry.amount),
        "balanceAfter": amount(entry.balance_after),
        "reference": entry.reference,
        "description": entry.description,
    }


def rule(view: RuleView) -> dict[str, Any]:
    return {
        "id": view.rule.id,
        "provider": view.provider,
        "on": view.rule.on,
        "outcome": view.rule.outcome,
        "remaining": view.rule.remaining,
        "tenant": view.rule.scope,
        "params": dict(view.rule.params),
    }


def otp_code(provider: str, sent: OtpCode) -> dict[str, Any]:
    return {
        "code": sent.code,
        "channel": sent.channel,
        "sentAt": when(sent.sent_at),
        "expiresAt": when(sent.expires_at),
        "attempts": sent.attempts,
        "status": sent.status,
        "phoneNumber": sent.phone_number,
        "provider": provider,
        "tenant": sent.tenant,
        # The Vobiz name of the tenant, from when only Vobiz sent codes.
        "authId": sent.tenant,
        "verificationId": sent.verification_id,
    }


def fault(value: Fault) -> dict[str, Any]:
    latency = value.latency_ms
    rate = value.rate_limit
    return {
        "id": value.id,
        "provider": value.provider,
        "operationId": value.operation_id,
        "path": value.path,
        "method": value.method,
        "tenant": value.tenant,
        "latencyMs": None if latency is None else {"min": latency[0], "max": latency[1]},
        "status": value.status,
        "code": value.code,
        "message": value.message,
        "rateLimit": None if rate is None else {"limit": rate[0], "perSeconds": rate[1]},
        "probability": value.probability,
        "seed": value.seed,
        "hits": value.hits,
        "delivery": value.delivery,
        "delaySeconds": value.delay_seconds,
        "event": value.event,
        "subscription": value.subscription,
    }


def journal_entry(entry: Entry) -> dict[str, Any]:
    return {
        "requestId": entry.request_id,
        "at": when(entry.at),
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "provider": entry.provider,
        "operationId": entry.operation_id,
        "tenant": entry.tenant,
        "status": entry.status,
        "durationMs": entry.duration_ms,
        "fault": entry.fault,
        "truncated": entry.truncated,
        "warnings": list(entry.warnings),
    }


def journal_entry_detail(entry: Entry) -> dict[str, Any]:
    """An entry with its headers and body excerpts, secrets redacted (journal.py)."""
    return {
        **journal_entry(entry),
        "request": _message(entry.request_headers, entry.request_body),
        "response": _message(entry.response_headers, entry.response_body),
        "bodiesTruncated": entry.bodies_truncated,
    }


def _message(headers: Any, body: bytes) -> dict[str, Any]:
    return {
        "headers": [{"name": n, "value": v} for n, v in redact_headers(headers)],
        "body": redact_body(body),
    }


def tenant_summary(provider: str, summary: TenantSummary) -> dict[str, Any]:
    return {
        "provider": provider,
        "tenant": summary.name,
        "surfaces": list(summary.surfaces),
        "owner": summary.owner,
        "counts": dict(summary.counts),
    }


def tenant_detail(provider: str, detail: TenantDetail, now: datetime) -> dict[str, Any]:
    return {
        "provider": provider,
        "tenant": detail.name,
        "surfaces": list(detail.surfaces),
        "owner": detail.owner,
        "now": when(now),
        "wallets": [
            wallet(WalletView(provider, held.tenant, held.owner, held.wallet))
            for held in detail.wallets
        ],
        "sections": [
            {"kind": section.kind, "records": [record(r) for r in section.records]}
            for section in detail.sections
        ],
    }


def record(value: Record) -> dict[str, Any]:
    return {
        "id": value.id,
        "statuses": dict(value.statuses),
        "fields": dict(value.fields),
        "nextChange": None if value.next_change is None else change(value.next_change),
    }


def change(value: Change) -> dict[str, Any]:
    return {"at": when(value.at), "statuses": dict(value.statuses)}


def credentials(scenario: str, providers: Sequence[Provider]) -> dict[str, Any]:
    """`GET /_mock/credentials`, and what `mockserver credentials` prints."""
    return {
        "scenario": scenario,
        "providers": [
            {
                "provider": provider.name,
                "credentials": [
                    {
                        "surfaces": list(c.surfaces),
                        "tenant": c.tenant,
                        "kind": c.kind,
                        "headers": dict(c.headers),
                        "ids": dict(c.ids),
                    }
                    for c in provider.credentials()
                ],
                "adHoc": [
                    {"surfaces": list(a.surfaces), "accepts": a.accepts, "opens": a.opens}
                    for a in provider.ad_hoc_credentials()
                ],
            }
            for provider in providers
        ],
    }
