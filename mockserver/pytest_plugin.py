"""pytest plugin: numbers-mock as fixtures, on a real socket or in-process.

Installing numbers-mock registers this plugin (entry point ``pytest11``, name
``numbers_mock``); with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, load it with
``-p numbers_mock``. It costs a pytest run that does not use it nothing but its options:
everything heavy (the mock itself, uvicorn, httpx) is imported inside the fixtures. The
fixtures need httpx (the ``test`` extra: ``pip install 'numbers-mock[test]'``).

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
    ids, and a Vobiz auth id and token, with their headers and base URLs. Drawn from
    ``secrets`` and ``uuid4`` (not the mock's seeded randomness) so that tests and xdist
    workers sharing one server never collide. At teardown both tenants are reset (their
    numbers go back to stock, their scoped rules and faults are dropped); and when the
    plugin serves the mock itself, a response of the mock that broke its own spec fails the
    test.
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
    :class:`MockTenant`. The fixture itself is synchronous; the tests that use it need an
    async test runner (anyio's or pytest-asyncio's plugin).

Options
-------
``--numbers-mock-url URL`` (env ``NUMBERS_MOCK_URL``)
    Use the mock already running at URL instead of starting one. The options below then do
    not apply: that server was configured when it started.
``--numbers-mock-fixtures PATH``
    The scenario file the plugin's mocks start from (default: the embedded default scenario).
``--numbers-mock-seed N``
    The seed of every generated id, number and code (default 1).
``--numbers-mock-clock manual|system``
    ``manual`` (the default) starts the mock's clock frozen: orders, provisioning, WhatsApp
    pre-verification, reservations and OTP codes move only when a test moves the clock
    (``numbers_mock.advance(30)``), so a test never sleeps and never races the wall clock.
    ``system`` lets it run with the wall clock, as the server does by default.
``--numbers-mock-clock-start ISO``
    The mock's time at start, with a UTC offset (default: the wall-clock time at start).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, NotRequired, TypedDict, TypeVar

import pytest

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from mockserver.settings import Settings

__all__ = [
    "AsyncInProcessMock",
    "AsyncMockControl",
    "InProcessMock",
    "MockControl",
    "MockTenant",
    "NumbersMockError",
    "sync_asgi_transport",
]

URL_ENV = "NUMBERS_MOCK_URL"
INPROCESS_URL = "http://numbers-mock"
# How long a server may take to answer GET /_mock/health (a sidecar may still be starting).
START_TIMEOUT = 30.0
_AUTH_ID_ALPHABET = string.ascii_uppercase + string.digits
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
        "--numbers-mock-fixtures",
        metavar="PATH",
        default=None,
        help="scenario file the plugin's mocks start from (default: the embedded scenario)",
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


def pytest_configure(config: pytest.Config) -> None:
    """A bad --numbers-mock-clock-start is a usage error before any test runs."""
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
    from mockserver.settings import Settings

    option = pytestconfig.getoption
    fixtures = option("numbers_mock_fixtures")
    return Settings(
        host="127.0.0.1",
        port=0,
        seed=option("numbers_mock_seed"),
        fixtures=pytestconfig.invocation_params.dir / fixtures if fixtures else None,
        log_level="warning",
        validate_responses=True,
        clock=option("numbers_mock_clock"),
        clock_start=pytestconfig.stash.get(_CLOCK_START, None),
    )


@pytest.fixture(scope="session")
def numbers_mock_url(
    request: pytest.FixtureRequest, numbers_mock_settings: Settings
) -> Iterator[str]:
    """The mock's base URL: the one given, or one served for the session."""
    _require_httpx()
    external = request.config.getoption("numbers_mock_url") or os.environ.get(URL_ENV)
    if external:
        url = external.rstrip("/")
        _wait_healthy(url, trust_env=True)
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
def numbers_mock(request: pytest.FixtureRequest, numbers_mock_url: str) -> Iterator[MockControl]:
    """The control API of the session's mock."""
    local = request.config.stash.get(_SERVER, None) is not None
    # A proxy from the environment must not stand between the tests and a loopback server.
    control = MockControl.connect(numbers_mock_url, trust_env=not local)
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
            control=MockControl(client),
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
        control=AsyncMockControl(client),
        tenant=MockTenant.new(INPROCESS_URL),
    )


def _require_httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - the test extra is installed in this repository
        pytest.fail(
            "numbers-mock's pytest fixtures need httpx: pip install 'numbers-mock[test]' "
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


def _wait_healthy(url: str, *, trust_env: bool, alive: Callable[[], bool] = lambda: True) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    problem = "no answer"
    with httpx.Client(base_url=url, trust_env=trust_env, timeout=2.0) as client:
        while True:
            try:
                response = client.get("/_mock/health")
                if response.status_code == 200:
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if not alive():
                pytest.fail(f"numbers-mock did not start at {url}: {problem}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"numbers-mock at {url} did not answer GET /_mock/health within "
                    f"{START_TIMEOUT:.0f} s ({problem})",
                    pytrace=False,
                )
            time.sleep(0.02)


# --- the tenant ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MockTenant:
    """Credentials of a fresh tenant in both providers, unknown to any scenario.

    The mock opens the tenants on first use (ad-hoc tenants of the scenario, with its ad-hoc
    wallet balances); a Bird ad-hoc access key may use any organization and workspace id,
    and these are fresh UUIDs.
    """

    url: str
    bird_access_key: str
    bird_organization_id: str
    bird_workspace_id: str
    vobiz_auth_id: str
    vobiz_auth_token: str

    @classmethod
    def new(cls, url: str) -> MockTenant:
        auth_id = "".join(secrets.choice(_AUTH_ID_ALPHABET) for _ in range(8))
        return cls(
            url=url.rstrip("/"),
            bird_access_key=f"numbers_mock_{secrets.token_hex(16)}",
            bird_organization_id=str(uuid.uuid4()),
            bird_workspace_id=str(uuid.uuid4()),
            vobiz_auth_id=f"MA_{auth_id}",
            vobiz_auth_token=secrets.token_urlsafe(24),
        )

    @property
    def bird_url(self) -> str:
        """Bird's base URL (Bird's real paths are served at the root of the mock)."""
        return self.url

    @property
    def vobiz_url(self) -> str:
        """Vobiz's base URL (the same port: the paths do not collide)."""
        return self.url

    @property
    def bird_headers(self) -> dict[str, str]:
        return {"Authorization": f"AccessKey {self.bird_access_key}"}

    @property
    def vobiz_headers(self) -> dict[str, str]:
        return {"X-Auth-ID": self.vobiz_auth_id, "X-Auth-Token": self.vobiz_auth_token}


# --- the control API's shapes (specs/control.yaml, components/schemas) --------------------


class ClockInfo(TypedDict):
    now: str
    mode: str
    frozen: bool


class Health(TypedDict):
    status: str
    version: str
    scenario: str
    seed: int
    time: str
    clock: ClockInfo
    providers: list[str]
    specs: dict[str, str]


class LedgerEntry(TypedDict):
    at: str
    kind: str
    amount: str
    balanceAfter: str
    reference: str
    description: str


class Wallet(TypedDict):
    provider: str
    tenant: str
    owner: NotRequired[str]
    currency: str
    balance: str
    openingBalance: str
    ledger: list[LedgerEntry]


class Rule(TypedDict):
    id: str
    provider: str
    on: str
    outcome: str
    remaining: int
    tenant: str | None
    params: dict[str, Any]


class SentCode(TypedDict):
    code: str
    channel: str
    sentAt: str
    expiresAt: str
    attempts: int
    status: str
    authId: str
    verificationId: str


class Fault(TypedDict):
    id: str
    provider: str | None
    operationId: str | None
    path: str | None
    method: str | None
    tenant: str | None
    latencyMs: dict[str, int] | None
    status: int | None
    code: str | None
    message: str | None
    rateLimit: dict[str, float] | None
    probability: float | None
    seed: int | None
    hits: int


class JournalEntry(TypedDict):
    requestId: str
    at: str
    method: str
    path: str
    query: NotRequired[str]
    provider: NotRequired[str]
    operationId: NotRequired[str | None]
    tenant: NotRequired[str | None]
    status: int
    durationMs: float
    fault: NotRequired[str | None]


# --- the control client ----------------------------------------------------------------------


class NumbersMockError(Exception):
    """A control call the mock refused: its status and its problem+json ``detail``."""

    def __init__(
        self, method: str, path: str, status: int, problem: Mapping[str, Any] | None, text: str
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.problem: dict[str, Any] = dict(problem or {})
        self.detail: str = str(self.problem.get("detail") or text[:500])
        self.code: str | None = self.problem.get("code")
        errors = "".join(
            f"\n  {e.get('location')} {e.get('path') or '/'}: {e.get('message')}"
            for e in self.problem.get("errors") or []
            if isinstance(e, dict)
        )
        code = f" {self.code}" if self.code else ""
        super().__init__(f"{method} {path} -> {status}{code}: {self.detail}{errors}")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    """One control operation, independent of how it is sent (sync or async)."""

    method: str
    path: str
    read: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    body: Any = None

    def finish(self, response: httpx.Response) -> T:
        if not response.is_success:
            try:
                problem = response.json()
            except ValueError:
                problem = None
            raise NumbersMockError(
                self.method,
                self.path,
                response.status_code,
                problem if isinstance(problem, dict) else None,
                response.text,
            )
        return self.read(response.json() if response.content else None)


def _nothing(body: Any) -> None:
    return None


def _same(body: Any) -> Any:
    return body


def _key(name: str) -> Callable[[Any], Any]:
    return lambda body: body[name]


def _query(**params: Any) -> dict[str, Any]:
    return {_camel(k): v for k, v in params.items() if v is not None}


_CAMEL = re.compile(r"_([a-z])")


def _camel(name: str) -> str:
    """after_seconds -> afterSeconds: Python keyword style in, the API's names out."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _camelized(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_camel(str(k)): _camelized(v) for k, v in value.items()}
    return value


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _instant(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset (the mock's clock is in UTC)")
    return value.isoformat()


def _amount(value: str | int | Decimal) -> str:
    return value if isinstance(value, str) else f"{Decimal(value):f}"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _latest(phone: str, codes: list[SentCode], auth_id: str | None) -> str:
    mine = [c for c in codes if auth_id is None or c["authId"] == auth_id]
    if not mine:
        whose = f" by {auth_id}" if auth_id else ""
        raise LookupError(f"numbers-mock sent no OTP code to {phone}{whose}")
    return mine[0]["code"]


class _Ops:
    """Every operation of specs/control.yaml as a _Call."""

    @staticmethod
    def health() -> _Call[Health]:
        return _Call("GET", "/_mock/health", _same)

    @staticmethod
    def reset(provider: str | None = None, tenant: str | None = None) -> _Call[None]:
        body = {} if provider is None else {"provider": provider, "tenant": tenant}
        return _Call("POST", "/_mock/reset", _nothing, body=body)

    @staticmethod
    def state(provider: str | None, tenant: str | None) -> _Call[dict[str, Any]]:
        return _Call("GET", "/_mock/state", _same, _query(provider=provider, tenant=tenant))

    @staticmethod
    def restore(dump: Mapping[str, Any]) -> _Call[ClockInfo]:
        return _Call("PUT", "/_mock/state", _same, body=dict(dump))

    @staticmethod
    def clock() -> _Call[ClockInfo]:
        return _Call("GET", "/_mock/clock", _same)

    @staticmethod
    def set_time(when: datetime | str) -> _Call[ClockInfo]:
        return _Call("PUT", "/_mock/clock", _same, body={"now": _instant(when)})

    @staticmethod
    def advance(seconds: float | timedelta) -> _Call[ClockInfo]:
        body = {"seconds": _seconds(seconds)}
        return _Call("POST", "/_mock/clock/advance", _same, body=body)

    @staticmethod
    def freeze() -> _Call[ClockInfo]:
        return _Call("POST", "/_mock/clock/freeze", _same)

    @staticmethod
    def unfreeze() -> _Call[ClockInfo]:
        return _Call("POST", "/_mock/clock/unfreeze", _same)

    @staticmethod
    def wallets(provider: str | None, tenant: str | None) -> _Call[list[Wallet]]:
        params = _query(provider=provider, tenant=tenant)
        return _Call("GET", "/_mock/wallets", _key("wallets"), params)

    @staticmethod
    def set_wallet(
        provider: str, tenant: str, currency: str, balance: str | int | Decimal
    ) -> _Call[Wallet]:
        path = f"/_mock/wallets/{provider}/{tenant}/{currency}"
        return _Call("PUT", path, _same, body={"balance": _amount(balance)})

    @staticmethod
    def rules() -> _Call[list[Rule]]:
        return _Call("GET", "/_mock/rules", _key("rules"))

    @staticmethod
    def add_rule(fields: Mapping[str, Any]) -> _Call[Rule]:
        return _Call("POST", "/_mock/rules", _same, body=_camelized(fields))

    @staticmethod
    def delete_rule(rule_id: str) -> _Call[None]:
        return _Call("DELETE", f"/_mock/rules/{rule_id}", _nothing)

    @staticmethod
    def clear_rules() -> _Call[None]:
        return _Call("DELETE", "/_mock/rules", _nothing)

    @staticmethod
    def otp_codes(phone_number: str) -> _Call[list[SentCode]]:
        params = {"phone_number": phone_number}
        return _Call("GET", "/_mock/otp", _key("codes"), params)

    @staticmethod
    def faults() -> _Call[list[Fault]]:
        return _Call("GET", "/_mock/faults", _key("faults"))

    @staticmethod
    def add_fault(fields: Mapping[str, Any]) -> _Call[list[Fault]]:
        return _Call("POST", "/_mock/faults", _key("faults"), body=_camelized(fields))

    @staticmethod
    def delete_fault(fault_id: str) -> _Call[None]:
        return _Call("DELETE", f"/_mock/faults/{fault_id}", _nothing)

    @staticmethod
    def clear_faults() -> _Call[None]:
        return _Call("DELETE", "/_mock/faults", _nothing)

    @staticmethod
    def journal(filters: Mapping[str, Any]) -> _Call[list[JournalEntry]]:
        return _Call("GET", "/_mock/journal", _key("entries"), _query(**filters))

    @staticmethod
    def clear_journal() -> _Call[None]:
        return _Call("DELETE", "/_mock/journal", _nothing)


def _missing(error: NumbersMockError) -> bool:
    """A tenant the mock never saw (reset of a tenant that was not used)."""
    return error.status == 404 and error.code == "not-found"


class MockControl:
    """The control API (``/_mock/``, specs/control.yaml) over a synchronous httpx client
    whose base URL is the mock. Non-2xx answers raise :class:`NumbersMockError`.

    Tenants are named as the mock isolates them: a Bird workspace id, a Vobiz auth id.
    Keyword fields (rules, faults, journal filters) may be snake_case (``after_seconds``)
    or the API's camelCase (``afterSeconds``).
    """

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    @classmethod
    def connect(cls, url: str, *, timeout: float = 30.0, trust_env: bool = True) -> MockControl:
        """A client of its own for the mock at ``url``; close it with :meth:`close`."""
        import httpx

        return cls(httpx.Client(base_url=url, timeout=timeout, trust_env=trust_env))

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    def _do(self, call: _Call[T]) -> T:
        response = self.http.request(call.method, call.path, params=call.params, json=call.body)
        return call.finish(response)

    def health(self) -> Health:
        return self._do(_Ops.health())

    # state
    def reset(self) -> None:
        """Everything back to the scenario as loaded; rules, faults, journal cleared; the
        clock keeps its time. On a server shared by xdist workers, prefer the tenants."""
        self._do(_Ops.reset())

    def reset_tenant(self, provider: str, tenant: str, *, missing_ok: bool = False) -> bool:
        """Reset one tenant (``bird`` + workspace id, or ``vobiz`` + auth id); False when
        the mock never saw it and ``missing_ok``."""
        try:
            self._do(_Ops.reset(provider, tenant))
        except NumbersMockError as error:
            if missing_ok and _missing(error):
                return False
            raise
        return True

    def forget(self, tenant: MockTenant) -> None:
        """Reset both providers' tenants of a :class:`MockTenant` (those it used)."""
        self.reset_tenant("bird", tenant.bird_workspace_id, missing_ok=True)
        self.reset_tenant("vobiz", tenant.vobiz_auth_id, missing_ok=True)

    def state(self, provider: str | None = None, tenant: str | None = None) -> dict[str, Any]:
        """A dump of the state (everything, or one tenant's part)."""
        return self._do(_Ops.state(provider, tenant))

    def restore(self, dump: Mapping[str, Any]) -> ClockInfo:
        """Restore a full dump: the mock continues as it would have from the dump."""
        return self._do(_Ops.restore(dump))

    # clock
    def clock(self) -> ClockInfo:
        return self._do(_Ops.clock())

    def now(self) -> datetime:
        """The mock's time."""
        return _time(self.clock()["now"])

    def set_time(self, when: datetime | str) -> ClockInfo:
        """Jump forward to ``when`` (aware datetime or ISO 8601 with offset)."""
        return self._do(_Ops.set_time(when))

    def advance(self, seconds: float | timedelta) -> ClockInfo:
        """Move the clock forward; everything due by then happens, in order."""
        return self._do(_Ops.advance(seconds))

    def freeze(self) -> ClockInfo:
        return self._do(_Ops.freeze())

    def unfreeze(self) -> ClockInfo:
        return self._do(_Ops.unfreeze())

    # wallets
    def wallets(self, provider: str | None = None, tenant: str | None = None) -> list[Wallet]:
        return self._do(_Ops.wallets(provider, tenant))

    def set_wallet(
        self, provider: str, tenant: str, currency: str, balance: str | int | Decimal
    ) -> Wallet:
        """Set a balance (the tenant must have been used: the mock opens it on first use)."""
        return self._do(_Ops.set_wallet(provider, tenant, currency, balance))

    # rules
    def rules(self) -> list[Rule]:
        return self._do(_Ops.rules())

    def add_rule(self, **fields: Any) -> Rule:
        """E.g. ``add_rule(provider="vobiz", on="order", outcome="failed", after_seconds=5,
        account_id=tenant.vobiz_auth_id)``."""
        return self._do(_Ops.add_rule(fields))

    def delete_rule(self, rule_id: str) -> None:
        self._do(_Ops.delete_rule(rule_id))

    def clear_rules(self) -> None:
        self._do(_Ops.clear_rules())

    # OTP oracle
    def otp_codes(self, phone_number: str) -> list[SentCode]:
        """The codes "sent" to a number, newest first."""
        return self._do(_Ops.otp_codes(phone_number))

    def latest_otp(self, phone_number: str, *, auth_id: str | None = None) -> str:
        """The newest code sent to a number (by that Vobiz account, if given);
        LookupError if none was."""
        return _latest(phone_number, self.otp_codes(phone_number), auth_id)

    # faults
    def faults(self) -> list[Fault]:
        return self._do(_Ops.faults())

    def add_fault(self, **fields: Any) -> list[Fault]:
        """E.g. ``add_fault(provider="bird", tenant=ws, status=503)``; a profile adds
        several faults."""
        return self._do(_Ops.add_fault(fields))

    def delete_fault(self, fault_id: str) -> None:
        self._do(_Ops.delete_fault(fault_id))

    def clear_faults(self) -> None:
        self._do(_Ops.clear_faults())

    # journal
    def journal(self, **filters: Any) -> list[JournalEntry]:
        """Provider requests, newest first; filters: path (a prefix), method, provider,
        tenant, status, request_id, limit."""
        return self._do(_Ops.journal(filters))

    def clear_journal(self) -> None:
        self._do(_Ops.clear_journal())


class AsyncMockControl:
    """:class:`MockControl` over an ``httpx.AsyncClient``: the same methods, awaited."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _do(self, call: _Call[T]) -> T:
        response = await self.http.request(
            call.method, call.path, params=call.params, json=call.body
        )
        return call.finish(response)

    async def health(self) -> Health:
        return await self._do(_Ops.health())

    async def reset(self) -> None:
        await self._do(_Ops.reset())

    async def reset_tenant(self, provider: str, tenant: str, *, missing_ok: bool = False) -> bool:
        try:
            await self._do(_Ops.reset(provider, tenant))
        except NumbersMockError as error:
            if missing_ok and _missing(error):
                return False
            raise
        return True

    async def forget(self, tenant: MockTenant) -> None:
        await self.reset_tenant("bird", tenant.bird_workspace_id, missing_ok=True)
        await self.reset_tenant("vobiz", tenant.vobiz_auth_id, missing_ok=True)

    async def state(self, provider: str | None = None, tenant: str | None = None) -> dict[str, Any]:
        return await self._do(_Ops.state(provider, tenant))

    async def restore(self, dump: Mapping[str, Any]) -> ClockInfo:
        return await self._do(_Ops.restore(dump))

    async def clock(self) -> ClockInfo:
        return await self._do(_Ops.clock())

    async def now(self) -> datetime:
        return _time((await self.clock())["now"])

    async def set_time(self, when: datetime | str) -> ClockInfo:
        return await self._do(_Ops.set_time(when))

    async def advance(self, seconds: float | timedelta) -> ClockInfo:
        return await self._do(_Ops.advance(seconds))

    async def freeze(self) -> ClockInfo:
        return await self._do(_Ops.freeze())

    async def unfreeze(self) -> ClockInfo:
        return await self._do(_Ops.unfreeze())

    async def wallets(self, provider: str | None = None, tenant: str | None = None) -> list[Wallet]:
        return await self._do(_Ops.wallets(provider, tenant))

    async def set_wallet(
        self, provider: str, tenant: str, currency: str, balance: str | int | Decimal
    ) -> Wallet:
        return await self._do(_Ops.set_wallet(provider, tenant, currency, balance))

    async def rules(self) -> list[Rule]:
        return await self._do(_Ops.rules())

    async def add_rule(self, **fields: Any) -> Rule:
        return await self._do(_Ops.add_rule(fields))

    async def delete_rule(self, rule_id: str) -> None:
        await self._do(_Ops.delete_rule(rule_id))

    async def clear_rules(self) -> None:
        await self._do(_Ops.clear_rules())

    async def otp_codes(self, phone_number: str) -> list[SentCode]:
        return await self._do(_Ops.otp_codes(phone_number))

    async def latest_otp(self, phone_number: str, *, auth_id: str | None = None) -> str:
        return _latest(phone_number, await self.otp_codes(phone_number), auth_id)

    async def faults(self) -> list[Fault]:
        return await self._do(_Ops.faults())

    async def add_fault(self, **fields: Any) -> list[Fault]:
        return await self._do(_Ops.add_fault(fields))

    async def delete_fault(self, fault_id: str) -> None:
        await self._do(_Ops.delete_fault(fault_id))

    async def clear_faults(self) -> None:
        await self._do(_Ops.clear_faults())

    async def journal(self, **filters: Any) -> list[JournalEntry]:
        return await self._do(_Ops.journal(filters))

    async def clear_journal(self) -> None:
        await self._do(_Ops.clear_journal())


@contextmanager
def sync_asgi_transport(app: Starlette) -> Iterator[httpx.BaseTransport]:
    """A synchronous httpx transport to an ASGI app, in-process, for the block's duration.

    httpx's ASGITransport is async-only (and Starlette's TestClient now warns that it is
    moving to another package): this one runs the app on an asyncio loop in a daemon thread
    of its own, so it works from plain tests and from inside a running event loop alike.
    Closing a client that uses it leaves it working; the thread stops when the block ends.
    """
    import asyncio

    import httpx

    class SyncASGITransport(httpx.BaseTransport):
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            self._inner = httpx.ASGITransport(app=app)
            self._loop = loop

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.read()  # the body as bytes, which the async transport can stream too
            return asyncio.run_coroutine_threadsafe(self._send(request), self._loop).result()

        async def _send(self, request: httpx.Request) -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="numbers-mock-asgi", daemon=True)
    thread.start()
    try:
        yield SyncASGITransport(loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


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
