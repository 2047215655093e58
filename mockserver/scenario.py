"""Scenario files (fixtures/*.yaml): load, check against the schema, point at the bad line.

A scenario says what the mock starts with: tenants and their credentials, wallets, stock
generation rules. Each provider's `seed` module turns its section into state; this module
only reads and checks the file, so every error names `file:line` and the setting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from mockserver.resources import fixture_file

DEFAULT_SCENARIO = "default.yaml"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ScenarioError(Exception):
    """A scenario that cannot be used; the message is one line naming file, line and setting."""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    source: str
    data: Mapping[str, Any]
    _tree: yaml.Node

    def section(self, provider: str) -> Mapping[str, Any]:
        """The provider's part of the scenario (its top-level key); empty if it has none."""
        part = self.data.get(provider)
        return part if isinstance(part, Mapping) else {}

    def locate(self, path: Sequence[str | int]) -> str:
        """`file:line` of the setting at `path` (or of its nearest parent)."""
        node = self._tree
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return f"{self.source}:{node.start_mark.line + 1}"

    def error(self, path: Sequence[str | int], message: str) -> ScenarioError:
        return ScenarioError(f"{self.locate(path)}: {_dotted(path)}: {message}")


def load_scenario(path: Path | None = None) -> Scenario:
    """The embedded default scenario, or the file at `path`; raises ScenarioError."""
    source = path or fixture_file(DEFAULT_SCENARIO)
    shown = str(path) if path else f"embedded {DEFAULT_SCENARIO}"
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read fixtures file {shown}: {exc}") from None
    try:
        tree = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    if tree is None or not isinstance(data, dict):
        raise ScenarioError(f"{shown}: a scenario file must be a YAML mapping")
    scenario = Scenario(str(data.get("name", "")), shown, data, tree)
    validator = _schema()
    if not validator.is_valid(data):
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.instance_path)))
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise scenario.error(list(first.instance_path), first.message + more)
    return scenario


@cache
def _schema() -> Any:
    with fixture_file("scenario.schema.json").open("rb") as handle:
        return jsonschema_rs.validator_for(json.load(handle))


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _dotted(path: Sequence[str | int]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(top level)"
