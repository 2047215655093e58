"""Write the README's "Supported operations" tables from the provider specs.

The specs are the routing table (DESIGN.md, decision 2): every operation the mock serves is
in them, so the README's list of operations is generated from them rather than kept by hand,
where it would drift. Each row links to the operation's entry in docs/fidelity.md, which
says what the mock copies from the provider and what it invented.

    .venv/bin/python docs/operations.py          # rewrite the block in README.md
    .venv/bin/python docs/operations.py --check  # exit 1, and say so, when it is stale

tests/contract/test_docs_readme.py runs the check, so a spec change that leaves the README
behind fails the suite with the command above.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIDELITY = "docs/fidelity.md"  # as linked from README.md
BEGIN = "<!-- operations:begin -->"
END = "<!-- operations:end -->"
NOTE = (
    "<!-- Generated from specs/ by docs/operations.py: edit the specs, then run "
    "`.venv/bin/python docs/operations.py`. -->"
)
# The spec's own order of methods within a path item (OpenAPI 3.0, Path Item Object).
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMMAND = ".venv/bin/python docs/operations.py"


@dataclass(frozen=True, slots=True)
class Provider:
    title: str
    spec: str  # file name under specs/
    base_url: str  # the real API's, whose paths the mock serves as they are


PROVIDERS = (
    Provider("Bird Numbers API", "bird-numbers.yaml", "https://api.bird.com"),
    Provider("Bird platform numbers API", "bird-platform.yaml", "https://eu1.platform.bird.com"),
    Provider("Vobiz WhatsApp numbers API", "vobiz-numbers.yaml", "https://api.vobiz.ai"),
    Provider("Vobiz account and phone-number API", "vobiz-account.yaml", "https://api.vobiz.ai"),
)


@dataclass(frozen=True, slots=True)
class Row:
    method: str
    path: str
    operation_id: str
    summary: str
    origin: str  # documented | extension | invented: where the operation itself comes from


def load(provider: Provider, root: Path = ROOT) -> Mapping[str, Any]:
    """The spec as written in the checkout (the README documents the checkout)."""
    with (root / "specs" / provider.spec).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict) or "paths" not in document:
        raise SystemExit(f"specs/{provider.spec} is not an OpenAPI document")
    return document


def rows(document: Mapping[str, Any]) -> Iterator[Row]:
    """Every operation, in the spec's order: by path, then by method."""
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                yield Row(
                    method=method.upper(),
                    path=path,
                    operation_id=operation["operationId"],
                    summary=" ".join(str(operation.get("summary", "")).split()),
                    origin=origin(operation),
                )


def origin(operation: Mapping[str, Any]) -> str:
    """The first word of the operation's `x-mock-note`: an operation the provider does not
    document is an `extension:` or `invented:`; anything else (`documented:`, `mended:`)
    is the provider's own."""
    note = str(operation.get("x-mock-note", ""))
    kind = note.split(":", 1)[0].strip()
    return kind if kind in ("extension", "invented") else "documented"


def anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to
    hyphens. A fidelity entry's heading is its operationId in backticks."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(provider: Provider, operations: Sequence[Row]) -> str:
    lines = [
        f"### {provider.title}",
        "",
        f"{len(operations)} operations of [specs/{provider.spec}](specs/{provider.spec}), "
        f"at the paths of `{provider.base_url}`.",
        "",
        "| Method | Path | operationId | Summary | Fidelity |",
        "|---|---|---|---|---|",
    ]
    for row in operations:
        link = f"[{row.origin}]({FIDELITY}#{anchor(f'`{row.operation_id}`')})"
        lines.append(
            f"| `{row.method}` | `{cell(row.path)}` | `{row.operation_id}` "
            f"| {cell(row.summary)} | {link} |"
        )
    return "\n".join(lines)


def block(root: Path = ROOT) -> str:
    """The README's generated block, markers included."""
    tables = [table(p, list(rows(load(p, root)))) for p in PROVIDERS]
    return "\n".join([BEGIN, NOTE, "", "\n\n".join(tables), "", END])


def rewrite(readme: str, generated: str) -> str:
    """The README with its block replaced; the markers must be there, once each."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise SystemExit(f"README.md needs exactly one {BEGIN} and one {END}")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + generated + tail


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    parser.add_argument("--readme", type=Path, default=README, help="the README to rewrite")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    fresh = rewrite(current, block())
    if fresh == current:
        return 0
    if args.check:
        sys.stderr.write(f"{args.readme.name}: the operations table is stale; run {COMMAND}\n")
        return 1
    args.readme.write_text(fresh, encoding="utf-8")
    sys.stderr.write(f"{args.readme.name}: operations table rewritten\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
