"""`mockserver`: serve both providers on one port with the embedded default scenario.

Every flag has an environment variable (`--port` / `MOCKSERVER_PORT`); a flag wins over
its variable. Bad values and unusable scenario files end the process with a message on
stderr (a line per problem) and exit status 2, never a traceback.

`mockserver scenarios` lists the built-in scenarios; `mockserver credentials [--scenario
NAME|PATH]` prints a scenario's credentials and ids without starting a server.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn

import uvicorn

from mockserver.settings import CHOICES, DEPRECATED, PARSERS, SettingError, Settings, env_var

if TYPE_CHECKING:
    from mockserver.scenario import Scenario

_HELP = {
    "host": "interface to bind (default 127.0.0.1; the Docker image binds 0.0.0.0)",
    "port": "port to listen on; 0 picks a free port and prints it (default 8080)",
    "seed": "seed of every generated id, number and code, 0 or more (default 1)",
    "scenario": "the scenario to start from: a built-in one's name (`mockserver scenarios` "
    "lists them) or a YAML file's path (default: default)",
    "fixtures": "deprecated: use --scenario (a scenario file's path)",
    "log_level": "how much uvicorn logs (default info)",
    "validate_responses": "check every response against the spec (default true)",
    "max_body_bytes": "largest request body accepted, in bytes (default 1048576)",
    "validator": "compiled (default) or openapi-core (the slower reference)",
    "clock": "system (default: runs with the wall clock) or manual (frozen until moved "
    "through /_mock/clock)",
    "cors": "answer browsers' CORS preflights and allow any origin, for a web app on "
    "another port in local development (default false)",
    "clock_start": "the clock's time at start, ISO 8601 with offset (default: now)",
    "journal_size": "requests the journal keeps, newest first; 0 turns it off (default 1000)",
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
    "webhook_egress": "hosts webhook deliveries may reach: any, private (default: loopback, "
    "private addresses and single-label hosts), loopback, or none (this mock's inbox only)",
    "webhook_timeout": "seconds a webhook receiver has to answer (default 5)",
    "webhook_concurrency": "webhook requests in flight at once (default 16)",
    "webhook_history": "finished webhook deliveries kept, with their attempts (default 1000)",
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


def _settings_parser(prog: str = "mockserver", only: Sequence[str] | None = None) -> _Parser:
    description = __doc__.split("\n\n")[0] if __doc__ else None
    parser = _Parser(prog=prog, description=description, epilog=_EPILOG if only is None else None)
    for name in PARSERS if only is None else only:
        flag = "--" + name.replace("_", "-")
        help_text = f"{_HELP[name]} [env {env_var(name)}]"
        # A setting that takes one of a few values shows them, as argparse's choices do
        # (parsed here, not by argparse: case-insensitively, with the settings' messages).
        choices = CHOICES.get(name)
        metavar = "{" + ",".join(choices) + "}" if choices else _METAVARS.get(name, name.upper())
        bare: dict[str, Any] = {}
        if choices == ("true", "false"):  # also the bare flag, for true (`--cors`)
            bare = {"nargs": "?", "const": "true"}
        parser.add_argument(flag, dest=name, metavar=metavar, default=None, help=help_text, **bare)
    if only is None:
        parser.add_argument("--version", action="version", version=_version())
    return parser


_METAVARS = {"scenario": "NAME|PATH", "fixtures": "PATH"}
_EPILOG = (
    "commands: `mockserver scenarios` lists the built-in scenarios; `mockserver credentials "
    "[--scenario NAME|PATH]` prints a scenario's credentials and ids"
)


def parse_settings(argv: Sequence[str] | None = None, environ: Any = None) -> Settings:
    return _settings(_settings_parser().parse_args(argv), environ)


def _settings(args: argparse.Namespace, environ: Any = None) -> Settings:
    environ = os.environ if environ is None else environ
    try:
        settings = Settings.from_env(environ)
        flags: dict[str, Any] = {}
        for name, parser_fn in PARSERS.items():
            raw = getattr(args, name, None)
            if raw is not None:
                try:
                    flags[name] = parser_fn(raw)
                except SettingError as exc:
                    raise SettingError(f"--{name.replace('_', '-')}: {exc}") from None
        for old, new in DEPRECATED.items():
            _warn_deprecated(old, new, old in flags, env_var(old) in environ)
            if old in flags or new in flags:
                # A flag wins over both variables, whichever spelling either uses.
                if old in flags and new in flags:
                    raise SettingError(f"give --{new} only (--{old} is its deprecated spelling)")
                flags.setdefault(old, None)
                flags.setdefault(new, None)
        return replace(settings, **flags)
    except SettingError as exc:
        fail(str(exc))


def _warn_deprecated(old: str, new: str, flag: bool, variable: bool) -> None:
    def flag_name(name: str) -> str:
        return "--" + name.replace("_", "-")

    if flag:
        warn(f"{flag_name(old)} is deprecated: use {flag_name(new)}")
    if variable:
        warn(f"{env_var(old)} is deprecated: use {env_var(new)}")


def warn(message: str) -> None:
    sys.stderr.write(f"mockserver: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = COMMANDS.get(argv[0]) if argv else None
    if command is not None:
        return command(argv[1:])
    return serve(argv)


def serve(argv: Sequence[str]) -> int:
    with _collector_paused():
        from mockserver.app import create_app
        from mockserver.serving import keep_gc_pauses_short

        settings = parse_settings(argv)
        scenario = _load(settings)
        app = create_app(settings, scenario=scenario)
        keep_gc_pauses_short()  # freezes what was built: no full collection scans it again
    from mockserver.logs import logging_config
    from mockserver.serving import uvicorn_config

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
    _ReadyServer(config, scenario.name, settings.control_token is not None).run(sockets=[sock])
    return 0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the app is imported and built: ~90,000 objects
    that live as long as the process, which the collector would scan in full at least once
    as they are made (~25 ms of a ~0.4 s start) to find ~900 objects of garbage (0.2 MiB,
    mostly the classes dataclass(slots=True) replaces), which keep_gc_pauses_short then
    freezes with the rest: cheaper than the full collection that would free them."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _load(settings: Settings) -> Scenario:
    from mockserver.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(settings.scenario_source)
    except ScenarioError as exc:
        fail(str(exc))


def scenarios(argv: Sequence[str]) -> int:
    """`mockserver scenarios`: the built-in scenarios, a line each."""
    from mockserver.scenario import built_in_scenarios

    _Parser(prog="mockserver scenarios", description=scenarios.__doc__).parse_args(argv)
    found = built_in_scenarios()
    width = max(len(s.name) for s in found)
    for scenario in found:
        sys.stdout.write(f"{scenario.name:<{width}}  {scenario.description}\n")
    sys.stdout.write(
        "\nStart one with `mockserver --scenario NAME`, or your own file with `--scenario "
        f"PATH` (copy a built-in one to start from: they are in {found[0].path.parent}).\n"
    )
    return 0


def credentials(argv: Sequence[str]) -> int:
    """`mockserver credentials`: a scenario's credentials and ids, without a server."""
    from mockserver.app import scenario_credentials

    parser = _settings_parser("mockserver credentials", only=("scenario", "fixtures", "seed"))
    parser.description = "A scenario's credentials and ids per provider and API, as GET "
    parser.description += "/_mock/credentials lists them, without starting a server."
    parser.add_argument("--json", action="store_true", help="print them as that endpoint does")
    args = parser.parse_args(argv)
    settings = _settings(args)
    listed = scenario_credentials(settings, _load(settings))
    if args.json:
        sys.stdout.write(json.dumps(listed, indent=2) + "\n")
    else:
        sys.stdout.write(credentials_text(listed))
    return 0


def credentials_text(listed: Mapping[str, Any]) -> str:
    """`GET /_mock/credentials` as text: a paragraph per credential."""
    lines = [f"Scenario {listed['scenario']!r}"]
    for provider in listed["providers"]:
        for found in provider["credentials"]:
            apis = ", ".join(found["surfaces"])
            lines += ["", f"{provider['provider']} ({apis}): {found['kind']} of {found['tenant']}"]
            lines += [f"  {name}: {value}" for name, value in found["headers"].items()]
            lines += [f"  {name} {value}" for name, value in found["ids"].items()]
        for ad_hoc in provider["adHoc"]:
            apis = ", ".join(ad_hoc["surfaces"])
            lines += ["", f"{provider['provider']} ({apis}): {ad_hoc['accepts']}"]
            lines.append(f"  opens a tenant of its own on first use: {ad_hoc['opens']}")
    return "\n".join(lines) + "\n"


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "scenarios": scenarios,
    "credentials": credentials,
}


class _ReadyServer(uvicorn.Server):
    """Prints one readiness line once the socket accepts requests."""

    def __init__(self, config: uvicorn.Config, scenario: str, token: bool = False) -> None:
        super().__init__(config)
        self.scenario = scenario
        self.token = token

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            host, port = sockets[0].getsockname()[:2]
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            shown = f"[{shown}]" if ":" in shown else shown
            # The scenario's credentials are one request away (and `mockserver credentials`
            # prints them without a server): pip and Docker users have no README at hand.
            token = " with the control token" if self.token else ""
            sys.stdout.write(
                f"numbers-mock {_version()} ready at http://{shown}:{port} "
                f"(listening on {host}:{port}, scenario {self.scenario!r}); its credentials: "
                f"GET http://{shown}:{port}/_mock/credentials{token}\n"
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
