"""Scenario files (fixtures/*.yaml): load, check against the schema, point at the bad line.

A scenario says what the mock starts with: tenants and their credentials, wallets, stock
generation rules. Each provider's `seed` module turns its section into state; this module
only reads and checks the file, so every error names `file:line` and the setting.

Scenarios are named (`--scenario ci-strict`: a built-in one, shipped in fixtures/) or given
by path. A scenario may describe one provider only: the other starts as in the default
scenario, section for section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockserver.resources import data_dir, fixture_file, load_shipped_yaml, parse_yaml, yaml_loader

if TYPE_CHECKING:
    import yaml

DEFAULT_SCENARIO = "default.yaml"
# The top-level sections one provider each reads; a scenario without one gets the default's.
PROVIDER_SECTIONS = ("bird", "vobiz")


class ScenarioError(Exception):
    """A scenario that cannot be used: one line naming file, line and setting per problem
    (a file that breaks the schema in several places gets a line for each)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems) or (message,)


@dataclass(frozen=True, slots=True)
class BuiltIn:
    """A scenario that ships with the mock, found by its name (`--scenario NAME`)."""

    name: str
    path: Path
    description: str  # its first sentence, on one line


def built_in_scenarios() -> list[BuiltIn]:
    """The shipped scenarios, the default first, then by name, with their descriptions."""
    found = []
    for name, path in _built_in_files().items():
        data = parse_yaml(path.read_text(encoding="utf-8"))
        text = " ".join(str(data.get("description", "")).split())
        first = text.split(". ")[0].rstrip(".")
        found.append(BuiltIn(name, path, f"{first}." if first else ""))
    return found


def _built_in_files() -> dict[str, Path]:
    """fixtures/*.yaml by name (the file's stem), the default first, then by name."""
    paths = sorted(data_dir("fixtures").glob("*.yaml"))
    ordered = sorted(paths, key=lambda p: (p.name != DEFAULT_SCENARIO, p.stem))
    return {path.stem: path for path in ordered}


def resolve_scenario(name_or_path: str | Path | None) -> Path | None:
    """The file a `--scenario` value names: a built-in scenario's name (`ci-strict`), else
    a path; None stays None (the embedded default). Raises ScenarioError for neither."""
    if name_or_path is None or isinstance(name_or_path, Path):
        return name_or_path
    files = _built_in_files()
    if name_or_path in files:
        return files[name_or_path]
    path = Path(name_or_path)
    # A value with a separator or a suffix is a path, whether or not the file is there (a
    # missing file is reported when it is read, by its path); a bare word must exist.
    if path.exists() or len(path.parts) > 1 or path.suffix:
        return path
    names = ", ".join(files)
    raise ScenarioError(
        f"no built-in scenario named {name_or_path!r} (built-in: {names}; `mockserver "
        f"scenarios` lists them) and no such file (give a path, e.g. ./{name_or_path}.yaml)"
    )


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    source: str
    data: Mapping[str, Any]
    _text: str  # the file, parsed again into nodes only to point at a line (`locate`)

    def section(self, provider: str) -> Mapping[str, Any]:
        """The provider's part of the scenario (its top-level key); empty if it has none."""
        part = self.data.get(provider)
        return part if isinstance(part, Mapping) else {}

    def locate(self, path: Sequence[str | int]) -> str:
        """`file:line` of the setting at `path`: its key's line in a mapping (a value may
        start on a later line), else of its nearest parent that the file has."""
        node = _compose(self._text)
        line = node.start_mark.line
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            key, node = found
            line = (key or node).start_mark.line
        return f"{self.source}:{line + 1}"

    def error(self, path: Sequence[str | int], message: str) -> ScenarioError:
        return ScenarioError(f"{self.locate(path)}: {_dotted(path)}: {message}")


def load_scenario(path: str | Path | None = None) -> Scenario:
    """The embedded default scenario, a built-in one by name, or the file at `path`;
    raises ScenarioError."""
    path = resolve_scenario(path)
    source = path or fixture_file(DEFAULT_SCENARIO)
    shown = str(path) if path else f"embedded {DEFAULT_SCENARIO}"
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario file {shown}: {exc}") from None
    data = _parse(source, text, shown)
    if not isinstance(data, dict):
        raise ScenarioError(f"{shown}: a scenario file must be a YAML mapping")
    scenario = Scenario(str(data.get("name", "")), shown, data, text)
    validator = _schema()
    if not validator.is_valid(data):
        problems = sorted(_problems(scenario, validator.iter_errors(data)), key=_by_line)
        if len(problems) == 1:
            raise ScenarioError(problems[0])
        listed = "".join(f"\n  {problem}" for problem in problems)
        raise ScenarioError(f"{shown}: {len(problems)} problems:{listed}", problems)
    missing = [name for name in PROVIDER_SECTIONS if name not in data]
    if missing and path is not None:
        defaults = load_scenario().data
        filled = {**data, **{name: defaults[name] for name in missing}}
        scenario = Scenario(scenario.name, shown, filled, text)
    return scenario


def _parse(source: Path, text: str, shown: str) -> Any:
    """The file's data. A built-in scenario (the embedded default among them) comes from
    the shipped files' JSON cache (a test holds each to the same data as YAML): a start
    without a scenario file loads no YAML parser (importing PyYAML and parsing the file
    cost ~30 ms of a ~0.4 s start)."""
    if source.parent == data_dir("fixtures"):
        return load_shipped_yaml(source)
    import yaml

    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None


def _problems(scenario: Scenario, errors: Iterable[Any]) -> Iterator[str]:
    """One line per schema error; an unexpected key is reported at its own line, each."""
    for error in errors:
        where = list(error.instance_path)
        unexpected = getattr(error.kind, "unexpected", None)
        if unexpected:
            for key in unexpected:
                yield scenario.error([*where, key], "not a setting here").args[0]
        else:
            yield scenario.error(where, error.message).args[0]


def _by_line(problem: str) -> tuple[int, str]:
    line = re.match(r".*?:(\d+): ", problem)
    return (int(line.group(1)) if line else 0, problem)


@cache
def _schema() -> Any:
    with fixture_file("scenario.schema.json").open("rb") as handle:
        return jsonschema_rs.validator_for(json.load(handle))


@lru_cache(maxsize=4)
def _compose(text: str) -> yaml.Node:
    """The file's nodes, with their lines: composed when an error is to point at one."""
    import yaml

    node = yaml.compose(text, Loader=yaml_loader())
    assert node is not None  # a Scenario is only made of a mapping
    return node


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key, value) nodes of `part` under `node` (no key in a sequence)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def _dotted(path: Sequence[str | int]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(top level)"
