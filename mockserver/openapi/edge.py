"""The validating edge: one pure-ASGI middleware in front of every provider operation.

For each request: route by the spec (404/405), authenticate (401), read the body within
the size limit (413), apply any injected fault, check its media type (415) and JSON
(422/400), validate against the spec (422), run the handler, and, when response validation
is on, check the reply against the spec too. Every failure is answered in the provider's own
dialect. The control plane (/_mock/) is one more site with its own spec and dialect
(problem+json); provider requests are recorded in the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.clock import Clock
from mockserver.errors import (
    ContractBroken,
    MalformedBody,
    MockError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from mockserver.exchange import Call, Reply
from mockserver.faults import Faults, Target
from mockserver.journal import Entry, Journal
from mockserver.openapi.loader import Spec
from mockserver.openapi.routing import Router
from mockserver.openapi.validation import NO_BODY, Incoming, SpecValidator
from mockserver.providers.base import ErrorContext, Surface
from mockserver.rng import RandomStream

log = logging.getLogger("mockserver")
# The journal's status for a request whose client left mid-body (nginx's convention).
CLIENT_CLOSED_REQUEST = 499
# State dumps restored through the control plane outgrow the providers' body limit.
CONTROL_BODY_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Site:
    """A surface with the router and validator built from its spec at start-up."""

    surface: Surface
    spec: Spec
    router: Router
    validator: SpecValidator


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sites: Sequence[Site],
        clock: Clock,
        request_ids: RandomStream,
        validate_responses: bool,
        max_body_bytes: int,
        failures: list[ContractBroken],
        journal: Journal,
        faults: Faults,
    ) -> None:
        self.app = app
        self.sites = sites
        self.clock = clock
        self.request_ids = request_ids
        self.validate_responses = validate_responses
        self.max_body_bytes = max_body_bytes
        self.failures = failures
        self.journal = journal
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        site = self._site(scope["path"])
        request_id = f"req_{self.request_ids.hex(12)}"
        exchange = _Exchange(site, scope, request_id)
        arrived = self.clock.now() if site.surface.journaled else None
        checked = self.validate_responses
        try:
            reply = await self._serve(exchange, receive)
        except _ClientGone:
            # The client left before its body arrived: nothing ran, no one to answer.
            if arrived is not None:
                self._record(exchange, CLIENT_CLOSED_REQUEST, arrived, started)
            return
        except MockError as error:
            reply = site.surface.render_error(error, ErrorContext(request_id, self.clock.now()))
            if isinstance(error, PayloadTooLarge) and not _takes_body(exchange):
                checked = False  # a body where the spec takes none: 413 is in no response list
        except Exception as error:  # a bug in the mock: say so in the provider's dialect
            log.exception("numbers-mock bug while serving %s %s", scope["method"], scope["path"])
            reply = self._broken(exchange, 500, [f"{type(error).__name__}: {error}"])
            checked = False  # already reported; a 500 is in no spec
        if checked and exchange.incoming is not None and exchange.fault is None:
            problems = site.validator.response(
                exchange.incoming, reply.status, reply.body, reply.headers, reply.media_type
            )
            if problems:
                reply = self._broken(exchange, reply.status, problems)
        await _send(send, reply, _encode(reply), request_id)
        if arrived is not None:
            self._record(exchange, reply.status, arrived, started)

    def _record(self, exchange: _Exchange, status: int, arrived: Any, started: float) -> None:
        scope, incoming = exchange.scope, exchange.incoming
        self.journal.record(
            Entry(
                request_id=exchange.request_id,
                at=arrived,
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                provider=exchange.site.surface.provider,
                operation_id=incoming.operation.operation_id if incoming else None,
                tenant=exchange.tenant,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                fault=exchange.fault,
            )
        )

    async def _serve(self, exchange: _Exchange, receive: Receive) -> Reply:
        site, scope = exchange.site, exchange.scope
        operation, path_params = site.router.match(scope["method"], scope["path"])
        headers = _headers(scope)
        incoming = exchange.incoming = Incoming(
            operation=operation,
            path=scope["path"],
            path_params=path_params,
            query=_query(scope),
            headers=list(headers.items()),
            content_type=headers.get("content-type", ""),
        )
        exchange.tenant = site.surface.tenant_of(None, path_params)
        principal = (
            None
            if operation.operation_id in site.surface.open_operations
            else site.surface.authenticate(headers)
        )
        exchange.tenant = site.surface.tenant_of(principal, path_params)
        if self.faults and site.surface.journaled:
            await self._fault(exchange, operation.operation_id)
        limit = self.max_body_bytes if site.surface.journaled else CONTROL_BODY_LIMIT
        incoming.body = await _read_body(receive, headers, limit)
        incoming.document = _parse_body(incoming, incoming.body)
        validated = site.validator.request(incoming)
        call = Call(
            operation_id=operation.operation_id,
            principal=principal,
            path=validated.path,
            query=validated.query,
            body=validated.body,
            request_id=exchange.request_id,
            base_url="" if site.surface.journaled else _base_url(scope, headers),
        )
        return site.surface.handlers[operation.operation_id](call)

    async def _fault(self, exchange: _Exchange, operation_id: str) -> None:
        """Latency, then the forced error if any: before the handler, so nothing changes."""
        scope = exchange.scope
        target = Target(
            exchange.site.surface.provider,
            operation_id,
            scope["method"],
            scope["path"],
            exchange.tenant,
        )
        effect = self.faults.effect(target, self.clock.now())
        if effect is None:
            return
        exchange.fault = effect.fault_id
        if effect.delay_seconds > 0:
            await asyncio.sleep(effect.delay_seconds)
        if effect.error is not None:
            raise effect.error

    def _site(self, path: str) -> Site:
        for site in self.sites:
            if path.startswith(site.surface.path_prefixes):
                return site
        return self.sites[0]  # unknown paths answer 404 in the first surface's dialect

    def _broken(self, exchange: _Exchange, status: int, problems: list[str]) -> Reply:
        incoming = exchange.incoming
        operation_id = incoming.operation.operation_id if incoming else exchange.scope["path"]
        error = ContractBroken(operation_id, status, problems)
        log.error("%s", error)
        self.failures.append(error)
        del self.failures[:-100]  # keep the most recent, bounded
        context = ErrorContext(exchange.request_id, self.clock.now())
        return exchange.site.surface.render_error(error, context)


class _ClientGone(Exception):
    """The client disconnected while its request body was still arriving."""


def _takes_body(exchange: _Exchange) -> bool:
    incoming = exchange.incoming
    return incoming is not None and bool(incoming.operation.body_media_types)


class _Exchange:
    """One request's progress through the edge."""

    __slots__ = ("fault", "incoming", "request_id", "scope", "site", "tenant")

    def __init__(self, site: Site, scope: Scope, request_id: str) -> None:
        self.site = site
        self.scope = scope
        self.request_id = request_id
        self.incoming: Incoming | None = None
        self.tenant: str | None = None
        self.fault: str | None = None  # the id of the fault that changed the answer


def _base_url(scope: Scope, headers: Mapping[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _query(scope: Scope) -> list[tuple[str, str]]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True)


async def _read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone  # http.disconnect: the body will never be complete
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse_body(incoming: Incoming, body: bytes) -> Any:
    """Media type and JSON syntax, before the schema: each has its own status."""
    media_types = incoming.operation.body_media_types
    if not media_types or not body:
        return NO_BODY  # no body expected (it is ignored), or none sent (the schema says if needed)
    media_type = incoming.content_type.split(";", 1)[0].strip().lower()
    if media_type not in media_types:
        raise UnsupportedMediaType(incoming.content_type)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also invalid UTF-8 and nesting beyond 1024 levels
        raise MalformedBody(str(exc)) from None


def _encode(reply: Reply) -> bytes | None:
    if reply.body is None:
        return None
    if reply.media_type.endswith("json"):
        return orjson.dumps(reply.body)
    return str(reply.body).encode()


async def _send(send: Send, reply: Reply, payload: bytes | None, request_id: str) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
    if payload is not None:
        headers.append((b"content-type", reply.media_type.encode()))
    headers.append((b"content-length", str(len(payload or b"")).encode()))
    headers.extend(
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers
    )
    start: Message = {"type": "http.response.start", "status": reply.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": payload or b""})
