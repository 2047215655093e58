"""The router: a path item's `x-mock-path-aliases` are more spellings of its path, each
routed to the same operation with the same path parameters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.errors import MethodNotAllowed, RouteNotFound
from mockserver.openapi import routing
from mockserver.openapi.loader import load_spec
from mockserver.openapi.routing import Router
from mockserver.resources import spec_file

RESPONSES = {"200": {"description": "ok"}}


def spec_with(paths: dict[str, Any], tmp_path: Path) -> Path:
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def account_paths() -> dict[str, Any]:
    return {
        "/v1/account/{authId}/numbers/{e164}": {
            "x-mock-path-aliases": ["/v1/Account/{authId}/numbers/{e164}"],
            "get": {"operationId": "getNumber", "responses": RESPONSES},
            "delete": {"operationId": "releaseNumber", "responses": RESPONSES},
        },
        "/v1/account/{authId}/numbers/search": {
            "get": {"operationId": "searchNumbers", "responses": RESPONSES},
        },
    }


def test_an_alias_reaches_the_operation_with_the_same_parameters(tmp_path: Path) -> None:
    spec = load_spec("t", spec_with(account_paths(), tmp_path))
    router = Router(spec.operations)
    canonical, params = router.match("DELETE", "/v1/account/MA_ACME0001/numbers/+919876543210")
    aliased, alias_params = router.match("DELETE", "/v1/Account/MA_ACME0001/numbers/+919876543210")
    assert aliased is canonical  # the same Operation: validators key it by its spec path
    assert aliased.path == "/v1/account/{authId}/numbers/{e164}"
    assert alias_params == params == {"authId": "MA_ACME0001", "e164": "+919876543210"}


def test_an_alias_keeps_literal_paths_first_and_other_spellings_out(tmp_path: Path) -> None:
    router = Router(load_spec("t", spec_with(account_paths(), tmp_path)).operations)
    assert router.match("GET", "/v1/account/MA_A/numbers/search")[0].operation_id == (
        "searchNumbers"
    )
    # Only the listed spellings: no case-insensitive matching behind them.
    with pytest.raises(RouteNotFound):
        router.match("GET", "/v1/ACCOUNT/MA_A/numbers/+1")
    with pytest.raises(MethodNotAllowed) as refused:
        router.match("POST", "/v1/Account/MA_A/numbers/+1")
    assert refused.value.allowed == ("DELETE", "GET", "HEAD")


@pytest.mark.parametrize(
    ("alias", "problem"),
    [
        ("/v1/Account/{authId}/numbers/{number}", "other path parameters"),
        ("/v1/Account/{authId}/numbers", "other path parameters"),
        ("v1/Account/{authId}/numbers/{e164}", "not a path"),
        ("/v1/account/{authId}/numbers/{e164}", "repeats the path"),
    ],
)
def test_an_alias_that_would_read_other_parameters_is_refused_at_load(
    tmp_path: Path, alias: str, problem: str
) -> None:
    paths = account_paths()
    paths["/v1/account/{authId}/numbers/{e164}"]["x-mock-path-aliases"] = [alias]
    with pytest.raises(ValueError, match=problem):
        load_spec("t", spec_with(paths, tmp_path))


def _linear(router: Router, method: str, path: str) -> Any:
    """What trying every route in order answers (the router tries only those that could
    match): an operation and parameters, or the error's type."""
    for route in router._routes:
        found = route.pattern.match(path)
        if found is None:
            continue
        op = route.operations.get(method) or (
            route.operations.get("GET") if method == "HEAD" else None
        )
        return MethodNotAllowed if op is None else (op, found.groupdict())
    return RouteNotFound


def _answer(router: Router, method: str, path: str) -> Any:
    try:
        return router.match(method, path)
    except (MethodNotAllowed, RouteNotFound) as error:
        return type(error)


@pytest.mark.parametrize(
    "name", ["bird-numbers", "bird-platform", "vobiz-numbers", "vobiz-account", "control"]
)
def test_trying_only_the_routes_that_could_match_answers_as_trying_all(name: str) -> None:
    spec = load_spec(name, spec_file(f"{name}.yaml"))
    router = Router(spec.operations)
    paths = {"/", "", "/nowhere", "//", "/x/y/z/w/v/u"}
    for op in spec.operations:
        for template in (op.path, *op.aliases):
            for filler in ("x1", "search", "{x}", "a b"):
                path = _PARAMETER.sub(filler, template)
                paths |= {path, path + "/", path.rsplit("/", 1)[0], path.replace("/", "//", 1)}
    for path in sorted(paths):
        for method in ("GET", "HEAD", "POST", "DELETE", "PATCH"):
            assert _answer(router, method, path) == _linear(router, method, path), (method, path)


_PARAMETER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def test_a_match_is_remembered_bounded_with_parameters_the_callers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routing, "REMEMBERED_MATCHES", 3)
    router = Router(load_spec("t", spec_with(account_paths(), tmp_path)).operations)
    op, params = router.match("GET", "/v1/account/A1/numbers/+15550100")
    params["authId"] = "changed"  # the caller's copy: the next match is not changed
    again, params_again = router.match("GET", "/v1/account/A1/numbers/+15550100")
    assert (again, params_again) == (op, {"authId": "A1", "e164": "+15550100"})
    for index in range(10):
        found = router.match("DELETE", f"/v1/account/A{index}/numbers/+1555")
        assert found[1]["authId"] == f"A{index}"
        assert len(router._found) <= 3
    # What fails is not remembered: it fails each time.
    for _ in range(2):
        with pytest.raises(MethodNotAllowed):
            router.match("POST", "/v1/account/A1/numbers/+15550100")
    router._found.clear()
    long = "/v1/account/" + "A" * routing.REMEMBERED_PATH + "/numbers/+1555"
    assert router.match("GET", long)[1]["authId"] == "A" * routing.REMEMBERED_PATH
    assert router._found == {}
