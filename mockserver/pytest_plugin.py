"""pytest plugin: numbers-mock as fixtures, on a real socket or in-process.

Installing numbers-mock registers this plugin (entry point ``pytest11``, name
``numbers_mock``); with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, load it with
``-p numbers_mock``. It costs a pytest run that does not use it nothing but its options:
everything heavy (the mock itself, uvicorn, httpx) is imported inside the fixtures. The
fixtures need httpx (the ``pytest`` extra: ``pip install 'numbers-mock[pytest]'``).

Fixtures
--------
``numbers_mock_settings`` (session)
    The :class:`mockserver.Settings` the plugin starts mocks with, built from the options
    below: loopback, response validation on, the manual clock unless told otherwise.
    Override it in a conftest.py to configure the mock in code.
``numbers_mock_url`` (session)
    The base URL of the mock: ``--numbers-mock-url`` / ``NUMBERS_MOCK_URL`` when given
    (e.g. the Docker sidecar; the plugin waits until its ``GET /_mock/health`` answers),
    otherwise a mock the plugin serves for the session with uvicorn in a background thread
    on a free loopback port, and stops at the end of the session.
``numbers_mock`` (session)
    A :class:`MockControl` on that server: the control API (``/_mock/``) as typed methods.
    It is shared by every test of the session (and, on a shared server, by every pytest-xdist
    worker): what a test changes for everyone (the clock, unscoped rules and faults) stays
    changed; prefer tenant-scoped rules and faults, which the tenant reset drops.
``numbers_mock_tenant`` (function)
    A :class:`MockTenant`: credentials no scenario knows, so the mock opens a fresh isolated
    tenant for this test alone: a Bird access key with its own organization and workspace
    ids, a Bird platform API key (``bird_platform_headers``, ``bird_platform_url``, and
    ``bird_platform_client()``: a ready ``bird.Bird`` client of the official SDK when
    ``messagebird-sdk`` is installed), and a Vobiz auth id and token, with their headers
    and base URLs. Drawn from ``secrets`` and ``uuid4`` (not the mock's seeded randomness)
    so that tests and xdist workers sharing one server never collide. At teardown the
    tenants are reset (their numbers go back to stock, their scoped rules and faults are
    dropped); and when the plugin serves the mock itself, a response of the mock that broke
    its own spec fails the test.
``numbers_mock_app`` (function)
    A fresh mock as an ASGI app (``create_app(numbers_mock_settings)``), for in-process
    tests: no socket, its own state, nothing shared with other tests.
``numbers_mock_inprocess`` (function)
    An :class:`InProcessMock` on ``numbers_mock_app``: a synchronous ``httpx.Client`` at
    ``http://numbers-mock``, a :class:`MockControl` over it and a :class:`MockTenant`.
    httpx's ASGITransport is async-only, so its ``transport`` runs the app on an event
    loop in a thread of its own; hand it to your own ``httpx.Client(transport=...)`` to put
    the code under test in front of this mock.
``numbers_mock_async`` (function)
    An :class:`AsyncInProcessMock` on ``numbers_mock_app``: an ``httpx.AsyncClient`` over
    ``httpx.ASGITransport`` (its ``transport``), an :class:`AsyncMockControl` over it and a
    :class:`MockTenant`. The fixture itself is synchronous. An ``async def`` test that uses
    it needs no mark: one that no async plugin runs (anyio's ``@pytest.mark.anyio``,
    pytest-asyncio's modes) is run here, on ``asyncio.run``.
``numbers_mock_receiver`` (function)
    A webhook receiver (:class:`mockserver.receiving.LocalReceiver`): an HTTP server on
    127.0.0.1 and a free port, in a thread. Subscribe its ``url``; after moving the mock's
    clock, ``next()`` returns the next delivery as it arrives (waiting on an event, never
    sleeping; ``TimeoutError`` after 10 s), with ``verify_bird(signing_key)`` and
    ``verify_platform(secret)`` checking its signature; ``respond(500, 500)`` makes it
    answer the next deliveries with those statuses. The mock delivers to it from wherever
    it runs on this machine (its default ``--webhook-egress private`` allows loopback).
``numbers_mock_inbox`` (function)
    The same interface over the session mock's own inbox (``/_mock/inbox/<fresh name>``),
    read through the control plane: for a mock that cannot reach the test (a sidecar in
    another network). Emptied at teardown.

Options
-------
``--numbers-mock-url URL`` (env ``NUMBERS_MOCK_URL``)
    Use the mock already running at URL instead of starting one (it must answer
    ``GET /_mock/health`` within 5 s, or the session's first test using it fails, naming the
    URL). The options below then do not apply: that server was configured when it started.
``--numbers-mock-scenario NAME|PATH``
    The scenario the plugin's mocks start from: a built-in one's name (``ci-strict``,
    ``empty``) or a file's path (default: the embedded default scenario).
    ``--numbers-mock-fixtures PATH`` is its deprecated spelling.
``--numbers-mock-seed N``
    The seed of every generated id, number and code (default 1).
``--numbers-mock-clock manual|system``
    ``manual`` (the default) starts the mock's clock frozen: orders, provisioning, WhatsApp
    pre-verification, reservations and OTP codes move only when a test moves the clock
    (``numbers_mock.advance(30)``), so a test never sleeps and never races the wall clock.
    ``system`` lets it run with the wall clock, as the server does by default.
``--numbers-mock-clock-start ISO``
    The mock's time at start, with a UTC offset (default: the wall-clock time at start).
``--numbers-mock-control-token TOKEN`` (env ``NUMBERS_MOCK_CONTROL_TOKEN``)
    The control token of the mock at ``--numbers-mock-url`` (one started with
    ``--control-token``), which ``numbers_mock`` sends; without a URL, the plugin's own mock
    is started with it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from mockserver.client import AsyncMockControl, MockControl, MockTenant
from mockserver.transport import sync_asgi_transport

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from mockserver.receiving import InboxReceiver, LocalReceiver
    from mockserver.settings import Settings

__all__ = ["AsyncInProcessMock", "InProcessMock"]

URL_ENV = "NUMBERS_MOCK_URL"
TOKEN_ENV = "NUMBERS_MOCK_CONTROL_TOKEN"
INPROCESS_URL = "http://numbers-mock"
# How long the plugin's own server may take to answer GET /_mock/health.
START_TIMEOUT = 30.0
# How long a server given by URL may take: it should be up already (the Compose and Actions
# examples wait for its health check first); a wrong or dead URL fails the test run fast.
URL_TIMEOUT = 5.0
_CLOCK_START = pytest.StashKey[datetime]()


# --- pytest hooks and fixtures -----------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("numbers-mock", "numbers-mock (Bird and Vobiz numbers API mock)")
    group.addoption(
        "--numbers-mock-url",
        metavar="URL",
        default=None,
        help=f"use the numbers-mock running at URL instead of starting one [env {URL_ENV}]",
    )
    group.addoption(
        "--numbers-mock-control-token",
        metavar="TOKEN",
        default=None,
        help="the control token of the mock at --numbers-mock-url, or to start the plugin's "
        f"mock with [env {TOKEN_ENV}]",
    )
    group.addoption(
        "--numbers-mock-scenario",
        metavar="NAME|PATH",
        default=None,
        help="scenario the plugin's mocks start from: a built-in one's name or a file's path "
        "(default: the embedded default scenario)",
    )
    group.addoption(
        "--numbers-mock-fixtures",
        metavar="PATH",
        default=None,
        help="deprecated: use --numbers-mock-scenario",
    )
    group.addoption(
        "--numbers-mock-seed",
        metavar="N",
        type=int,
        default=1,
        help="seed of every generated id, number and code (default 1)",
    )
    group.addoption(
        "--numbers-mock-clock",
        choices=("manual", "system"),
        default="manual",
        help="manual (default: frozen, moved only through the control API) or system",
    )
    group.addoption(
        "--numbers-mock-clock-start",
        metavar="ISO",
        default=None,
        help="the mock's time at start, e.g. 2026-03-01T10:00:00Z (default: now)",
    )


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """An `async def` test using `numbers_mock_async` that no async plugin ran (anyio's and
    pytest-asyncio's run theirs first: tryfirst, or wrapped at collection): run it on
    asyncio, so that it needs no mark. Not trylast: pytest's own trylast hook fails every
    coroutine test. Any other coroutine test is left to pytest, which says what to install."""
    if "numbers_mock_async" not in pyfuncitem.fixturenames:
        return None
    import inspect

    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    import asyncio

    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**arguments))
    return True


def pytest_configure(config: pytest.Config) -> None:
    """A bad --numbers-mock-clock-start or seed is a usage error before any test runs."""
    seed = config.getoption("numbers_mock_seed")
    if seed is not None and seed < 0:
        raise pytest.UsageError(
            f"--numbers-mock-seed: {seed} is negative: a seed is 0 or a positive integer"
        )
    start = config.getoption("numbers_mock_clock_start")
    if start:
        from mockserver.settings import SettingError, parse_time

        try:
            config.stash[_CLOCK_START] = parse_time(start)
        except SettingError as exc:
            raise pytest.UsageError(f"--numbers-mock-clock-start: {exc}") from None


@pytest.fixture(scope="session")
def numbers_mock_settings(pytestconfig: pytest.Config) -> Settings:
    """The settings of the mocks the plugin starts (override it to configure them in code)."""
    from mockserver.scenario import built_in_scenarios
    from mockserver.settings import Settings

    option = pytestconfig.getoption
    scenario = option("numbers_mock_scenario") or option("numbers_mock_fixtures")
    if scenario and scenario not in {s.name for s in built_in_scenarios()}:
        scenario = str(pytestconfig.invocation_params.dir / scenario)  # a path, from here
    return Settings(
        host="127.0.0.1",
        port=0,
        seed=option("numbers_mock_seed"),
        scenario=scenario or None,
        log_level="warning",
        validate_responses=True,
        clock=option("numbers_mock_clock"),
        clock_start=pytestconfig.stash.get(_CLOCK_START, None),
        control_token=_token(pytestconfig),
    )


def _token(config: pytest.Config) -> str | None:
    token: str | None = config.getoption("numbers_mock_control_token") or os.environ.get(TOKEN_ENV)
    return token or None


@pytest.fixture(scope="session")
def numbers_mock_url(
    request: pytest.FixtureRequest, numbers_mock_settings: Settings
) -> Iterator[str]:
    """The mock's base URL: the one given, or one served for the session."""
    _require_httpx()
    external = request.config.getoption("numbers_mock_url") or os.environ.get(URL_ENV)
    if external:
        url = external.rstrip("/")
        _wait_healthy(url, trust_env=True, timeout=URL_TIMEOUT)
        yield url
        return
    server = _LocalServer(_build_app(numbers_mock_settings))
    request.config.stash[_SERVER] = server
    try:
        yield server.start()
    finally:
        del request.config.stash[_SERVER]
        server.stop()


@pytest.fixture(scope="session")
def numbers_mock(
    request: pytest.FixtureRequest, numbers_mock_url: str, numbers_mock_settings: Settings
) -> Iterator[MockControl]:
    """The control API of the session's mock."""
    server = request.config.stash.get(_SERVER, None)
    token = numbers_mock_settings.control_token if server else _token(request.config)
    # A proxy from the environment must not stand between the tests and a loopback server.
    control = MockControl.connect(numbers_mock_url, trust_env=server is None, token=token)
    try:
        yield control
    finally:
        control.close()


@pytest.fixture
def numbers_mock_tenant(
    request: pytest.FixtureRequest, numbers_mock: MockControl, numbers_mock_url: str
) -> Iterator[MockTenant]:
    """Fresh, isolated Bird and Vobiz credentials for this test; reset at teardown."""
    tenant = MockTenant.new(numbers_mock_url)
    yield tenant
    numbers_mock.forget(tenant)
    server = request.config.stash.get(_SERVER, None)
    if server is not None:
        _check_contract(server.app)


@pytest.fixture
def numbers_mock_app(numbers_mock_settings: Settings) -> Iterator[Starlette]:
    """A fresh mock for this test alone, as an ASGI app."""
    app = _build_app(numbers_mock_settings)
    yield app
    _check_contract(app)


@pytest.fixture
def numbers_mock_inprocess(numbers_mock_app: Starlette) -> Iterator[InProcessMock]:
    """The test's own mock in-process, through a synchronous httpx client."""
    httpx = _require_httpx()
    with (
        sync_asgi_transport(numbers_mock_app) as transport,
        httpx.Client(transport=transport, base_url=INPROCESS_URL) as client,
    ):
        yield InProcessMock(
            app=numbers_mock_app,
            transport=transport,
            client=client,
            control=MockControl(client, token=_app_token(numbers_mock_app)),
            tenant=MockTenant.new(INPROCESS_URL),
        )


@pytest.fixture
def numbers_mock_async(numbers_mock_app: Starlette) -> AsyncInProcessMock:
    """The test's own mock in-process, through an httpx.AsyncClient (ASGITransport)."""
    httpx = _require_httpx()
    # ASGITransport holds no connections: the client needs no closing, so this fixture can
    # stay synchronous and work under any async test runner.
    transport = httpx.ASGITransport(app=numbers_mock_app)
    client = httpx.AsyncClient(transport=transport, base_url=INPROCESS_URL)
    return AsyncInProcessMock(
        app=numbers_mock_app,
        transport=transport,
        client=client,
        control=AsyncMockControl(client, token=_app_token(numbers_mock_app)),
        tenant=MockTenant.new(INPROCESS_URL),
    )


@pytest.fixture
def numbers_mock_receiver() -> Iterator[LocalReceiver]:
    """A webhook receiver on 127.0.0.1 and a free port, for this test alone."""
    from mockserver.receiving import LocalReceiver

    with LocalReceiver() as receiver:
        yield receiver


@pytest.fixture
def numbers_mock_inbox(numbers_mock: MockControl) -> Iterator[InboxReceiver]:
    """A fresh inbox of the session's mock, read through its control plane."""
    from mockserver.receiving import InboxReceiver

    inbox = InboxReceiver(numbers_mock)
    yield inbox
    inbox.close()


def _app_token(app: Starlette) -> str | None:
    token: str | None = app.state.mock.settings.control_token
    return token


def _require_httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - the test extra is installed in this repository
        pytest.fail(
            "numbers-mock's pytest fixtures need httpx: pip install 'numbers-mock[pytest]' "
            "(or pip install httpx)",
            pytrace=False,
        )
    return httpx


def _build_app(settings: Settings) -> Starlette:
    from mockserver.app import create_app
    from mockserver.scenario import ScenarioError

    try:
        return create_app(settings)
    except ScenarioError as exc:
        problem = str(exc)
    pytest.fail(f"numbers-mock: {problem}", pytrace=False)


def _check_contract(app: Starlette) -> None:
    """A response that broke the mock's own spec is a bug in the mock: say so, loudly."""
    failures = app.state.mock.failures
    broken = [str(failure) for failure in failures]
    failures.clear()
    if broken:
        pytest.fail(
            "numbers-mock answered with responses that break its own spec (a bug in the "
            "mock; please report it):\n  " + "\n  ".join(broken),
            pytrace=False,
        )


# --- the session's server ----------------------------------------------------------------


class _LocalServer:
    """The mock served by uvicorn on a free loopback port, in a daemon thread."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self) -> str:
        import uvicorn

        from mockserver.serving import uvicorn_config

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        # log_config=None: leave the test run's logging configuration alone.
        config = uvicorn_config(
            self.app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="numbers-mock",
            daemon=True,
        )
        self._thread.start()
        _wait_healthy(url, trust_env=False, alive=self._thread.is_alive)
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()


_SERVER = pytest.StashKey[_LocalServer]()


def _wait_healthy(
    url: str,
    *,
    trust_env: bool,
    alive: Callable[[], bool] = lambda: True,
    timeout: float = START_TIMEOUT,
) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    problem = "no answer"
    with httpx.Client(base_url=url, trust_env=trust_env) as client:
        while True:
            try:
                # Never past the deadline: a host that drops packets would hold a connect.
                left = min(2.0, max(deadline - time.monotonic(), 0.05))
                response = client.get("/_mock/health", timeout=left)
                if response.status_code == 200:
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if not alive():
                pytest.fail(f"numbers-mock did not start at {url}: {problem}", pytrace=False)
            if time.monotonic() > deadline:
                given = timeout == URL_TIMEOUT
                hint = (
                    f"; is it running? Start it (mockserver, or the Docker image), or unset "
                    f"--numbers-mock-url / {URL_ENV} to let the plugin start one"
                    if given
                    else ""
                )
                pytest.fail(
                    f"numbers-mock at {url} did not answer GET /_mock/health within "
                    f"{timeout:g} s ({problem}){hint}",
                    pytrace=False,
                )
            time.sleep(0.02)


# --- the in-process bundles ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InProcessMock:
    """A test's own mock in-process: ``client`` speaks to both providers at
    ``http://numbers-mock``; ``control`` steers it; ``tenant`` is a fresh tenant."""

    app: Starlette
    transport: httpx.BaseTransport
    client: httpx.Client
    control: MockControl
    tenant: MockTenant


@dataclass(frozen=True, slots=True)
class AsyncInProcessMock:
    """As :class:`InProcessMock`, with an ``httpx.AsyncClient`` and awaited control calls."""

    app: Starlette
    transport: httpx.AsyncBaseTransport
    client: httpx.AsyncClient
    control: AsyncMockControl
    tenant: MockTenant
