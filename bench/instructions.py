"""Instructions per request, counted by valgrind (callgrind): the same figure on a busy
machine as on an idle one, unlike req/s (these machines are shared and noisy).

    python bench/instructions.py                       # compiled validator
    python bench/instructions.py --validator openapi-core
    python bench/instructions.py --log-format json      # with the access log on (info)
    python bench/instructions.py --only buy25           # a buy of 25 fresh ids at once

Each load runs twice in-process (bench/inprocess.py) with a few and with many requests;
the difference, divided by the difference in requests, is the cost of one request with
start-up taken out. The collector runs as the server runs it (the start-up heap frozen):
at Python's defaults the full collections a run happens to hit swing the count by a few
percent (bench/RESULTS.md, issue 13). Needs valgrind (Debian package `valgrind`); takes
a few minutes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
FEW, MANY = 50, 450
# A buy of 25 ids takes 25 fresh items a request: fewer requests, within the 2,000 of stock.
COUNTS = {"buy25": (10, 50)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--validator", default="compiled")
    parser.add_argument("--log-format", choices=("text", "json"), help="access log on (info)")
    parser.add_argument(
        "--only", help="one load only (get, post, platform-get, platform-post, buy25)"
    )
    args = parser.parse_args()
    log_flags = ["--log-format", args.log_format] if args.log_format else []
    label = f"{args.validator}{' ' + args.log_format + ' log' if args.log_format else ''}"
    for load in [args.only] if args.only else ["get", "post", "platform-get", "platform-post"]:
        counts = COUNTS.get(load, (FEW, MANY))
        # Both runs list the stock the larger one buys from: only the requests differ.
        prepare = [*log_flags, "--prepare-for", str(counts[1])]
        few, many = (instructions(load, n, args.validator, prepare) for n in counts)
        per_request = (many - few) / (counts[1] - counts[0])
        print(f"{label} {load.upper()}: {per_request:,.0f} instructions per request")


def instructions(load: str, requests: int, validator: str, extra: Sequence[str] = ()) -> int:
    out = Path(tempfile.mkstemp(prefix="callgrind-", suffix=".out")[1])
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(BENCH / "inprocess.py"),
        "--requests",
        str(requests),
        "--only",
        load,
        "--stock",
        "2000",
        "--validator",
        validator,
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(result.stderr[-2000:])
    return int(match.group(1))


if __name__ == "__main__":
    main()
