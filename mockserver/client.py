"""The control client: numbers-mock's `/_mock/` API (specs/control.yaml) as typed methods,
synchronous (`MockControl`, over an `httpx.Client`) and asynchronous (`AsyncMockControl`,
over an `httpx.AsyncClient`), its answers' shapes as TypedDicts, and `MockTenant`, fresh
credentials no scenario knows.

    from mockserver import MockControl, NumbersMockError

    with MockControl.connect("http://localhost:8080") as mock:   # or MockControl(client)
        mock.advance(30)

It needs httpx (`pip install 'numbers-mock[pytest]'`), imported only when a client connects
on its own; nothing here imports the mock itself.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, NotRequired, TypedDict, TypeVar

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AsyncMockControl",
    "ClockInfo",
    "Credentials",
    "Fault",
    "Health",
    "JournalEntry",
    "LedgerEntry",
    "MockControl",
    "MockTenant",
    "NumbersMockError",
    "Rule",
    "SentCode",
    "Wallet",
    "WebhookAttempt",
    "WebhookDelivery",
    "InboxMessage",
]

_AUTH_ID_ALPHABET = string.ascii_uppercase + string.digits


# --- the tenant ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MockTenant:
    """Credentials of a fresh tenant in both providers, unknown to any scenario.

    The mock opens the tenants on first use (ad-hoc tenants of the scenario, with its ad-hoc
    wallet balances); a Bird ad-hoc access key may use any organization and workspace id,
    and these are fresh UUIDs. Bird's platform API (what the official `messagebird-sdk`
    calls) opens its own tenant for the API key `bird_platform_api_key`.
    """

    url: str
    bird_access_key: str
    bird_organization_id: str
    bird_workspace_id: str
    vobiz_auth_id: str
    vobiz_auth_token: str
    bird_platform_api_key: str = ""

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
            bird_platform_api_key=f"bk_eu1_{secrets.token_hex(16)}",
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

    @property
    def bird_platform_url(self) -> str:
        """Bird's platform API's base URL (its /v1/ paths are served at the mock's root)."""
        return self.url

    @property
    def bird_platform_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.bird_platform_api_key}"}

    @property
    def bird_platform_oauth_token(self) -> str:
        """The mock's stand-in for a delegated user OAuth token of this tenant's organization
        (`billing_wallets.list` needs one; an API key gets 403)."""
        return f"boa_{self.bird_platform_api_key}"

    def bird_platform_client(self, *, oauth: bool = False, **options: Any) -> Any:
        """A ready `bird.Bird` client of the official SDK (`pip install messagebird-sdk`) for
        this tenant; `oauth` speaks with its OAuth token instead of its API key. Options go
        to `bird.Bird` (e.g. `max_retries=0`, `http_client=`)."""
        import bird  # the SDK is optional: only this method needs it

        key = self.bird_platform_oauth_token if oauth else self.bird_platform_api_key
        return bird.Bird(api_key=key, base_url=self.bird_platform_url, **options)


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


class Credentials(TypedDict):
    """`GET /_mock/credentials`: per provider, its `credentials` (each with `surfaces`,
    `tenant`, `kind`, `headers` and `ids`) and `adHoc` (what other credentials open)."""

    scenario: str
    providers: list[dict[str, Any]]


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


class WebhookAttempt(TypedDict):
    id: str
    number: int
    at: str
    url: str
    outcome: str  # delivered | failed | dropped
    statusCode: int | None
    durationMs: int
    error: str | None
    responseBody: str | None
    nextAttemptAt: str | None
    headers: dict[str, str]
    fault: str | None
    duplicate: bool


class WebhookDelivery(TypedDict):
    id: str
    provider: str
    tenant: str
    subscription: str
    event: str
    eventId: str
    createdAt: str
    status: str  # pending | delivered | failed | dropped | cancelled
    nextAttemptAt: str | None
    finishedAt: str | None
    note: str | None
    once: bool
    body: str
    attempts: list[WebhookAttempt]


class InboxMessage(TypedDict):
    seq: int
    receivedAt: str
    url: str
    headers: dict[str, str]
    body: str
    json: Any
    truncated: bool
    verification: dict[str, Any]  # scheme, valid (None: nothing to check), detail
    status: int


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


def _auth(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


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
    def credentials(provider: str | None) -> _Call[Credentials]:
        return _Call("GET", "/_mock/credentials", _same, params=_query(provider=provider))

    @staticmethod
    def reset(provider: str | None = None, tenant: str | None = None) -> _Call[None]:
        body = {} if provider is None else {"provider": provider, "tenant": tenant}
        return _Call("POST", "/_mock/reset", _nothing, body=body)

    @staticmethod
    def state(provider: str | None, tenant: str | None, secrets: bool) -> _Call[dict[str, Any]]:
        query = _query(provider=provider, tenant=tenant, secrets="true" if secrets else None)
        return _Call("GET", "/_mock/state", _same, query)

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

    @staticmethod
    def webhooks() -> _Call[dict[str, Any]]:
        return _Call("GET", "/_mock/webhooks", _same)

    @staticmethod
    def deliveries(filters: Mapping[str, Any]) -> _Call[list[WebhookDelivery]]:
        return _Call("GET", "/_mock/webhooks/deliveries", _key("deliveries"), _query(**filters))

    @staticmethod
    def delivery(delivery_id: str) -> _Call[WebhookDelivery]:
        return _Call("GET", f"/_mock/webhooks/deliveries/{delivery_id}", _same)

    @staticmethod
    def redeliver(delivery_id: str) -> _Call[WebhookDelivery]:
        return _Call("POST", f"/_mock/webhooks/deliveries/{delivery_id}/redeliver", _same)

    @staticmethod
    def pause_webhooks(scope: Mapping[str, Any]) -> _Call[dict[str, Any]]:
        return _Call("POST", "/_mock/webhooks/pause", _same, body=_query(**scope))

    @staticmethod
    def resume_webhooks(scope: Mapping[str, Any]) -> _Call[dict[str, Any]]:
        return _Call("POST", "/_mock/webhooks/resume", _same, body=_query(**scope))

    @staticmethod
    def drain_webhooks(timeout: float) -> _Call[bool]:
        return _Call("POST", "/_mock/webhooks/drain", _key("idle"), body={"timeout": timeout})

    @staticmethod
    def emit_event(provider: str, tenant: str, event_type: str, data: Any) -> _Call[list[str]]:
        body = {"provider": provider, "tenant": tenant, "type": event_type, "data": data}
        return _Call("POST", "/_mock/webhooks/events", _key("deliveries"), body=body)

    @staticmethod
    def inbox(name: str, after: int, wait: float) -> _Call[list[InboxMessage]]:
        params = _query(after=after or None, wait=wait or None)
        return _Call("GET", f"/_mock/inbox/{name}", _key("messages"), params)

    @staticmethod
    def configure_inbox(name: str, respond: Sequence[int]) -> _Call[None]:
        return _Call("PUT", f"/_mock/inbox/{name}", _nothing, body={"respond": list(respond)})

    @staticmethod
    def clear_inbox(name: str) -> _Call[None]:
        return _Call("DELETE", f"/_mock/inbox/{name}", _nothing)


def _missing(error: NumbersMockError) -> bool:
    """A tenant the mock never saw (reset of a tenant that was not used)."""
    return error.status == 404 and error.code == "not-found"


class MockControl:
    """The control API (``/_mock/``, specs/control.yaml) over a synchronous httpx client
    whose base URL is the mock. Non-2xx answers raise :class:`NumbersMockError`.

    Tenants are named as the mock isolates them: a Bird workspace id, a Vobiz auth id.
    Keyword fields (rules, faults, journal filters) may be snake_case (``after_seconds``)
    or the API's camelCase (``afterSeconds``). ``token`` is the mock's control token, when
    it was started with one (``--control-token``).
    """

    def __init__(self, http: httpx.Client, *, token: str | None = None) -> None:
        self.http = http
        self.headers = _auth(token)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        timeout: float = 30.0,
        trust_env: bool = True,
        token: str | None = None,
    ) -> MockControl:
        """A client of its own for the mock at ``url``; close it with :meth:`close`."""
        import httpx

        client = httpx.Client(base_url=url, timeout=timeout, trust_env=trust_env)
        return cls(client, token=token)

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MockControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _do(self, call: _Call[T]) -> T:
        response = self.http.request(
            call.method, call.path, params=call.params, json=call.body, headers=self.headers
        )
        return call.finish(response)

    def health(self) -> Health:
        return self._do(_Ops.health())

    def credentials(self, provider: str | None = None) -> Credentials:
        """The scenario's credentials and ids, per provider and API."""
        return self._do(_Ops.credentials(provider))

    # state
    def reset(self) -> None:
        """Everything back to the scenario as loaded; rules, faults, journal cleared; the
        clock back where it started. On a server shared by xdist workers, prefer the
        tenants."""
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
        if tenant.bird_platform_api_key:
            self.reset_tenant("bird", tenant.bird_platform_api_key, missing_ok=True)
        self.reset_tenant("vobiz", tenant.vobiz_auth_id, missing_ok=True)

    def state(
        self, provider: str | None = None, tenant: str | None = None, *, secrets: bool = False
    ) -> dict[str, Any]:
        """A dump of the state (everything, or one tenant's part); with `secrets`, the
        credentials and tokens a restore needs (redacted otherwise)."""
        return self._do(_Ops.state(provider, tenant, secrets))

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

    # webhooks
    def webhooks(self) -> dict[str, Any]:
        """How webhooks are delivered (retry schedule, egress...), pauses and counts."""
        return self._do(_Ops.webhooks())

    def deliveries(self, **filters: Any) -> list[WebhookDelivery]:
        """Deliveries, newest first, with their attempts; filters: provider, tenant,
        subscription, event, outcome, limit."""
        return self._do(_Ops.deliveries(filters))

    def delivery(self, delivery_id: str) -> WebhookDelivery:
        return self._do(_Ops.delivery(delivery_id))

    def redeliver(self, delivery_id: str) -> WebhookDelivery:
        """Send a finished delivery again now (one attempt, the same id and body)."""
        return self._do(_Ops.redeliver(delivery_id))

    def pause_webhooks(self, **scope: Any) -> dict[str, Any]:
        """Hold deliveries (of a provider, tenant or subscription; all without a scope)."""
        return self._do(_Ops.pause_webhooks(scope))

    def resume_webhooks(self, **scope: Any) -> dict[str, Any]:
        """Lift the pause of exactly this scope (every pause without one)."""
        return self._do(_Ops.resume_webhooks(scope))

    def drain_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is in flight or due on the mock's clock; True if so."""
        return self._do(_Ops.drain_webhooks(timeout))

    def emit_event(
        self, provider: str, tenant: str, event_type: str, data: Any = None
    ) -> list[str]:
        """An event of a provider's catalog (the Bird platform API's `sms.received`...) to
        a tenant's subscriptions; the ids of the deliveries made."""
        return self._do(_Ops.emit_event(provider, tenant, event_type, data or {}))

    def inbox_url(self, name: str) -> str:
        """The URL of the inbox `name` inside this mock, to subscribe a webhook to."""
        return f"{self.url}/_mock/inbox/{name}"

    def inbox(self, name: str, *, after: int = 0, wait: float = 0) -> list[InboxMessage]:
        """What the inbox received after message `after`, waiting up to `wait` seconds for
        one when there is none yet."""
        return self._do(_Ops.inbox(name, after, wait))

    def configure_inbox(self, name: str, respond: Sequence[int]) -> None:
        """Answer the inbox's next messages with these statuses (then 200)."""
        self._do(_Ops.configure_inbox(name, respond))

    def clear_inbox(self, name: str) -> None:
        self._do(_Ops.clear_inbox(name))


class AsyncMockControl:
    """:class:`MockControl` over an ``httpx.AsyncClient``: the same methods, awaited."""

    def __init__(self, http: httpx.AsyncClient, *, token: str | None = None) -> None:
        self.http = http
        self.headers = _auth(token)

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _do(self, call: _Call[T]) -> T:
        response = await self.http.request(
            call.method, call.path, params=call.params, json=call.body, headers=self.headers
        )
        return call.finish(response)

    async def health(self) -> Health:
        return await self._do(_Ops.health())

    async def credentials(self, provider: str | None = None) -> Credentials:
        return await self._do(_Ops.credentials(provider))

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
        if tenant.bird_platform_api_key:
            await self.reset_tenant("bird", tenant.bird_platform_api_key, missing_ok=True)
        await self.reset_tenant("vobiz", tenant.vobiz_auth_id, missing_ok=True)

    async def state(
        self, provider: str | None = None, tenant: str | None = None, *, secrets: bool = False
    ) -> dict[str, Any]:
        return await self._do(_Ops.state(provider, tenant, secrets))

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

    async def webhooks(self) -> dict[str, Any]:
        return await self._do(_Ops.webhooks())

    async def deliveries(self, **filters: Any) -> list[WebhookDelivery]:
        return await self._do(_Ops.deliveries(filters))

    async def delivery(self, delivery_id: str) -> WebhookDelivery:
        return await self._do(_Ops.delivery(delivery_id))

    async def redeliver(self, delivery_id: str) -> WebhookDelivery:
        return await self._do(_Ops.redeliver(delivery_id))

    async def pause_webhooks(self, **scope: Any) -> dict[str, Any]:
        return await self._do(_Ops.pause_webhooks(scope))

    async def resume_webhooks(self, **scope: Any) -> dict[str, Any]:
        return await self._do(_Ops.resume_webhooks(scope))

    async def drain_webhooks(self, timeout: float = 10.0) -> bool:
        return await self._do(_Ops.drain_webhooks(timeout))

    async def emit_event(
        self, provider: str, tenant: str, event_type: str, data: Any = None
    ) -> list[str]:
        return await self._do(_Ops.emit_event(provider, tenant, event_type, data or {}))

    def inbox_url(self, name: str) -> str:
        return f"{self.url}/_mock/inbox/{name}"

    async def inbox(self, name: str, *, after: int = 0, wait: float = 0) -> list[InboxMessage]:
        return await self._do(_Ops.inbox(name, after, wait))

    async def configure_inbox(self, name: str, respond: Sequence[int]) -> None:
        await self._do(_Ops.configure_inbox(name, respond))

    async def clear_inbox(self, name: str) -> None:
        await self._do(_Ops.clear_inbox(name))
