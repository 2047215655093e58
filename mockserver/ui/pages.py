"""The dashboard's pages, one handler per dashboard operation of specs/control.yaml.

Each page is rendered from what the control plane's operations return (api.py), at the
mock's now; its live regions are fetched again by the page's script every second, and
its buttons and forms call the documented /_mock/ API (static/dashboard.js).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.errors import Conflict, MockError, NotFound
from mockserver.exchange import Call, Handlers, Reply
from mockserver.ui import render
from mockserver.ui.api import ControlApi

if TYPE_CHECKING:
    from jinja2 import Environment

PAGES: Handlers[Dashboard, None] = Handlers()
STATIC_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
# The clock's buttons: (label, seconds).
ADVANCES = (("30 s", 30), ("5 min", 300), ("1 h", 3600), ("1 day", 86400))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RULE_FIXED = ("provider", "on", "outcome")


class Dashboard:
    """The pages' shared parts: the control API, the templates, the static files."""

    def __init__(self, api: ControlApi) -> None:
        self.api = api
        self._env: Environment | None = None  # made at the first page (render.environment)
        self._static = {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted((render.HERE / "static").iterdir())
            if path.suffix.lstrip(".") in STATIC_TYPES
        }
        self._operations: list[dict[str, Any]] | None = None

    def page(
        self,
        template: str,
        *,
        status: int = 200,
        health: Mapping[str, Any] | None = None,
        **context: Any,
    ) -> Reply:
        health = health if health is not None else self.api.health()
        if self._env is None:
            self._env = render.environment()
        body = render.html(
            self._env,
            template,
            health=health,
            clock=health["clock"],
            now=health["clock"]["now"],
            advances=ADVANCES,
            **context,
        )
        return Reply(status, body, headers=render.SECURITY_HEADERS, media_type="text/html")

    def static(self, name: str) -> Reply:
        text = self._static.get(name)
        if text is None:
            raise NotFound("File", name, f"The dashboard has no file {name}")
        kind = STATIC_TYPES[name.rsplit(".", 1)[1]]
        return Reply(200, text, headers=(("cache-control", "no-cache"),), media_type=kind)

    def operations(self) -> list[dict[str, Any]]:
        """Every provider operation by served spec, for the fault form (the specs are fixed
        at start-up: read once)."""
        if self._operations is None:
            found = []
            for name in self.api.health()["specs"]:
                if name == "control":
                    continue
                document = self.api.spec(name)
                ops = [
                    {"id": op["operationId"], "method": method.upper(), "path": path}
                    for path, item in document.get("paths", {}).items()
                    for method, op in item.items()
                    if isinstance(op, dict) and "operationId" in op
                ]
                found.append({"spec": name, "operations": sorted(ops, key=lambda o: o["id"])})
            self._operations = found
        return self._operations


def _text(call: Call[None], name: str) -> str:
    return str(call.query.get(name) or "").strip()


@PAGES.operation("getDashboardOverview")
def overview(ui: Dashboard, call: Call[None]) -> Reply:
    health = ui.api.health()
    tenants = ui.api("listTenants")["tenants"]
    rules = ui.api("listRules")["rules"]
    faults = ui.api("listFaults")["faults"]
    codes = ui.api("listOtpCodes", query={"limit": 1000})["codes"]
    journal = ui.api("listJournal", query={"limit": 1})
    providers = []
    for name in health["providers"]:
        mine = [t for t in tenants if t["provider"] == name]
        counts: dict[str, int] = {}
        for tenant in mine:
            for kind, count in tenant["counts"].items():
                counts[kind] = counts.get(kind, 0) + count
        providers.append(
            {
                "name": name,
                "tenants": len(mine),
                "surfaces": sorted({s for t in mine for s in t["surfaces"]}),
                "counts": counts,
                "rules": sum(1 for r in rules if r["provider"] == name),
                "faults": sum(1 for f in faults if f["provider"] in (None, name)),
                "codes": sum(1 for c in codes if c.get("provider") == name),
                "pending": sum(
                    1 for c in codes if c.get("provider") == name and c["status"] == "pending"
                ),
            }
        )
    return ui.page(
        "overview.html",
        health=health,
        active="overview",
        title="Overview",
        providers=providers,
        journal=journal,
    )


@PAGES.operation("getDashboardOtp")
def otp(ui: Dashboard, call: Call[None]) -> Reply:
    phone = _text(call, "phone_number") or None
    found = ui.api("listOtpCodes", query={"phone_number": phone, "limit": 200})
    return ui.page("otp.html", active="otp", title="OTP codes", phone=phone, codes=found["codes"])


@PAGES.operation("getDashboardTenants")
def tenants(ui: Dashboard, call: Call[None]) -> Reply:
    listed = ui.api("listTenants")["tenants"]
    wallets = ui.api("listWallets")["wallets"]
    balances: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for wallet in wallets:
        balances.setdefault((wallet["provider"], wallet["tenant"]), []).append(wallet)
    rows = [{**t, "wallets": balances.get((t["provider"], t["tenant"]), [])} for t in listed]
    health = ui.api.health()
    groups = [
        {"provider": name, "tenants": [r for r in rows if r["provider"] == name]}
        for name in health["providers"]
    ]
    return ui.page("tenants.html", health=health, active="tenants", title="Tenants", groups=groups)


@PAGES.operation("getDashboardTenant")
def tenant(ui: Dashboard, call: Call[None]) -> Reply:
    provider, name = call.path["provider"], call.path["tenant"]
    try:
        detail = ui.api("getTenant", path={"provider": provider, "tenant": name})
    except (NotFound, Conflict) as error:
        return _problem(ui, error, "tenants", f"{provider} tenant {name}")
    return ui.page(
        "tenant.html",
        active="tenants",
        title=f"{provider} tenant {name}",
        tenant=detail,
        sections=[{**s, "columns": _columns(s["records"])} for s in detail["sections"]],
    )


def _columns(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The status and field names the records of a section use, in first-seen order."""
    statuses: dict[str, None] = {}
    fields: dict[str, None] = {}
    for record in records:
        statuses.update(dict.fromkeys(record["statuses"]))
        fields.update(dict.fromkeys(record["fields"]))
    return {"statuses": list(statuses), "fields": list(fields)}


@PAGES.operation("getDashboardJournal")
def journal(ui: Dashboard, call: Call[None]) -> Reply:
    filters = {
        "provider": _text(call, "provider"),
        "tenant": _text(call, "tenant"),
        "status": str(call.query.get("status") or ""),
        "operationId": _text(call, "operationId"),
    }
    query: dict[str, Any] = {k: v for k, v in filters.items() if v}
    query["limit"] = int(call.query.get("limit", 100))
    if "status" in query:
        query["status"] = int(query["status"])
    problem = None
    try:
        entries = ui.api("listJournal", query=query)
    except MockError as error:  # a tenant name that two tenants use (409)
        problem = str(error)
        entries = {"entries": [], "recorded": 0, "capacity": 0}
    return ui.page(
        "journal.html",
        active="journal",
        title="Journal",
        filters=filters,
        journal=entries,
        problem=problem,
        operations=ui.operations(),
    )


@PAGES.operation("getDashboardJournalEntry")
def journal_entry(ui: Dashboard, call: Call[None]) -> Reply:
    request_id = call.path["requestId"]
    try:
        entry = ui.api("getJournalEntry", path={"requestId": request_id})
    except NotFound as error:
        return _problem(ui, error, "journal", f"Request {request_id}")
    return ui.page("entry.html", active="journal", title=f"Request {request_id}", entry=entry)


@PAGES.operation("getDashboardRules")
def rules(ui: Dashboard, call: Call[None]) -> Reply:
    control = ui.api.spec("control")
    schemas = control["components"]["schemas"]
    profiles = schemas["FaultInput"]["properties"].get("profile", {}).get("enum", [])
    return ui.page(
        "rules.html",
        active="rules",
        title="Rules and faults",
        rules=ui.api("listRules")["rules"],
        faults=ui.api("listFaults")["faults"],
        kinds=rule_kinds(control),
        profiles=profiles,
        operations=ui.operations(),
        methods=METHODS,
    )


@PAGES.operation("getDashboardWebhooks")
def webhooks(ui: Dashboard, call: Call[None]) -> Reply:
    filters = {
        "provider": _text(call, "provider"),
        "tenant": _text(call, "tenant"),
        "subscription": _text(call, "subscription"),
        "event": _text(call, "event"),
        "outcome": _text(call, "outcome"),
    }
    query: dict[str, Any] = {k: v for k, v in filters.items() if v}
    query["limit"] = int(call.query.get("limit", 100))
    summary = ui.api("getWebhooks")
    control = ui.api.spec("control")
    outcomes = control["components"]["schemas"]["DeliveryOutcome"]["enum"]
    return ui.page(
        "webhooks.html",
        active="webhooks",
        title="Webhooks",
        filters=filters,
        outcomes=outcomes,
        summary=summary,
        deliveries=ui.api("listDeliveries", query=query)["deliveries"],
    )


@PAGES.operation("getDashboardLogin")
def login(ui: Dashboard, call: Call[None]) -> Reply:
    target = _text(call, "next") or "/_mock/ui/"
    return ui.page("login.html", active="login", title="Sign in", target=target)


@PAGES.operation("getDashboardStatic")
def static(ui: Dashboard, call: Call[None]) -> Reply:
    return ui.static(call.path["file"])


def _problem(ui: Dashboard, error: MockError, active: str, what: str) -> Reply:
    status = 409 if isinstance(error, Conflict) else 404
    return ui.page(
        "problem.html", status=status, active=active, title=what, what=what, detail=str(error)
    )


# --- the rule form, from the control spec's RuleInput (every provider's x-mock-rules) -------


def rule_kinds(control: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per outcome rule the mock takes: its fixed provider, event and outcome,
    and a field per parameter, typed as the spec declares it."""
    kinds = []
    for index, variant in enumerate(control["components"]["schemas"]["RuleInput"]["oneOf"]):
        props = variant.get("properties", {})
        if not all(name in props for name in RULE_FIXED):
            continue
        fixed = {name: props[name]["enum"][0] for name in RULE_FIXED}
        required = set(variant.get("required", ()))
        params = [
            _field(f"rule-{index}-{name}", name, _resolve(control, schema), name in required)
            for name, schema in props.items()
            if name not in RULE_FIXED
        ]
        kinds.append(
            {
                "id": f"rule-{index}",
                "label": f"{fixed['provider']}: {fixed['on']} → {fixed['outcome']}",
                "description": variant.get("description", ""),
                "fixed": fixed,
                "params": params,
            }
        )
    return kinds


def _resolve(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _field(html_id: str, name: str, schema: Mapping[str, Any], required: bool) -> dict[str, Any]:
    kind = schema.get("type", "string")
    return {
        "id": html_id,
        "name": name,
        "type": kind if kind in ("number", "integer") else "string",
        "enum": schema.get("enum"),
        "pattern": schema.get("pattern"),
        "minimum": schema.get("minimum"),
        "maximum": schema.get("maximum"),
        "required": required,
        "description": schema.get("description", ""),
        "scope": name in ("workspaceId", "accountId"),
    }
