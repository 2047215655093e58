"""/_mock/ endpoints. They are the mock's own API: JSON in and out, no provider auth."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.openapi.edge import CONTROL_PREFIX

if TYPE_CHECKING:
    from mockserver.app import MockState

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def routes() -> list[Route]:
    return [
        Route(f"{CONTROL_PREFIX}/health", health, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/specs/{{name}}.{{fmt}}", served_spec, methods=["GET"]),
    ]


def _state(request: Request) -> MockState:
    return request.app.state.mock  # type: ignore[no-any-return]


async def health(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "status": "ok",
            "version": state.version,
            "scenario": state.scenario.name,
            "seed": state.settings.seed,
            "time": state.clock.now().isoformat(),
            "providers": [provider.name for provider in state.providers],
            "specs": {
                provider.name: f"{CONTROL_PREFIX}/specs/{provider.name}.json"
                for provider in state.providers
            },
        }
    )


async def served_spec(request: Request) -> Response:
    """A provider's spec with `servers` pointing at this mock, so tools work unedited
    (`schemathesis run http://localhost:8080/_mock/specs/bird.json`)."""
    state = _state(request)
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    document = state.specs.get(name)
    if document is None or fmt not in ("json", "yaml"):
        known = ", ".join(f"{n}.json, {n}.yaml" for n in state.specs)
        return JSONResponse(
            {"title": "Not Found", "status": 404, "detail": f"No spec {name}.{fmt}; have {known}"},
            status_code=404,
            media_type="application/problem+json",
        )
    served: dict[str, Any] = {**document, "servers": [{"url": _base_url(request)}]}
    if fmt == "json":
        return Response(json.dumps(served, ensure_ascii=False), media_type="application/json")
    text = yaml.dump(served, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return Response(text, media_type="application/yaml")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
