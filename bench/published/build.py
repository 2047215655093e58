"""Build bench/published/bird-numbers.yaml: the Bird numbers API as Bird publishes it.

    python bench/published/build.py                      # from ../shared/seeds
    python bench/published/build.py --seeds DIR --check  # fail if the committed file differs

Bird's API docs embed, per operation, a self-contained OpenAPI 3.0 document (a fragment:
the operation's path and every component it refers to). The copies of those pages in
shared/seeds/ are the only input: each ```json block that is an OpenAPI document titled
"Numbers" is merged into one spec, which bench/run.py serves with Prism beside numbers-mock
(a user would run Prism on the provider's spec, not on the mock's own, larger one).

Merging keeps everything as published. Paths, components and tags are unioned; a component
several fragments carry must be the same in each, except for descriptions (Bird words the
access key's description two ways): the first fragment's wording is kept, in file order. Any
other difference, or a $ref that resolves nowhere, stops the build: the spec is then not
what Bird published, and no guess is made.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
OUTPUT = HERE / "bird-numbers.yaml"
BLOCK = re.compile(r"```json[^\n]*\n(.*?)\n```", re.S)
TOP = ("openapi", "info", "servers", "security")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS, help=f"default {SEEDS}")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default {OUTPUT}")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    fragments = list(bird_fragments(args.seeds))
    if not fragments:
        sys.exit(f"build: no Bird numbers fragments in {args.seeds}")
    text = render(merge(fragments), fragments)
    if args.check:
        if args.output.read_text() != text:
            sys.exit(f"build: {args.output} is not what {args.seeds} builds")
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output} from {len(fragments)} fragments")
    return 0


def bird_fragments(seeds: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every OpenAPI document titled "Numbers" in the seed pages, in file and page order."""
    found = []
    for page in sorted(seeds.glob("*.txt")):
        for block in BLOCK.findall(page.read_text()):
            try:
                document = json.loads(block)
            except json.JSONDecodeError:
                continue  # a block of example output, not a document
            if (
                isinstance(document, dict)
                and "openapi" in document
                and document.get("info", {}).get("title") == "Numbers"
            ):
                found.append((page.name, document))
    return found


def merge(fragments: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    first = fragments[0][1]
    merged: dict[str, Any] = {key: first[key] for key in TOP if key in first}
    merged |= {"tags": [], "paths": {}, "components": {}}
    for source, fragment in fragments:
        for key in TOP:
            if fragment.get(key) != merged.get(key):
                sys.exit(f"build: {source}: {key} differs from the first fragment's")
        for tag in fragment.get("tags", []):
            if tag["name"] not in [t["name"] for t in merged["tags"]]:
                merged["tags"].append(tag)
        for path, operations in fragment.get("paths", {}).items():
            into = merged["paths"].setdefault(path, {})
            for method, operation in operations.items():
                if method in into and into[method] != operation:
                    sys.exit(f"build: {source}: {method.upper()} {path} published twice, unlike")
                into[method] = operation
        for kind, components in fragment.get("components", {}).items():
            into = merged["components"].setdefault(kind, {})
            for name, component in components.items():
                if name in into and undescribed(into[name]) != undescribed(component):
                    sys.exit(f"build: {source}: components/{kind}/{name} differs")
                into.setdefault(name, component)
    unresolved = sorted(ref for ref in refs(merged) if not resolves(merged, ref))
    if unresolved:
        sys.exit(f"build: unresolved references: {', '.join(unresolved)}")
    return merged


def undescribed(node: Any) -> Any:
    """The node without its descriptions: what a merge must find the same."""
    if isinstance(node, dict):
        return {k: undescribed(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [undescribed(v) for v in node]
    return node


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def render(spec: dict[str, Any], fragments: list[tuple[str, dict[str, Any]]]) -> str:
    pages = sorted({source for source, _ in fragments})
    operations = [
        f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops
    ]
    header = [
        "# Bird's numbers API as Bird publishes it: generated by bench/published/build.py from",
        f"# the {len(fragments)} OpenAPI fragments embedded in Bird's API docs pages, copies in",
        f"# shared/seeds/ ({', '.join(pages)}). Do not edit: run the builder.",
        "# Operations:",
        *[f"#   {operation}" for operation in operations],
    ]
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


if __name__ == "__main__":
    raise SystemExit(main())
