"""HTTP handlers of the control plane, one per operationId of specs/control.yaml.

Thin, like the providers': read the validated call, run a use case (backend.py), render
(wire.py). Errors become problem+json (errors.py).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from mockserver import snapshot
from mockserver.control import session, wire
from mockserver.control.backend import JOURNAL_OFF, ControlBackend
from mockserver.errors import Conflict, Invalid, NotFound, Unauthenticated
from mockserver.exchange import Call, Handlers, Reply
from mockserver.journal import Query

HANDLERS: Handlers[ControlBackend, None] = Handlers()


def _ok(body: Any, status: int = 200) -> Reply:
    return Reply(status, body)


@HANDLERS.operation("getHealth")
def get_health(control: ControlBackend, call: Call[None]) -> Reply:
    mock = control.mock
    return _ok(
        {
            "status": "ok",
            "version": mock.version,
            "scenario": mock.scenario.name,
            "seed": mock.settings.seed,
            "time": wire.when(mock.clock.now()),
            "clock": wire.clock(control.clock),
            "providers": [provider.name for provider in mock.providers],
            "specs": {name: f"/_mock/specs/{name}.json" for name in mock.specs},
        }
    )


@HANDLERS.operation("getSpec")
def get_spec(control: ControlBackend, call: Call[None]) -> Reply:
    """A spec with `servers` pointing at this mock, so tools work unedited."""
    name, fmt = str(call.path["file"]).rsplit(".", 1)
    document = control.mock.specs.get(name)
    if document is None:
        have = ", ".join(f"{n}.json, {n}.yaml" for n in control.mock.specs)
        raise NotFound("Spec", name, f"No spec {name}.{fmt}; have {have}")
    served: dict[str, Any] = {**document, "servers": [{"url": call.base_url}]}
    if fmt == "json":
        return Reply(200, served)
    # Imported here: a start without a scenario file loads no YAML (resources.parse_yaml).
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(served, Dumper=dumper, sort_keys=False, allow_unicode=True)
    return Reply(200, text, media_type="application/yaml")


@HANDLERS.operation("reset")
def reset(control: ControlBackend, call: Call[None]) -> Reply:
    body = call.body or {}
    provider, tenant = body.get("provider"), body.get("tenant")
    if (provider is None) != (tenant is None):
        raise Invalid(
            "Reset one tenant with both `provider` and `tenant`, or everything with neither",
            {"/tenant" if tenant is None else "/provider": ["required with the other"]},
        )
    if provider is None or tenant is None:
        control.reset_all()
        return _ok({"reset": "all"})
    control.reset_tenant(provider, tenant)
    return _ok({"reset": "tenant", "provider": provider, "tenant": tenant})


@HANDLERS.operation("getState")
def get_state(control: ControlBackend, call: Call[None]) -> Reply:
    provider, tenant = call.query.get("provider"), call.query.get("tenant")
    if tenant is not None and provider is None:
        raise Invalid("`tenant` needs `provider`", {"/provider": ["required with tenant"]})
    control.settle()
    try:
        secrets = bool(call.query.get("secrets", False))
        return _ok(snapshot.take(control.mock, provider, tenant, secrets=secrets))
    except snapshot.UnknownTenant as error:
        raise NotFound("Tenant", str(tenant), str(error)) from None


@HANDLERS.operation("putState")
def put_state(control: ControlBackend, call: Call[None]) -> Reply:
    try:
        snapshot.restore(control.mock, call.body)
    except snapshot.SnapshotError as error:
        raise Conflict(str(error), code="dump-not-restorable") from None
    return _ok(wire.clock(control.clock))


@HANDLERS.operation("getClock")
def get_clock(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok(wire.clock(control.clock))


@HANDLERS.operation("setClock")
def set_clock(control: ControlBackend, call: Call[None]) -> Reply:
    raw = str(call.body["now"])
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise Invalid(
            f"{raw!r} is not a date-time with a UTC offset",
            {"/now": ["expected e.g. 2026-03-01T10:00:00Z"]},
        )
    return _ok(wire.clock(control.set_time(when)))


@HANDLERS.operation("advanceClock")
def advance_clock(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok(wire.clock(control.advance(float(call.body["seconds"]))))


@HANDLERS.operation("freezeClock")
def freeze_clock(control: ControlBackend, call: Call[None]) -> Reply:
    control.clock.freeze()
    return _ok(wire.clock(control.clock))


@HANDLERS.operation("unfreezeClock")
def unfreeze_clock(control: ControlBackend, call: Call[None]) -> Reply:
    control.clock.unfreeze()
    return _ok(wire.clock(control.clock))


@HANDLERS.operation("listWallets")
def list_wallets(control: ControlBackend, call: Call[None]) -> Reply:
    views = control.wallets(call.query.get("provider"), call.query.get("tenant"))
    return _ok({"wallets": [wire.wallet(view) for view in views]})


@HANDLERS.operation("setWallet")
def set_wallet(control: ControlBackend, call: Call[None]) -> Reply:
    path = call.path
    view = control.set_wallet(
        path["provider"], path["tenant"], path["currency"], str(call.body["balance"])
    )
    return _ok(wire.wallet(view))


@HANDLERS.operation("listRules")
def list_rules(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok({"rules": [wire.rule(view) for view in control.rules()]})


@HANDLERS.operation("addRule")
def add_rule(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok(wire.rule(control.add_rule(call.body)), 201)


@HANDLERS.operation("clearRules")
def clear_rules(control: ControlBackend, call: Call[None]) -> Reply:
    control.clear_rules()
    return Reply(204)


@HANDLERS.operation("deleteRule")
def delete_rule(control: ControlBackend, call: Call[None]) -> Reply:
    control.delete_rule(call.path["ruleId"])
    return Reply(204)


@HANDLERS.operation("listOtpCodes")
def list_otp_codes(control: ControlBackend, call: Call[None]) -> Reply:
    phone = call.query.get("phone_number")
    sent = control.otp_codes(phone, int(call.query.get("limit", 100)))
    codes = [wire.otp_code(provider, code) for provider, code in sent]
    return _ok({"phone_number": phone, "codes": codes})


@HANDLERS.operation("listFaults")
def list_faults(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok({"faults": [wire.fault(fault) for fault in control.mock.faults.all()]})


@HANDLERS.operation("addFault")
def add_fault(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok({"faults": [wire.fault(fault) for fault in control.add_faults(call.body)]}, 201)


@HANDLERS.operation("clearFaults")
def clear_faults(control: ControlBackend, call: Call[None]) -> Reply:
    control.mock.faults.clear()
    return Reply(204)


@HANDLERS.operation("deleteFault")
def delete_fault(control: ControlBackend, call: Call[None]) -> Reply:
    control.delete_fault(call.path["faultId"])
    return Reply(204)


@HANDLERS.operation("listJournal")
def list_journal(control: ControlBackend, call: Call[None]) -> Reply:
    q = call.query
    query = Query(
        path=q.get("path"),
        method=q.get("method"),
        provider=q.get("provider"),
        tenant=q.get("tenant"),
        status=q.get("status"),
        request_id=q.get("requestId"),
        operation_id=q.get("operationId"),
    )
    entries = control.journal(query, int(q.get("limit", 100)))
    journal = control.mock.journal
    page: dict[str, Any] = {
        "entries": [wire.journal_entry(entry) for entry in entries],
        "capacity": journal.capacity,
        "recorded": journal.recorded,
        "enabled": journal.enabled,
    }
    if not journal.enabled:
        page["note"] = f"The {JOURNAL_OFF}."
    return _ok(page)


@HANDLERS.operation("clearJournal")
def clear_journal(control: ControlBackend, call: Call[None]) -> Reply:
    control.mock.journal.clear()
    return Reply(204)


@HANDLERS.operation("getJournalEntry")
def get_journal_entry(control: ControlBackend, call: Call[None]) -> Reply:
    return _ok(wire.journal_entry_detail(control.journal_entry(call.path["requestId"])))


@HANDLERS.operation("getCredentials")
def get_credentials(control: ControlBackend, call: Call[None]) -> Reply:
    chosen = call.query.get("provider")
    providers = [p for p in control.mock.providers if chosen in (None, p.name)]
    return _ok(wire.credentials(control.mock.scenario.name, providers))


@HANDLERS.operation("listTenants")
def list_tenants(control: ControlBackend, call: Call[None]) -> Reply:
    found = control.tenants(call.query.get("provider"))
    return _ok({"tenants": [wire.tenant_summary(name, summary) for name, summary in found]})


@HANDLERS.operation("getTenant")
def get_tenant(control: ControlBackend, call: Call[None]) -> Reply:
    provider, tenant = call.path["provider"], call.path["tenant"]
    detail = control.tenant(provider, tenant)
    return _ok(wire.tenant_detail(provider, detail, control.mock.clock.now()))


@HANDLERS.operation("createSession")
def create_session(control: ControlBackend, call: Call[None]) -> Reply:
    """The dashboard's sign-in: the control token for a session cookie (session.py)."""
    token = control.mock.settings.control_token
    if token is None:
        return Reply(204)
    given = str(call.body["token"]).encode()
    if not hmac.compare_digest(given, token.encode()):
        raise Unauthenticated("That is not this mock's control token")
    return Reply(204, headers=(("set-cookie", session.set_cookie(token)),))
