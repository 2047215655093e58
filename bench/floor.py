"""The floor for a Python server: bare Starlette on uvicorn answering bench/run.py's two
loads with fixed JSON, no validation, no state.

    python bench/floor.py --port 8090

The bodies are the files WireMock's stubs answer (bench/wiremock/__files/), captured from
numbers-mock itself (`python bench/run.py --write-bodies`): the same bytes, so the three
servers send answers of the same size and shape. uvicorn runs as `mockserver` runs it
(mockserver/cli.py, mockserver/serving.py): uvloop, the httptools parser, access log off,
the same keep-alive timeout, warnings only; but with uvicorn's own protocol class, not the
mock's (which adds the limits): this is what any Starlette app gets.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODIES = Path(__file__).resolve().parent / "wiremock" / "__files"
STOCK = (BODIES / "stock-items.json").read_bytes()
BOUGHT = (BODIES / "long-code-numbers.json").read_bytes()
KEEP_ALIVE_S = 5  # mockserver's Settings.keep_alive_timeout


async def stock_items(request: Request) -> Response:
    return Response(STOCK, media_type="application/json")


async def buy(request: Request) -> Response:
    await request.body()  # taken in, as any server must, and dropped
    return Response(BOUGHT, status_code=201, media_type="application/json")


app = Starlette(
    routes=[
        Route("/organizations/{organization_id}/numbers-stock-items", stock_items),
        Route("/workspaces/{workspace_id}/numbers-long-code", buy, methods=["POST"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
    )


if __name__ == "__main__":
    main()
