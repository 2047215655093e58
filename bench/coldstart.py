"""Cold start of `mockserver` with no arguments (the embedded default scenario): seconds
from the process start until GET /_mock/health answers 200, the server pinned to CPU 0.

    python bench/coldstart.py                     # this checkout, 9 starts
    python bench/coldstart.py --starts 15 /tmp/base .   # checkouts side by side

Several checkouts are started in turn, one start of each per round, so that all share the
machine's weather (its load swings start-up by 2x between minutes: compare checkouts in
one run, not runs of different minutes). Each checkout is byte-compiled first, as an
installed package is (as run.compile_source does). Prints the median, the fastest and every start.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import time
from pathlib import Path
from statistics import median

from bench import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=9, help="starts per checkout (default 9)")
    parser.add_argument("trees", nargs="*", type=Path, help="checkouts (default: this one)")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees] or [run.ROOT]
    for tree in trees:
        compileall.compile_dir(tree / "mockserver", quiet=1)
    samples: dict[Path, list[float]] = {tree: [] for tree in trees}
    for _ in range(args.starts):
        for tree in trees:
            samples[tree].append(cold_start(tree))
            time.sleep(0.1)
    for tree, starts in samples.items():
        listed = " ".join(f"{s:.3f}" for s in starts)
        print(f"{tree}: median {median(starts):.3f} s, fastest {min(starts):.3f} s; all: {listed}")
    return 0


def cold_start(tree: Path) -> float:
    """One start of `python -m mockserver --port P` from `tree`, to a healthy answer."""
    port = run.free_port()
    command = [sys.executable, "-m", "mockserver", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cwd = Path.cwd()
    os.chdir(tree)  # run.started starts the server in the current directory
    try:
        with run.started(command, env) as server:
            return run.wait_ready(port, "/_mock/health", server)
    finally:
        os.chdir(cwd)


if __name__ == "__main__":
    sys.exit(main())
