"""What refusing a hostile request costs the server (issue 14), beside a valid request of
the same size.

    python bench/limits.py                 # every case, the server's CPU per request
    python bench/limits.py --quick         # fewer repetitions
    python bench/limits.py --only query    # the cases whose name contains "query"

A `mockserver` process (this checkout first on PYTHONPATH, the bench scenario's 100,000-item
US stock, pinned to CPU 0 when taskset is there) gets each request over one keep-alive
connection, sent and answered one at a time, from this process (CPU 1). Measured: the
server's user + system CPU (/proc/<pid>/stat) over all repetitions of a case, per request,
and the wall time per request as the client sees it. Each hostile request is paired with a
valid one of the same size in bytes: the same query string padded with parameters the
operation does not declare (ignored), or the same body padded with JSON whitespace (the
cheapest valid request of a size: the parser skips whitespace at memory speed), and a
valid stock search whose query string makes up the same size; valid buys buy a fresh stock
item each. Not run in CI. Run from a checkout nobody edits
meanwhile; to measure an older commit, copy this file into a worktree of it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "bench" / "scenario.yaml"
SERVER_CPU, LOAD_CPU = 0, 1
KEY = "bench_access_key_000000000000000"
ORG = "d0b85ccc-b63a-4e81-b698-c359d77d250e"
WS = "d386a801-ee8d-4aba-a7e4-78671bd3b11e"
STOCK = f"/organizations/{ORG}/numbers-stock-items"
BUY = f"/workspaces/{WS}/numbers-long-code"
KIB = 1024


@dataclass(frozen=True)
class Case:
    name: str
    pair: str  # cases of one pair have the same size and are compared
    build: Callable[[Server], bytes]  # one whole request, on a keep-alive connection
    repeat: int


@dataclass(frozen=True)
class Measured:
    case: Case
    size: int
    statuses: dict[int, int]
    cpu_ms: float  # the server's, per request
    wall_ms: float


class Server:
    """A `mockserver` process and one keep-alive connection to it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.sock: socket.socket | None = None
        self._ids: Iterator[str] = iter(())

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def exchange(self, request: bytes) -> int:
        """Send one request, read its answer; the status (a new connection when the
        server closed the last one)."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=600)
        # Refused before the end (431): the answer is already on its way.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(request)
        status, closes = read_answer(self.sock)
        if closes:
            self.sock.close()
            self.sock = None
        return status

    def fresh_id(self) -> str:
        """A stock item nobody bought yet (listed page by page, as a client would)."""
        for item in self._ids:
            return item
        self._ids = iter(self._list_ids(2000))
        return next(self._ids)

    def _list_ids(self, count: int) -> list[str]:
        found: list[str] = []
        token = ""
        while len(found) < count:
            query = "countryCodes=US&limit=99" + (f"&pageToken={token}" if token else "")
            body = self.get_json(f"{STOCK}?{query}")
            found += [item["id"] for item in body["results"]]
            token = body.get("nextPageToken", "")
            if not token:
                break
        return found

    def get_json(self, target: str) -> Any:
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(request("GET", target, connection="close"))
            data = b""
            while chunk := sock.recv(1 << 16):
                data += chunk
        return json.loads(data.partition(b"\r\n\r\n")[2])


def read_answer(sock: socket.socket) -> tuple[int, bool]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError(f"the server closed without an answer: {data[:200]!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise RuntimeError("the server closed mid-answer")
        rest += chunk
    return int(lines[0].split()[1]), headers.get("connection") == "close"


def request(
    method: str,
    target: str,
    body: bytes = b"",
    *,
    extra: str = "",
    connection: str = "keep-alive",
) -> bytes:
    head = (
        f"{method} {target} HTTP/1.1\r\nHost: mock\r\nAuthorization: AccessKey {KEY}\r\n"
        f"Connection: {connection}\r\n{extra}"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


# --- the cases ---------------------------------------------------------------------------------


def padded_query(query: str, size: int) -> str:
    """`query` with parameters the operation does not declare, to `size` characters."""
    pads: list[str] = []
    length = len(query)
    index = 0
    while length + 8 <= size:
        pad = f"&p{index}=v"
        pads.append(pad)
        length += len(pad)
        index += 1
    return query + "".join(pads) + "&q=" + "v" * max(size - length - 3, 0)


def padded_body(document: Any, size: int) -> bytes:
    """`document` as JSON, then whitespace (still the same document) to `size` bytes."""
    raw = json.dumps(document).encode()
    return raw[:-1] + b" " * max(size - len(raw), 0) + raw[-1:]


def query_cases() -> list[Case]:
    crowded = "countryCodes=US&limit=1&" + "&".join(["features=sms"] * 70_000)
    size = len(crowded)
    invalid = padded_query("countryCodes=US&limit=1&" + "&".join(["features=sms"] * 100), size)
    valid = padded_query("countryCodes=US&limit=1", size)
    return [
        Case("query 0.9 MB, valid (undeclared padding): 200", "query", q(valid), 20),
        Case("query 0.9 MB, 70,000 features= (guard): 422", "query", q(crowded), 20),
        Case("query 0.9 MB, 100 invalid features= + padding: 422", "query", q(invalid), 20),
    ]


def q(query: str) -> Callable[[Server], bytes]:
    return lambda server: request("GET", f"{STOCK}?{query}")


def body_cases() -> list[Case]:
    cases = []
    hostile: list[tuple[str, Any, int]] = [
        ("100,000 invalid ids (guard)", {"numberStockItemIds": ["x"] * 100_000}, 20),
        ("1,000 invalid ids (validated)", {"numberStockItemIds": ["x"] * 1000}, 300),
        ("60,000 unknown properties", {f"k{i}": 1 for i in range(60_000)}, 20),
        ("1,000 arrays of 100 (guard passes)", {"numberStockItemIds": [[0] * 100] * 1000}, 50),
    ]
    for label, document, repeat in hostile:
        raw = json.dumps(document).encode()
        size = f"{len(raw) / KIB:,.0f} KiB"
        pair = f"body {label}"
        cases.append(Case(f"body {size}, valid buy (whitespace): 201", pair, buy(len(raw)), repeat))
        search = padded_query("countryCodes=US&limit=1", len(raw) - len(STOCK) + len(BUY))
        cases.append(Case(f"query {size}, valid stock search: 200", pair, q(search), repeat))
        cases.append(Case(f"body {size}, {label}: 422", pair, post(raw), repeat))
    return cases


def buy(size: int) -> Callable[[Server], bytes]:
    def build(server: Server) -> bytes:
        return request("POST", BUY, padded_body({"numberStockItemIds": [server.fresh_id()]}, size))

    return build


def post(raw: bytes) -> Callable[[Server], bytes]:
    return lambda server: request("POST", BUY, raw)


def header_cases() -> list[Case]:
    return [
        Case("header 60 KiB, valid: 200", "header 64 KiB", header(60 * KIB), 300),
        Case("header 65 KiB, past the limit: 431", "header 64 KiB", header(65 * KIB), 300),
        Case("header 200 MB: 431 (the server drains it)", "header 200 MB", header(200 << 20), 3),
    ]


def header(size: int) -> Callable[[Server], bytes]:
    whole = request("GET", f"{STOCK}?countryCodes=US&limit=1", extra=f"X-Pad: {'a' * size}\r\n")
    return lambda server: whole  # built once: 200 MB is not copied per repetition


# --- running -------------------------------------------------------------------------------------


@contextmanager
def mockserver() -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    pin = ["taskset", "-c", str(SERVER_CPU)] if shutil.which("taskset") else []
    command = [*pin, sys.executable, "-m", "mockserver", "--port", str(port)]
    command += ["--scenario", str(SCENARIO), "--log-level", "warning"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    server = Server(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.get_json("/_mock/health")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        if pin:
            os.sched_setaffinity(0, {LOAD_CPU})
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(server: Server, case: Case, repeat: int) -> Measured:
    warm = case.build(server)
    server.exchange(warm)  # warm: the first request of a kind compiles its validators
    requests = [case.build(server) for _ in range(repeat)]
    statuses: dict[int, int] = {}
    cpu, wall = server.cpu_seconds(), time.perf_counter()
    for one in requests:
        status = server.exchange(one)
        statuses[status] = statuses.get(status, 0) + 1
    wall = time.perf_counter() - wall
    cpu = server.cpu_seconds() - cpu
    return Measured(case, len(warm), statuses, cpu / repeat * 1000, wall / repeat * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the repetitions")
    parser.add_argument("--only", default="", help="only the cases whose name contains this")
    args = parser.parse_args()
    cases = [*query_cases(), *body_cases(), *header_cases()]
    cases = [c for c in cases if args.only in c.name or args.only in c.pair]
    rows: list[Measured] = []
    with mockserver() as server:
        for case in cases:
            repeat = max(1, case.repeat // 5) if args.quick else case.repeat
            rows.append(measure(server, case, repeat))
            row = rows[-1]
            print(
                f"  {case.name}: {row.cpu_ms:.2f} ms CPU, {row.wall_ms:.2f} ms wall "
                f"({repeat} x {row.size:,} bytes, {row.statuses})",
                flush=True,
            )
    print()
    print("| request | bytes | answers | server CPU ms / request | wall ms / request |")
    print("|---|---|---|---|---|")
    for row in rows:
        answers = ", ".join(f"{n} x {s}" for s, n in sorted(row.statuses.items()))
        print(
            f"| {row.case.name} | {row.size:,} | {answers} | {row.cpu_ms:.2f} | {row.wall_ms:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
