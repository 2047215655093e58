"""What the control plane shows of a Vobiz account (`/_mock/tenants`, the dashboard): its
WhatsApp number orders, the numbers it bought with the account API, its bring-your-own-
number verifications and its channels, each with its statuses as of now and the next time
one of them changes by itself. Read off the same status functions the API answers with.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mockserver.domain.money import Money
from mockserver.providers.base import Record, Section, TenantSummary, scheduled_change
from mockserver.providers.vobiz.models import (
    Account,
    Channel,
    Order,
    Verification,
    VobizState,
    VoiceNumber,
)

SURFACES = ("vobiz", "vobiz-account")


def summaries(state: VobizState) -> list[TenantSummary]:
    return [
        TenantSummary(
            account.auth_id,
            SURFACES,
            None,
            {
                "orders": len(account.orders),
                "numbers": len(account.numbers),
                "verifications": len(account.verifications),
                "channels": len(account.channels),
            },
        )
        for account in state.accounts.values()
    ]


def sections(account: Account, now: datetime) -> list[Section]:
    return [
        Section("orders", [order(o, now) for o in account.orders.values()]),
        Section("numbers", [number(n, now) for n in account.numbers.values()]),
        Section("verifications", [verification(v, now) for v in account.verifications.values()]),
        Section("channels", [channel(c) for c in account.channels.values()]),
    ]


def order(found: Order, now: datetime) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        return {"order": found.status(at)}

    instants = [*found.timeline.instants(found.created_at), found.ended_at]
    fields = {
        "number": found.number.number,
        "country": found.number.country,
        "region": found.number.region,
        "type": found.number_type,
        "cost": f"{_money(found.setup_cost)} + {_money(found.monthly_cost)}/month",
        "created": _when(found.created_at),
    }
    if found.failure_reason is not None and found.ended_at is not None and found.ended_at <= now:
        fields["failure"] = found.failure_reason
    return Record(found.id, statuses(now), fields, scheduled_change(statuses, instants, now))


def number(found: VoiceNumber, now: datetime) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        return {"number": found.status(at)}

    fields = {
        "number": found.e164,
        "country": found.number.country,
        "fees": f"{_money(found.setup_fee)} + {_money(found.monthly_fee)}/month",
        "purchased": _when(found.purchased_at),
    }
    if found.trunk_group_id is not None:
        fields["trunk"] = found.trunk_group_id
    if found.application_id is not None:
        fields["application"] = found.application_id
    instants = [found.cancellable_until, found.returns_at]
    return Record(found.e164, statuses(now), fields, scheduled_change(statuses, instants, now))


def verification(found: Verification, now: datetime) -> Record:
    def statuses(at: datetime) -> dict[str, str]:
        return {"verification": found.status(at)}

    fields = {
        "number": found.phone_number,
        "channel": found.method,
        "sent": _when(found.sent_at),
        "expires": _when(found.expires_at),
        "attempts": str(found.attempts),
    }
    instants = [found.expires_at, found.locked_until]
    return Record(found.id, statuses(now), fields, scheduled_change(statuses, instants, now))


def channel(found: Channel) -> Record:
    fields = {
        "number": found.phone_number,
        "name": found.display_name,
        "onboarding": found.onboarding_mode,
        "provider": found.number_provider,
        "waba": found.waba_id,
        "created": _when(found.created_at),
    }
    return Record(found.id, {"channel": found.verification_status}, fields)


def _money(amount: Money) -> str:
    return f"{amount.as_decimal():f} {amount.currency}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
