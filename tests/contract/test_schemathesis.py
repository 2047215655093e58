"""schemathesis against a running `mockserver`, the way the README tells users to run it.

1. The documented command, `schemathesis run <mock>/_mock/specs/<spec>.json`, for each of the
   three specs: every check, positive and negative data, all four phases (examples,
   coverage, fuzzing, stateful), the repository's schemathesis.toml and its hooks
   (tests/support/schemathesis_hooks.py). It must exit 0: zero failures, zero errors.
2. The specs' own OpenAPI links, walked end to end along the provider lifecycles they were
   written for, each response put through schemathesis' checks. schemathesis' stateful
   phase picks its starting operations itself, and it never starts a Bird chain at the
   stock search (an operation with a path parameter is not a start for it), so these walks
   make sure every link of every spec resolves and leads where it says.
3. schemathesis' warnings about operations that never served positive data (only 401/403,
   only 404, only 400/422) fail the run, unless WARNED lists the operation with why. The
   hooks (tests/support/schemathesis_hooks.py) start the stateful chains where schemathesis
   cannot: Bird's search -> reserve -> buy -> get number -> subscriptions -> cancel, the
   Vobiz account API's inventory -> purchase, and Vobiz's BYON confirm with the code sent.

Size: cases per operation follow the Hypothesis profile (conftest's `ci` gives 10; `dev`
gives 60); MOCKSERVER_SCHEMATHESIS_EXAMPLES overrides it, e.g. for the large run:
    MOCKSERVER_SCHEMATHESIS_EXAMPLES=400 python -m pytest tests/contract/test_schemathesis.py -s
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockserver.resources import fixture_file, spec_file

pytestmark = [pytest.mark.socket, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "schemathesis.toml"
SPECS = {
    "bird": "bird-numbers.yaml",
    "bird-platform": "bird-platform.yaml",
    "vobiz": "vobiz-numbers.yaml",
    "vobiz-account": "vobiz-account.yaml",
    "control": "control.yaml",
}
EXAMPLES = int(
    os.environ.get("MOCKSERVER_SCHEMATHESIS_EXAMPLES") or max(5, settings().max_examples // 5)
)
SEED = os.environ.get("MOCKSERVER_SCHEMATHESIS_SEED", "20261123")
READY = re.compile(r"^numbers-mock \S+ ready at (http://127\.0\.0\.1:\d+) ")


# The schemathesis warnings that mean an operation never served positive data, and those a
# run may still raise, by spec, with why. Anything else fails the run.
GATED = ("missing_auth", "missing_test_data", "validation_mismatch")
_PLATFORM_DEPTH = (
    "reached only along links (search -> one available number, search -> order -> number "
    "-> update, release; the WhatsApp and voice numbers from their lists; create webhook -> "
    "rotate its secret); with a dozen roots and ten scenarios the stateful phase does not get "
    "that deep in every run (the link walks below walk each link)"
)
_WEBHOOK_URLS = (
    "an endpoint's URL must be https to a public host or http to a local one (loopback, "
    "private, single-label, the mock's inbox), a filter names a mailbox the mock does not have "
    "and a connector destination is not emulated: rules the schema cannot state, refused 422 "
    "(documented refusals in the hooks), so schemathesis' random bodies rarely pass"
)
_ACCOUNT_DEPTH = (
    "reached only along links from a purchase (inventory -> purchase -> assign / attach -> "
    "unassign / detach -> release -> cancel-release): every operation is a fallback root "
    "for schemathesis (none is a POST without a path id), so ten scenarios spread over nine "
    "roots, most with a random e164 (the link walks below walk each link)"
)
_PLATFORM_CURSORS = (
    "most positive list requests carry a cursor the server never issued (starting_after, "
    "ending_before): 422 E01012 InvalidCursor, a documented refusal (RULES); the rest are "
    "answered 200"
)
_PLATFORM_IDEMPOTENCY = (
    "reached on a real number along the order links (the first number of the computed stock "
    "orders at once): schemathesis sends the same generated Idempotency-Key with different "
    "requests, refused 409 E01005 'This Idempotency-Key was used for a different request', a "
    "documented refusal that it counts as a rejection"
)
WARNED: dict[str, dict[tuple[str, str], str]] = {
    "bird-platform": {
        **{
            ("validation_mismatch", label): _PLATFORM_IDEMPOTENCY
            for label in (
                "DELETE /v1/numbers/{number_id}",
                "PATCH /v1/numbers/{number_id}",
                "PATCH /v1/voice/numbers/{number_id}",
            )
        },
        ("validation_mismatch", "GET /v1/whatsapp/numbers/{number_id}/events"): _PLATFORM_CURSORS,
        ("validation_mismatch", "GET /v1/voice/numbers/{number_id}"): (
            "a voice number id that exists comes only along the voice links, so most of its "
            "requests are ids that break the vnu_ pattern, refused 422 E01001 as documented"
        ),
        **{
            ("missing_test_data", label): _PLATFORM_DEPTH
            for label in (
                "DELETE /v1/numbers/{number_id}",
                "PATCH /v1/numbers/{number_id}",
                "GET /v1/voice/numbers/{number_id}",
                "PATCH /v1/voice/numbers/{number_id}",
                "GET /v1/whatsapp/numbers/{number_id}",
                "GET /v1/whatsapp/numbers/{number_id}/events",
                "GET /v1/numbers/available/{number}",
                "POST /v1/webhooks/{webhook_id}/rotate-secret",
            )
        },
        ("validation_mismatch", "POST /v1/webhooks"): _WEBHOOK_URLS,
        ("validation_mismatch", "PATCH /v1/webhooks/{webhook_id}"): _WEBHOOK_URLS,
        **{
            ("validation_mismatch", f"GET /v1/{path}"): _PLATFORM_CURSORS
            for path in (
                "numbers",
                "numbers/available",
                "numbers/orders",
                "sms/senders",
                "voice/numbers",
                "whatsapp/numbers",
                "webhooks",
            )
        },
    },
    "bird": {
        (
            "validation_mismatch",
            "PATCH /organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions/"
            "{webhookSubscriptionId}",
        ): (
            "an update names a subscription of the workspace (ids are the server's; the link "
            "from its creation is walked below), keeps the event its service has (numbers: one "
            "event) and a URL https to a public host or http to a local one: rules the schema "
            "cannot state, refused 404 or 422 (documented refusals in the hooks)"
        ),
    },
    "vobiz-account": {
        ("missing_test_data", f"{method} /api/v1/account/{{authId}}/numbers/{{e164}}{tail}"): (
            _ACCOUNT_DEPTH
        )
        for method, tail in (
            ("DELETE", ""),
            ("DELETE", "/application"),
            ("POST", "/application"),
            ("DELETE", "/assign"),
            ("POST", "/cancel-release"),
        )
    }
    | {
        ("validation_mismatch", "POST /api/v1/account/{authId}/numbers/{e164}/cancel-release"): (
            "a number is pending release only after a release along the purchase chain; any "
            "other is refused 400 'number is not pending release', a documented refusal (RULES) "
            "that schemathesis counts as a validation error"
        ),
        ("validation_mismatch", "POST /api/v1/account/{authId}/numbers/{e164}/assign"): (
            "a number the chain already assigned is refused 400 'This number is already "
            "assigned to a trunk.', a documented refusal (RULES) that schemathesis counts as a "
            "validation error"
        ),
    },
    "control": {
        ("missing_test_data", "DELETE /_mock/rules/{ruleId}"): (
            "a rule id is the server's, and the control spec has no links to carry one"
        ),
        ("missing_test_data", "GET /_mock/journal/{requestId}"): (
            "the journal records provider requests only, and a run of the control spec makes "
            "none: there is no request id to read"
        ),
        ("missing_test_data", "GET /_mock/ui/journal/{requestId}"): (
            "the dashboard's view of a journal entry: as GET /_mock/journal/{requestId}"
        ),
        **{
            ("missing_test_data", label): (
                "a delivery id is the server's, and a delivery needs a provider's subscription "
                "and a change of state: a run of the control spec makes neither"
            )
            for label in (
                "GET /_mock/webhooks/deliveries/{deliveryId}",
                "POST /_mock/webhooks/deliveries/{deliveryId}/redeliver",
            )
        },
        ("missing_test_data", "POST /_mock/webhooks/events"): (
            "an event goes to a tenant of the Bird platform API, which exists once its API key "
            "has made a request: a run of the control spec makes none (404 not-found)"
        ),
    },
}


def unexplained_warnings(name: str, warnings: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The gated warnings of a run that WARNED does not explain."""
    allowed = WARNED.get(name, {})
    raised = [(kind, label) for kind in GATED for label in warnings.get(kind, [])]
    return [warning for warning in raised if warning not in allowed]


@pytest.fixture
def mock_url() -> Iterator[str]:
    """A fresh `mockserver` process on a free port, as a CI sidecar would run it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        ready = READY.match(line)
        assert ready, f"no readiness line: {line!r}"
        yield ready.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert "Traceback" not in err, err


def _schemathesis() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    assert found, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    return found


@pytest.mark.parametrize("name", list(SPECS))
def test_the_documented_schemathesis_run_passes(name: str, mock_url: str, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    command = [
        _schemathesis(),
        "run",
        f"{mock_url}/_mock/specs/{name}.json",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report_path),
    ]
    # From the repository root, where schemathesis finds schemathesis.toml (as documented).
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    report = json.loads(report_path.read_text())
    # Shown with -s: the figures a large documented run reports.
    sys.stdout.write(
        f"\n{name}: {report['test_cases']['generated']} cases, "
        f"{report['test_cases']['with_failures']} failing, {report['filtered']} documented "
        f"refusals filtered, {report['running_time']:.1f}s ({' '.join(command[1:])})\n"
    )
    assert report["failures"] == []
    assert report["errors"] == []
    assert unexplained_warnings(name, report["warnings"]) == [], run.stdout[-6000:]
    assert report["operations"]["tested"] == report["operations"]["total"]
    phases = {phase: info["status"] for phase, info in report["phases"].items()}
    # The control spec has no examples to replay; every other phase runs and passes.
    expected = {"examples": "skip" if name == "control" else "success"}
    assert phases == {"coverage": "success", "fuzzing": "success", "stateful": "success"} | expected
    # At least ten cases an operation: schemathesis stops early on small input spaces, so a
    # large --max-examples is a ceiling, not a count.
    floor = min(EXAMPLES, 10) * report["operations"]["total"]
    assert report["test_cases"]["generated"] >= floor
    if name == "control":
        # Fuzzing the control plane moves the clock as far as it may go, adds rules and
        # faults and restores odd dumps: one reset gives back a mock that serves as new.
        _after_a_reset_the_providers_serve(mock_url)


def _after_a_reset_the_providers_serve(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.post("/_mock/reset").status_code == 200
        credentials = yaml.safe_load(fixture_file("default.yaml").read_text())
        bird = credentials["bird"]["tenants"][0]
        key = {"Authorization": f"AccessKey {bird['accessKeys'][0]}"}
        stock = client.get(
            f"/organizations/{bird['organizationId']}/numbers-stock-items",
            params={"countryCodes": "US", "limit": 1},
            headers=key,
        )
        assert stock.status_code == 200, stock.text
        item = stock.json()["results"][0]["id"]
        workspace = bird["workspaces"][0]["id"]
        bought = client.post(
            f"/workspaces/{workspace}/numbers-long-code",
            json={"numberStockItemIds": [item]},
            headers=key,
        )
        assert bought.status_code == 201, bought.text
        account = credentials["vobiz"]["accounts"][0]
        vobiz = {"X-Auth-ID": account["authId"], "X-Auth-Token": account["authTokens"][0]}
        order = {"country_code": "IN", "region": "KA", "number_type": "local", "currency": "INR"}
        placed = client.post("/api/v1/messaging/numbers/whatsapp/orders", json=order, headers=vobiz)
        assert placed.status_code == 201, placed.text
        clock = client.get("/_mock/clock").json()
        assert clock["now"] < "2100", clock  # the wall clock again, whatever the fuzzing set


# --- The specs' links, walked ----------------------------------------------------------

# Bodies and parameters for the first step of each walk; the links supply the rest.
WAVE = {
    "waba_id": "102290129340398",
    "phone_number_id": "106540352242922",
    "phone_number": "+14155550123",
    "number_onboarding_mode": "bring_your_own",
    "number_provider": "twilio",
    "access_token": "EAAGm0PX4ZCpsBAKZAZBmock",
    "display_name": "Acme Support",
}
ORDER = {"country_code": "IN", "region": "MH", "number_type": "local", "currency": "INR"}
SEARCH = {"countryCodes": ["NL"], "limit": 1}
VERIFY = {"phone_number": WAVE["phone_number"], "verification_method": "sms"}
# The Vobiz account API's chains start at the inventory of IN numbers (the default scenario's
# MA_ACME0001 can pay for the five numbers they buy and their release fees).
INVENTORY = {"country": "IN", "per_page": 1}

# The Bird platform's chains start at a search of GB mobile numbers (stocked by the default
# scenario, and about 70% WhatsApp-capable, so the numbers ordered give a WhatsApp number).
MOBILES = {"country_code": "GB", "number_type": "mobile", "limit": 1}

# (starting operation, its path parameters, query, body), then the links to follow in turn.
# Webhooks (issue 17): a subscription, a platform endpoint, and an event of the platform's
# catalog for the control plane's walk (its tenant gets an endpoint on the mock's inbox first).
HOOK = {"service": "numbers", "event": "endpoint.updated", "url": "https://example.com/hooks"}
ENDPOINT = {"events": ["sms.received"], "url": "https://example.com/webhooks/bird"}
WALK_KEY = "bk_eu1_schemathesis_walk_key_00000001"
EVENT = {"provider": "bird", "tenant": WALK_KEY, "type": "sms.received", "data": {"text": "hi"}}

WALKS: dict[str, list[tuple[tuple[str, dict[str, Any], dict[str, Any], Any], list[str]]]] = {
    "bird": [
        (
            ("listOrganizationNumbersStockItems", {}, SEARCH, None),
            ["ReserveFoundItem", "ReleaseReservation"],
        ),
        (
            ("listOrganizationNumbersStockItems", {}, SEARCH, None),
            ["ReserveFoundItem", "BuyReservedItem", "GetBoughtNumber", "CancelNumberSubscription"],
        ),
        (
            ("listOrganizationNumbersStockItems", {}, SEARCH, None),
            [
                "ReserveFoundItem",
                "BuyReservedItem",
                "GetBoughtNumber",
                "ListNumberSubscriptions",
                "GetListedSubscription",
            ],
        ),
        (
            ("listWorkspaceAlphaNumbers", {}, {}, None),
            ["GetListedAlphaNumber", "ListAlphaSubscriptions", "CancelListedSubscription"],
        ),
        (
            ("createWebhookSubscription", {}, {}, HOOK),
            [
                "GetCreatedWebhookSubscription",
                "UpdateFetchedWebhookSubscription",
                "DeleteUpdatedWebhookSubscription",
            ],
        ),
        (("createWebhookSubscription", {}, {}, HOOK), ["UpdateCreatedWebhookSubscription"]),
        (
            ("listWebhookSubscriptions", {}, {}, None),
            ["GetListedWebhookSubscription", "DeleteFetchedWebhookSubscription"],
        ),
    ],
    "bird-platform": [
        (
            ("listAvailableNumbers", {}, MOBILES, None),
            ["OrderFoundNumber", "GetOrderedNumber", "CancelFetchedNumber"],
        ),
        (
            ("listAvailableNumbers", {}, MOBILES, None),
            ["OrderFoundNumber", "ListOrderedNumberSender", "GetListedSender"],
        ),
        (  # search -> order -> number -> update -> release
            ("listAvailableNumbers", {}, MOBILES, None),
            [
                "GetFoundNumber",
                "OrderCheckedNumber",
                "GetPlacedOrder",
                "GetOrderedNumber",
                "UpdateFetchedNumber",
                "ReleaseUpdatedNumber",
            ],
        ),
        (
            ("listNumberOrders", {}, {"status": "completed"}, None),
            ["GetListedOrder", "GetOrderedNumber"],
        ),
        (("listNumberOrders", {}, {}, None), ["GetListedOrder", "ListOrderedNumberSender"]),
        (("listNumbers", {}, {}, None), ["GetListedNumber", "ReleaseFetchedNumber"]),
        (
            ("listWhatsAppNumbers", {}, {}, None),
            ["GetListedWhatsAppNumber", "ListFetchedWhatsAppNumberEvents"],
        ),
        (("listWhatsAppNumbers", {}, {}, None), ["ListListedWhatsAppNumberEvents"]),
        (
            ("listVoiceNumbers", {}, {}, None),
            ["GetListedVoiceNumber", "UpdateFetchedVoiceNumber"],
        ),
        (("createSmsSender", {}, {}, {"type": "alpha", "sender": "ACME"}), ["GetCreatedSender"]),
        (
            ("createWebhook", {}, {}, ENDPOINT),
            ["GetCreatedWebhook", "UpdateFetchedWebhook", "DeleteUpdatedWebhook"],
        ),
        (("createWebhook", {}, {}, ENDPOINT), ["TestCreatedWebhook"]),
        (("createWebhook", {}, {}, ENDPOINT), ["RotateCreatedWebhookSecret"]),
        (("listWebhooks", {}, {}, None), ["GetListedWebhook", "ListFetchedWebhookAttempts"]),
        (("listWebhooks", {}, {}, None), ["GetListedWebhook", "ReplayFetchedWebhook"]),
    ],
    "vobiz": [
        (("createWhatsAppNumberOrder", {}, {}, ORDER), ["GetCreatedOrder", "CancelFetchedOrder"]),
        (("createWhatsAppNumberOrder", {}, {}, ORDER), ["CancelCreatedOrder"]),
        (
            ("verifyByonNumber", {}, {}, VERIFY),
            ["ConfirmVerifiedNumber"],
        ),
        (("createWhatsAppChannel", {}, {}, WAVE), ["DeleteCreatedChannel"]),
        (("createWhatsAppChannel", {}, {}, WAVE), ["GetCreatedChannel", "DeleteFetchedChannel"]),
        (("createWhatsAppChannel", {}, {}, WAVE), ["GetCreatedChannel", "UpdateFetchedChannel"]),
    ],
    "vobiz-account": [
        # First: its list holds one number, the one it bought; the release is cancelled, so
        # the next walk finds that number active again at the head of the list.
        (
            ("listInventoryNumbers", {}, INVENTORY, None),
            [
                "PurchaseListedNumber",
                "ListAfterPurchase",
                "AssignListedNumber",
                "ReleaseAssignedNumber",
                "CancelReleasedNumber",
            ],
        ),
        (
            ("listAccountNumbers", {}, {}, None),
            ["ReleaseListedNumber", "CancelReleasedNumber", "ReleaseRestoredNumber"],
        ),
        (
            ("listInventoryNumbers", {}, INVENTORY, None),
            [
                "PurchaseListedNumber",
                "AssignPurchasedNumber",
                "UnassignAssignedNumber",
                "ReleaseUnassignedNumber",
            ],
        ),
        (
            ("listInventoryNumbers", {}, INVENTORY, None),
            [
                "PurchaseListedNumber",
                "AttachPurchasedNumber",
                "DetachAttachedNumber",
                "ReleaseDetachedNumber",
            ],
        ),
        (
            ("listInventoryNumbers", {}, INVENTORY, None),
            ["PurchaseListedNumber", "ReleasePurchasedNumber"],
        ),
    ],
    "control": [
        (
            ("addRule", {}, {}, {"provider": "bird", "on": "order", "outcome": "rejected"}),
            ["DeleteAddedRule"],
        ),
        (("addFault", {}, {}, {"provider": "bird", "status": 503}), ["DeleteAddedFault"]),
        # The test gave a platform tenant an endpoint on the inbox: an event, then it is sent.
        (("emitWebhookEvent", {}, {}, EVENT), []),
        (("drainWebhooks", {}, {}, {"timeout": 10}), []),
        (("listDeliveries", {}, {}, None), ["GetListedDelivery", "RedeliverFetchedDelivery"]),
    ],
}
# Bodies a link leaves to the caller (it names only the resource).
LINK_BODIES = {
    "UpdateCreatedWebhookSubscription": {"url": "https://example.com/webhooks/renamed"},
    "UpdateFetchedWebhookSubscription": {"signingKey": "another-signing-key"},
    "UpdateFetchedWebhook": {"description": "Orders"},
    "UpdateFetchedChannel": {"display_name": "Acme Support (renamed)"},
    "UpdateFetchedNumber": {"name": "Support line", "reference": "STORE-042"},
    "UpdateFetchedVoiceNumber": {"name": "Front desk"},
}


def _document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec_file(SPECS[name]).read_text())
    return document


def _project(title: str) -> dict[str, Any]:
    """schemathesis.toml's project for this spec: its credentials and fixed path ids, one
    source for the CLI run and these walks."""
    projects = tomllib.loads(CONFIG.read_text()).get("project", [])
    found: dict[str, Any] = next((p for p in projects if p["title"] == title), {})
    return found


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.removeprefix("/").split("/") if pointer else []:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def _evaluate(expression: Any, case: Any, response: httpx.Response) -> Any:
    """The OpenAPI runtime expressions the specs' links use; anything else is a literal."""
    if isinstance(expression, dict):
        return {key: _evaluate(value, case, response) for key, value in expression.items()}
    if isinstance(expression, list):
        return [_evaluate(value, case, response) for value in expression]
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    if expression.startswith("$response.body#"):
        return _pointer(response.json(), expression.partition("#")[2])
    if expression.startswith("$request.body#"):
        return _pointer(case.body, expression.partition("#")[2])
    if expression.startswith("$request.path."):
        return case.path_parameters[expression.removeprefix("$request.path.")]
    raise AssertionError(f"a link uses an expression this walk does not know: {expression}")


class Walker:
    """Calls operations of one spec on the live mock and checks each response with every
    schemathesis check; follows links by evaluating them on the previous exchange."""

    def __init__(self, name: str, url: str) -> None:
        self.document = _document(name)
        project = _project(self.document["info"]["title"])
        self.headers: dict[str, str] = project.get("headers", {})
        self.fixed = {k.removeprefix("path."): v for k, v in project.get("parameters", {}).items()}
        self.schema = schemathesis.openapi.from_url(
            f"{url}/_mock/specs/{name}.json", config=SchemathesisConfig.from_path(CONFIG)
        )
        self.followed: set[str] = set()

    def call(
        self, operation_id: str, path: dict[str, Any], query: dict[str, Any], body: Any
    ) -> tuple[Any, httpx.Response]:
        operation = self.schema.find_operation_by_id(operation_id)
        wanted = {p.name for p in operation.path_parameters}
        path = {k: v for k, v in self.fixed.items() if k in wanted} | path
        options: dict[str, Any] = {"path_parameters": path, "query": query}
        if body is not None:
            options["body"] = body
            options["media_type"] = "application/json"
        case = operation.Case(**options)
        response = case.call(headers=self.headers)
        case.validate_response(response)  # every check the config enables: all of them
        assert 200 <= response.status_code < 300, (operation_id, response.text)
        return case, response

    def follow(self, link_name: str, case: Any, response: httpx.Response) -> tuple[Any, Any]:
        source = case.operation.definition.raw
        declared = source["responses"][str(response.status_code)].get("links", {})
        assert link_name in declared, f"{source['operationId']} has no link {link_name}"
        link = self.document["components"]["links"][link_name]
        values = _evaluate(link.get("parameters", {}), case, response)
        target = self.schema.find_operation_by_id(link["operationId"])
        in_path = {p.name for p in target.path_parameters}
        body = (
            _evaluate(link["requestBody"], case, response)
            if "requestBody" in link
            else LINK_BODIES.get(link_name)
        )
        self.followed.add(link_name)
        return self.call(
            link["operationId"],
            {k: v for k, v in values.items() if k in in_path},
            {k: v for k, v in values.items() if k not in in_path},
            body,
        )


@pytest.mark.parametrize("name", list(SPECS))
def test_every_link_of_the_spec_leads_where_it_says(name: str, mock_url: str) -> None:
    if name == "vobiz":
        # The code the next verification "sends" is fixed, so the confirm link can succeed.
        rule = {"provider": "vobiz", "on": "otp", "outcome": "code", "code": "000000"}
        assert httpx.post(f"{mock_url}/_mock/rules", json=rule).status_code == 201
    if name == "control":
        endpoint = {"events": ["sms.received"], "url": "http://localhost/_mock/inbox/walk"}
        headers = {"Authorization": f"Bearer {WALK_KEY}"}
        created = httpx.post(f"{mock_url}/v1/webhooks", json=endpoint, headers=headers)
        assert created.status_code == 201, created.text
    walker = Walker(name, mock_url)
    for (operation_id, path, query, body), links in WALKS[name]:
        case, response = walker.call(operation_id, path, query, body)
        for link_name in links:
            case, response = walker.follow(link_name, case, response)
    assert walker.followed == set(walker.document["components"]["links"])


def test_the_readme_shows_the_command_this_file_runs() -> None:
    """The README's one-liner for each spec is the command the first test runs (with only
    the port of the documented default, and no sizing flags)."""
    readme = (ROOT / "README.md").read_text()
    for name in SPECS:
        assert f"schemathesis run http://localhost:8080/_mock/specs/{name}.json\n" in readme
    assert "tests/support/schemathesis_hooks.py" in readme
    assert 'hooks = "tests/support/schemathesis_hooks.py"' in CONFIG.read_text()
