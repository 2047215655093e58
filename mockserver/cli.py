"""`mockserver`: serve both providers on one port with the embedded default scenario.

Every flag has an environment variable (`--port` / `MOCKSERVER_PORT`); a flag wins over
its variable. Bad values and unusable fixtures files end the process with one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NoReturn

import uvicorn

from mockserver.settings import PARSERS, SettingError, Settings, env_var

_HELP = {
    "host": "interface to bind (default 127.0.0.1; the Docker image binds 0.0.0.0)",
    "port": "port to listen on; 0 picks a free port and prints it (default 8080)",
    "seed": "seed of every generated id, number and code (default 1)",
    "fixtures": "scenario file (YAML) to start from (default: the embedded default scenario)",
    "log_level": "critical, error, warning, info, debug or trace (default info)",
    "validate_responses": "check every response against the spec: true or false (default true)",
    "max_body_bytes": "largest request body accepted, in bytes (default 1048576)",
    "validator": "compiled (default) or openapi-core (the slower reference)",
    "clock": "system (default: runs with the wall clock) or manual (frozen until moved "
    "through /_mock/clock)",
    "clock_start": "the clock's time at start, ISO 8601 with offset (default: now)",
    "journal_size": "requests the journal keeps, newest first (default 1000)",
    "control_token": "token every /_mock/ call but health and specs must send as "
    "'Authorization: Bearer <token>' (default: none, the control plane is open)",
    "max_header_bytes": "largest total of request header fields, in bytes; more gets 431 and "
    "the connection closed (default 65536)",
    "header_timeout": "seconds a connection has to send its request headers; then 408, or "
    "closed if nothing came (default 10)",
    "body_timeout": "seconds a request body has to arrive once read; then 408 (default 30)",
    "keep_alive_timeout": "seconds an idle keep-alive connection stays open (default 5)",
    "shutdown_grace": "seconds requests in flight get to finish on SIGTERM; then 503 (default 5)",
    "max_query_values": "most values one query parameter may repeat; more gets 422 (default 100)",
    "max_body_items": "most items of one array, or members of one object, in a provider "
    "request body; more gets 422 (default 1000)",
    "journal_excerpt_chars": "characters of each journaled path and query string, and bytes "
    "of each request and response body, kept; longer ones are cut and marked truncated "
    "(default 4096)",
    "log_format": "text (default) or json: one JSON object a line, an access line per request",
    "strict_unknown": "refuse query parameters and body fields an operation does not declare "
    "with the provider's 422: true or false (default false: ignored, with an X-Mock-Warning "
    "header)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"mockserver: error: {message}\n")
    raise SystemExit(2)


def parse_settings(argv: Sequence[str] | None = None, environ: Any = None) -> Settings:
    parser = _Parser(prog="mockserver", description=__doc__.split("\n\n")[0] if __doc__ else None)
    for name in PARSERS:
        flag = "--" + name.replace("_", "-")
        help_text = f"{_HELP[name]} [env {env_var(name)}]"
        parser.add_argument(flag, dest=name, metavar=name.upper(), default=None, help=help_text)
    parser.add_argument("--version", action="version", version=_version())
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(environ)
        flags = {}
        for name, parser_fn in PARSERS.items():
            raw = getattr(args, name)
            if raw is not None:
                try:
                    flags[name] = parser_fn(raw)
                except SettingError as exc:
                    raise SettingError(f"--{name.replace('_', '-')}: {exc}") from None
        return replace(settings, **flags)
    except SettingError as exc:
        fail(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    from mockserver.app import create_app
    from mockserver.logs import logging_config
    from mockserver.scenario import ScenarioError, load_scenario
    from mockserver.serving import keep_gc_pauses_short, uvicorn_config

    settings = parse_settings(argv)
    try:
        scenario = load_scenario(settings.fixtures)
    except ScenarioError as exc:
        fail(str(exc))
    app = create_app(settings, scenario=scenario)
    keep_gc_pauses_short()
    sock = _listen(settings.host, settings.port)
    # The edge writes one access line a request (mockserver/logs.py) in place of uvicorn's.
    log_config = logging_config(settings)
    config = uvicorn_config(
        app, settings, log_level=settings.log_level, log_config=log_config, access_log=False
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the
    # handlers that were installed before it ran: make those a no-op so a stopped sidecar
    # exits 0 instead of dying by the signal (or printing a KeyboardInterrupt traceback).
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda number, frame: None)
    _ReadyServer(config, scenario.name).run(sockets=[sock])
    return 0


class _ReadyServer(uvicorn.Server):
    """Prints one readiness line once the socket accepts requests."""

    def __init__(self, config: uvicorn.Config, scenario: str) -> None:
        super().__init__(config)
        self.scenario = scenario

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            host, port = sockets[0].getsockname()[:2]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            shown = f"[{shown}]" if ":" in shown else shown
            sys.stdout.write(
                f"numbers-mock {_version()} ready at http://{shown}:{port} "
                f"(listening on {host}:{port}, scenario {self.scenario!r}); default credentials: "
                "README.md#default-credentials\n"
            )
            sys.stdout.flush()


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    return sock


def _version() -> str:
    from mockserver.version import __version__

    return __version__
