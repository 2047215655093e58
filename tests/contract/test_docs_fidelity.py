"""docs/fidelity.md has one entry for every operation of the provider specs, and no other.

An entry is a heading `#### \\`operationId\\`` under its provider's "operations" heading, then
the operation's `METHOD /path`, then a table of what the mock does: each behaviour documented
or observed (with its source) or invented (with the reason). The README's operations table
links to these headings, so a spec change that leaves the ledger behind fails here, naming
the operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from mockserver.openapi.loader import Operation, load_spec
from mockserver.resources import spec_file

ROOT = Path(__file__).resolve().parents[2]
FIDELITY = ROOT / "docs" / "fidelity.md"
# provider -> (its spec, the word its sections of the ledger are named by)
PROVIDERS = {
    "bird": ("bird-numbers.yaml", "Bird"),
    "bird-platform": ("bird-platform.yaml", "Bird platform"),
    "vobiz": ("vobiz-numbers.yaml", "Vobiz"),
    "vobiz-account": ("vobiz-account.yaml", "Vobiz account"),
}
BEHAVIOUR_HEADER = ["Behaviour", "Kind", "Source, or why", "Changed by"]
KINDS = ("documented", "observed", "invented")
ENTRY = re.compile(r"^#### `(?P<name>[^`]+)`\s*$")
METHOD_PATH = re.compile(r"`(?P<method>[A-Z]+) (?P<path>/[^`\s]*)`")
# What a documented behaviour's source looks like: a page, or a copy of one (seed NNN).
SOURCE = re.compile(r"https://\S+|\bseeds? \d{3}\b")


@dataclass
class Section:
    """A run of the ledger under one heading, with the headings above it."""

    h2: str
    h3: str
    heading: str
    level: int
    lines: list[str] = field(default_factory=list)

    def tables(self) -> list[list[list[str]]]:
        """The Markdown tables of the section, each a list of rows of cells (header first)."""
        found: list[list[list[str]]] = []
        current: list[list[str]] = []
        for line in [*self.lines, ""]:
            if line.startswith("|"):
                if not set(line) <= set("|-: "):  # the |---| separator line
                    current.append(cells(line))
            elif current:
                found.append(current)
                current = []
        return found

    def behaviours(self) -> list[list[str]]:
        """The rows of the section's behaviour tables (Behaviour, Kind, Source, Changed by)."""
        return [row for t in self.tables() if t[0] == BEHAVIOUR_HEADER for row in t[1:]]


def cells(line: str) -> list[str]:
    """A table row's cells; `\\|` is a pipe inside a cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


@cache
def sections() -> tuple[Section, ...]:
    found: list[Section] = []
    h2 = h3 = ""
    current = Section("", "", "", 1)
    for line in FIDELITY.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^(#{1,4}) (.*)$", line)
        if heading is None:
            current.lines.append(line)
            continue
        level, title = len(heading.group(1)), heading.group(2).strip()
        if level == 2:
            h2, h3 = title, ""
        elif level == 3:
            h3 = title
        current = Section(h2, h3, title, level)
        found.append(current)
    return tuple(found)


def entries() -> list[Section]:
    return [s for s in sections() if s.level == 4]


def entry_name(section: Section) -> str:
    match = ENTRY.match(f"#### {section.heading}")
    return match.group("name") if match else ""


@cache
def operations() -> dict[str, tuple[str, Operation]]:
    """Every operationId of the provider specs -> (provider, operation)."""
    found: dict[str, tuple[str, Operation]] = {}
    for provider, (filename, _) in PROVIDERS.items():
        for op in load_spec(provider, spec_file(filename)).operations:
            found[op.operation_id] = (provider, op)
    return found


def by_entry() -> dict[str, Section]:
    return {entry_name(s): s for s in entries()}


def test_the_ledger_has_an_entry_for_every_operation() -> None:
    missing: dict[str, list[str]] = {}
    for op_id, (provider, _) in sorted(operations().items()):
        if op_id not in by_entry():
            missing.setdefault(provider, []).append(op_id)
    assert not missing, (
        "docs/fidelity.md has no entry (a `#### `operationId`` heading under its provider's "
        f"operations) for: {missing}"
    )


def test_every_entry_names_an_operation_of_the_specs() -> None:
    malformed = [s.heading for s in entries() if not entry_name(s)]
    assert not malformed, f"level-4 headings of docs/fidelity.md must be `operationId`: {malformed}"
    gone = sorted(name for name in by_entry() if name not in operations())
    assert not gone, f"docs/fidelity.md has entries for operations the specs no longer have: {gone}"


def test_each_operation_has_one_entry_under_its_providers_operations() -> None:
    names = [entry_name(s) for s in entries()]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"operations with more than one entry: {twice}"
    misplaced = []
    for name, section in by_entry().items():
        if name not in operations():
            continue
        word = PROVIDERS[operations()[name][0]][1]
        if word not in section.h2 or section.h3 != f"{word} operations":
            misplaced.append(f"{name} (under {section.h2!r} / {section.h3!r})")
    assert not misplaced, f"entries outside their provider's operations heading: {misplaced}"


def test_each_entry_names_its_method_and_path_as_the_spec_has_them() -> None:
    wrong = []
    for name, section in by_entry().items():
        if name not in operations():
            continue
        _, op = operations()[name]
        first = next((line for line in section.lines if line.strip()), "")
        found = METHOD_PATH.search(first)
        said = (found.group("method"), found.group("path")) if found else None
        if said != (op.method, op.path):
            wrong.append(f"{name}: says {said}, the spec has {(op.method, op.path)}")
    assert not wrong, "entries whose first line is not the operation's `METHOD /path`:\n" + (
        "\n".join(wrong)
    )


def test_each_entry_lists_its_behaviours() -> None:
    empty = [entry_name(s) for s in entries() if not s.behaviours()]
    assert not empty, (
        f"entries without a table of behaviours ({' | '.join(BEHAVIOUR_HEADER)}): {empty}"
    )


@pytest.mark.parametrize("section", sections(), ids=lambda s: s.heading)
def test_every_behaviour_says_where_it_comes_from(section: Section) -> None:
    """Entries, and the tables every operation of a provider shares, alike."""
    problems = []
    for row in section.behaviours():
        if len(row) != len(BEHAVIOUR_HEADER):
            problems.append(f"{len(row)} cells, not {len(BEHAVIOUR_HEADER)}: {row}")
            continue
        behaviour, kind, source, _ = row
        if kind not in KINDS:
            problems.append(f"kind {kind!r} is none of {KINDS}: {behaviour}")
        elif not source:
            problems.append(f"{kind} without its source or reason: {behaviour}")
    if any(row[1] == "documented" for row in section.behaviours()):
        text = "\n".join(section.lines)
        if not SOURCE.search(text):
            problems.append("documented behaviours, but no page or seed named")
    assert not problems, "\n".join(problems)


def test_every_seed_cited_is_listed() -> None:
    text = FIDELITY.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (\d{3}) \|", text, flags=re.MULTILINE))
    cited = set(re.findall(r"\bseed (\d{3})\b", text))
    assert listed, "the seed table (| NNN | page |) is missing"
    assert cited <= listed, f"seeds cited but not listed: {sorted(cited - listed)}"


@pytest.mark.parametrize("word", [word for _, word in PROVIDERS.values()])
def test_each_provider_says_how_it_diverges_and_what_is_not_emulated(word: str) -> None:
    wanted = (f"Known divergences from the real {word} API", f"{word} features not emulated")
    for title in wanted:
        found = [s for s in sections() if s.level == 3 and s.heading == title]
        assert found, f"docs/fidelity.md has no '### {title}'"
        assert word in found[0].h2, f"'### {title}' is outside the {word} section"
        bullets = [line for line in found[0].lines if line.startswith("- ")]
        assert len(bullets) >= 3, f"'### {title}' lists {len(bullets)} items"


# The copies of the docs pages the seeds are, beside the project (../shared/seeds/NNN_*.txt);
# absent from a clone of the repository alone, where the quote check is skipped.
SEEDS = ROOT.parent / "shared" / "seeds"
# A quotation and the seed it is attributed to: `"words" (seed NNN` or `seed NNN...: "words"`.
QUOTED_THEN_SEED = re.compile(r'"(?P<quote>[^"|]{6,})"[^"|]{0,60}?\(seeds? (?P<seed>\d{3})')
SEED_THEN_QUOTED = re.compile(r'\bseeds? (?P<seed>\d{3})[^"|]{0,40}?: "(?P<quote>[^"|]{6,})"')


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds are not beside the project")
def test_every_quotation_is_in_the_seed_it_cites() -> None:
    seeds = {path.name[:3]: _flat(path.read_text("utf-8")) for path in SEEDS.glob("*.txt")}
    text = FIDELITY.read_text(encoding="utf-8")
    quoted = [
        (match["seed"], _flat(match["quote"]).replace("...", "").strip())
        for pattern in (QUOTED_THEN_SEED, SEED_THEN_QUOTED)
        for match in pattern.finditer(text)
    ]
    assert len(quoted) >= 10, "the patterns no longer find the ledger's quotations"
    wrong = [(seed, quote) for seed, quote in quoted if quote not in seeds[seed]]
    assert wrong == [], "quoted from a seed that does not say it"


def test_the_ledger_lists_where_the_docs_disagree() -> None:
    [section] = [s for s in sections() if s.heading == "Where the provider's own docs disagree"]
    rows = [line for line in section.lines if line.startswith("| ") and "---" not in line]
    assert rows[0] == "| Conflict | What each source says | What the mock does |"
    conflicts = [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]]
    for named in ("`limit`", "`pageToken`", "`prefix`", "Error schemas", "`organizationId`"):
        assert any(c.startswith(named) for c in conflicts), named
    assert any("`features`" in c for c in conflicts)
    for row in rows[1:]:
        cells = row.strip("|").split(" | ")
        assert len(cells) == 3, row
        assert all(cell.strip() for cell in cells), row
        assert re.search(r"\bseeds? \d{3}\b|research", cells[1]), f"no source: {row}"
