"""Outcome rules: "the next 2 orders of workspace W are rejected", consumed in order.

A rule names the event it applies to (`on`), the outcome to force, how many events it
covers and, optionally, the scope (a workspace, an account) it is limited to. The first
matching rule with uses left wins and loses one use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Rule:
    id: str
    on: str  # the event: "order", "whatsapp", ...
    outcome: str
    remaining: int
    scope: str | None = None  # None: any tenant
    params: Mapping[str, Any] = field(default_factory=dict)


class Rules:
    __slots__ = ("_rules", "_taken")

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self._rules: list[Rule] = list(rules or [])
        # The ids of the rules taken since `drain_taken` last ran: what the edge's access
        # log names as applied to the request that took them (never dumped).
        self._taken: list[str] = []

    def __iter__(self) -> Any:
        return iter(list(self._rules))

    def add(self, rule: Rule) -> None:
        self._rules.append(rule)

    def remove(self, rule_id: str) -> bool:
        before = len(self._rules)
        self._rules = [rule for rule in self._rules if rule.id != rule_id]
        return len(self._rules) != before

    def drop_scope(self, scope: str) -> None:
        """Forget the rules limited to this tenant (it was reset)."""
        self._rules = [rule for rule in self._rules if rule.scope != scope]

    def clear(self) -> None:
        self._rules.clear()

    def take(self, on: str, scope: str) -> Rule | None:
        """The first rule for this event and scope, with one use consumed."""
        for rule in self._rules:
            if rule.on == on and rule.scope in (None, scope):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                self._taken.append(rule.id)
                del self._taken[:-16]  # bounded, should no one drain them
                return rule
        return None

    def drain_taken(self) -> tuple[str, ...]:
        """The ids of the rules taken since the last call (a request takes a few at most)."""
        if not self._taken:
            return ()
        taken = tuple(self._taken)
        self._taken.clear()
        return taken
