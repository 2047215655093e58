"""The specs are valid OpenAPI, say what they invented, and bind one-to-one to handlers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from mockserver.app import BindingError, check_binding
from mockserver.control.handlers import HANDLERS as CONTROL_HANDLERS
from mockserver.openapi.loader import HTTP_METHODS, load_spec
from mockserver.providers.base import Surface
from mockserver.providers.bird.handlers import HANDLERS as BIRD_HANDLERS
from mockserver.providers.bird.platform.handlers import HANDLERS as BIRD_PLATFORM_HANDLERS
from mockserver.providers.vobiz.handlers import (
    ACCOUNT_HANDLERS as VOBIZ_ACCOUNT_HANDLERS,
    HANDLERS as VOBIZ_HANDLERS,
)
from mockserver.resources import spec_file
from mockserver.ui import PAGES as DASHBOARD_PAGES

SPECS = {
    "bird": "bird-numbers.yaml",
    "bird-platform": "bird-platform.yaml",
    "vobiz": "vobiz-numbers.yaml",
    "vobiz-account": "vobiz-account.yaml",
}
# The control plane's spec is the mock's own: valid and bound, but it cites no provider.
ALL_SPECS = {**SPECS, "control": "control.yaml"}
HANDLERS = {
    "bird": BIRD_HANDLERS,
    "bird-platform": BIRD_PLATFORM_HANDLERS,
    "vobiz": VOBIZ_HANDLERS,
    "vobiz-account": VOBIZ_ACCOUNT_HANDLERS,
    "control": CONTROL_HANDLERS,
}
NOTE_KINDS = ("documented", "mended", "invented", "extension")
# Operations the providers do not document, which the mock adds: each must say so.
NOT_DOCUMENTED = {
    "createNumberStockItemReservation",
    "deleteNumberStockItemReservation",
    "listWhatsAppNumberOrders",
    "getWhatsAppNumberOrder",
    "cancelWhatsAppNumberOrder",
    "getWhatsAppChannel",
}


def document(name: str) -> dict[str, Any]:
    with spec_file(ALL_SPECS[name]).open() as handle:
        return yaml.safe_load(handle)  # type: ignore[no-any-return]


def notes(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-mock-note":
                yield path, value
            else:
                yield from notes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from notes(value, f"{path}/{index}")


@pytest.mark.parametrize("name", ALL_SPECS)
def test_the_spec_is_valid_openapi(name: str) -> None:
    validate(document(name))


@pytest.mark.parametrize("name", SPECS)
def test_every_operation_says_where_it_comes_from(name: str) -> None:
    for path, item in document(name)["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                note = op.get("x-mock-note", "")
                assert note.startswith(NOTE_KINDS), f"{method} {path} has no x-mock-note"
                if op["operationId"] in NOT_DOCUMENTED:
                    assert note.startswith(("invented", "extension")), op["operationId"]


@pytest.mark.parametrize("name", SPECS)
def test_every_note_names_its_kind(name: str) -> None:
    found = list(notes(document(name)))
    assert found
    for path, text in found:
        assert isinstance(text, str), path
        assert text.startswith(NOTE_KINDS), f"{path}: {text!r}"


@pytest.mark.parametrize("name", ALL_SPECS)
def test_operations_and_handlers_match_one_to_one(name: str) -> None:
    spec = load_spec(name, spec_file(ALL_SPECS[name]))
    handled = HANDLERS[name].operation_ids()
    if name == "control":  # the control surface serves the dashboard's pages too
        handled |= DASHBOARD_PAGES.operation_ids()
    assert {op.operation_id for op in spec.operations} == handled


def test_a_missing_handler_or_operation_stops_the_app() -> None:
    spec = load_spec("bird", spec_file(SPECS["bird"]))
    handlers = {op.operation_id: (lambda call: None) for op in spec.operations}
    del handlers["createWorkspaceLongCodeNumbers"]
    handlers["buyEverything"] = lambda call: None
    surface = Surface(
        "bird",
        "bird",
        SPECS["bird"],
        (),
        handlers,  # type: ignore[arg-type]
        lambda h: None,
        lambda e, c: None,  # type: ignore[arg-type,return-value]
        lambda principal, path: None,
    )
    with pytest.raises(BindingError, match="createWorkspaceLongCodeNumbers.*buyEverything"):
        check_binding(spec, surface)


def test_the_issue_operations_are_all_served() -> None:
    bird = {
        op.operation_id: (op.method, op.path)
        for op in load_spec("b", spec_file(SPECS["bird"])).operations
    }
    assert bird["listOrganizationNumbersStockItems"] == (
        "GET",
        "/organizations/{organizationId}/numbers-stock-items",
    )
    assert bird["createWorkspaceLongCodeNumbers"] == (
        "POST",
        "/workspaces/{workspaceId}/numbers-long-code",
    )
    assert bird["createNumberStockItemReservation"][0] == "POST"
    assert bird["deleteNumberStockItemReservation"] == (
        "DELETE",
        "/workspaces/{workspaceId}/numbers-stock-items/{numberStockItemId}/reservation",
    )
    assert bird["cancelWorkspaceEndpointSubscription"] == (
        "POST",
        "/workspaces/{workspaceId}/endpoints/{endpointId}/subscriptions/{subscriptionName}/cancel",
    )
    assert len(bird) == 18  # 13 numbers operations, 5 of webhook subscriptions (issue 17)
    vobiz = load_spec("v", spec_file(SPECS["vobiz"])).operations
    assert len(vobiz) == 12  # getAccountBalance moved to the account API's spec
    account = {
        op.operation_id: (op.method, op.path)
        for op in load_spec("a", spec_file(SPECS["vobiz-account"])).operations
    }
    # Issue 15's table: what the official SDK (vobiz-python) calls, at the SDK's paths.
    base = "/api/v1/account/{authId}"
    assert account == {
        "listInventoryNumbers": ("GET", f"{base}/inventory/numbers"),
        "purchaseNumberFromInventory": ("POST", f"{base}/numbers/purchase-from-inventory"),
        "listAccountNumbers": ("GET", f"{base}/numbers"),
        "releaseNumber": ("DELETE", f"{base}/numbers/{{e164}}"),
        "cancelNumberRelease": ("POST", f"{base}/numbers/{{e164}}/cancel-release"),
        "assignNumberToTrunk": ("POST", f"{base}/numbers/{{e164}}/assign"),
        "unassignNumberFromTrunk": ("DELETE", f"{base}/numbers/{{e164}}/assign"),
        "attachNumberToApplication": ("POST", f"{base}/numbers/{{e164}}/application"),
        "detachNumberFromApplication": ("DELETE", f"{base}/numbers/{{e164}}/application"),
        "retrieveAccount": ("GET", "/api/v1/auth/me"),
        "listAccountTransactions": ("GET", f"{base}/transactions"),
        "getAccountConcurrency": ("GET", f"{base}/concurrency"),
        "getAccountBalance": ("GET", f"{base}/balance/{{currency}}"),
    }


def test_every_account_path_is_served_at_the_docs_capital_spelling_too() -> None:
    """The docs write /api/v1/Account/..., the SDK /api/v1/account/...: each path item of
    the account spec lists the other spelling as an alias (but auth/me, which has none)."""
    for op in load_spec("a", spec_file(SPECS["vobiz-account"])).operations:
        if op.path.startswith("/api/v1/account/"):
            assert op.aliases == (op.path.replace("/account/", "/Account/", 1),), op.operation_id
        else:
            assert op.aliases == (), op.operation_id
