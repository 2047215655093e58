"""The control plane's documented operations, as the dashboard calls them: by operationId,
in process, with the values the spec declares, answered with the JSON the API returns.

The dashboard is a client of the control plane (DESIGN.md, decision 16): a page shows what
these operations return and nothing else, and what a page changes its script changes by
calling the same operations over HTTP. So the dashboard needs no access to the state, and
the control plane's tests cover what it shows.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from mockserver.exchange import Answer, Call, Handler


class ControlApi:
    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self._handlers = handlers

    def __call__(
        self,
        operation_id: str,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """The operation's JSON answer; its errors are raised (errors.MockError) as the
        HTTP API would answer them. For an operation that answers at once: one that waits
        for something outside the mock (a webhook receiver, a drain) is `answer`'s."""
        answer = self._answer(operation_id, path, query, body)
        if inspect.isawaitable(answer):
            close = getattr(answer, "close", None)
            if close is not None:
                close()  # never started: nothing ran, and no "never awaited" warning
            raise TypeError(
                f"{operation_id} waits before it answers: a page calls it with "
                "`await api.answer(...)`"
            )
        return answer.body

    async def answer(
        self,
        operation_id: str,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """The operation's JSON answer, awaited when the handler waits (exchange.Answer):
        for a page that is itself a coroutine (the edge awaits a page's awaitable reply)."""
        answer = self._answer(operation_id, path, query, body)
        reply = await answer if inspect.isawaitable(answer) else answer
        return reply.body

    def _answer(
        self,
        operation_id: str,
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        body: Any,
    ) -> Answer:
        call = Call(
            operation_id=operation_id,
            principal=None,
            path=path or {},
            query={k: v for k, v in (query or {}).items() if v is not None},
            body=body,
            request_id="dashboard",
        )
        return self._handlers[operation_id](call)

    def health(self) -> dict[str, Any]:
        found: dict[str, Any] = self("getHealth")
        return found

    def spec(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self("getSpec", path={"file": f"{name}.json"})
        return found
