"""Find the operation for a method and path, straight from the spec's path templates (and
the other spellings a path item lists under `x-mock-path-aliases`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mockserver.errors import MethodNotAllowed, RouteNotFound
from mockserver.openapi.loader import Operation

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Matches a router remembers (method and path), and the longest path it keeps.
REMEMBERED_MATCHES = 1024
REMEMBERED_PATH = 256


@dataclass(frozen=True, slots=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    operations: dict[str, Operation]  # by method


class Router:
    """Routes tried in order, literal segments first; only those that could match are
    tried: a parameter matches within one segment, so a path matches only templates of as
    many segments, and of its first segment where that is literal (`_shape`)."""

    __slots__ = ("_by_shape", "_found", "_routes")

    def __init__(self, operations: Iterable[Operation]) -> None:
        by_template: dict[str, dict[str, Operation]] = {}
        for op in operations:
            # An alias is one more spelling of the path, bound to the same operation.
            for template in (op.path, *op.aliases):
                by_template.setdefault(template, {})[op.method] = op
        # Literal segments before parameters: /a/{id} must not shadow /a/fixed.
        ordered = sorted(by_template, key=lambda t: (-len(_PARAM.sub("", t)), t))
        self._routes = [_Route(t, _compile(t), by_template[t]) for t in ordered]
        self._by_shape: dict[tuple[int, str | None], list[_Route]] = {}
        for route in self._routes:
            count, first = _shape(route.template)
            self._by_shape.setdefault((count, first), []).append(route)
        for (count, first), routes in list(self._by_shape.items()):
            if first is not None:  # its literal routes and, in the global order, the open ones
                mixed = routes + self._by_shape.get((count, None), [])
                self._by_shape[(count, first)] = sorted(mixed, key=self._routes.index)
        # Requests matched lately: a client asks the same paths again and again.
        self._found: dict[tuple[str, str], tuple[Operation, dict[str, str]]] = {}

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation and path parameters; RouteNotFound / MethodNotAllowed otherwise.

        HEAD is served by a path's GET operation (RFC 9110 9.3.2: the same answer without
        its body), unless the spec declares a HEAD of its own."""
        found = self._found.get((method, path))
        if found is None:
            found = self._match(method, path)
            if len(path) <= REMEMBERED_PATH:  # a long path is matched each time, never kept
                if len(self._found) >= REMEMBERED_MATCHES:
                    self._found.clear()
                self._found[(method, path)] = found
        return found[0], dict(found[1])  # the parameters are the caller's to keep

    def _match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        segments = path.split("/", 2)
        count = path.count("/")
        shape = (count, segments[1] if len(segments) > 1 else "")
        candidates = self._by_shape.get(shape)
        if candidates is None:
            candidates = self._by_shape.get((count, None), [])
        for route in candidates:
            found = route.pattern.match(path)
            if found is None:
                continue
            op = route.operations.get(method)
            if op is None and method == "HEAD":
                op = route.operations.get("GET")
            if op is None:
                raise MethodNotAllowed(method, path, _allowed(route.operations))
            return op, found.groupdict()
        raise RouteNotFound(method, path)


def _shape(template: str) -> tuple[int, str | None]:
    """How many slashes a template has, and its first segment if that is literal."""
    first = template.split("/", 2)[1] if template.count("/") else ""
    return template.count("/"), None if "{" in first else first


def _allowed(operations: dict[str, Operation]) -> tuple[str, ...]:
    methods = set(operations)
    if "GET" in methods:
        methods.add("HEAD")
    return tuple(sorted(methods))


def _compile(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")
