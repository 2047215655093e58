"""The limits of issue 14 on a real uvicorn: what one client may cost a shared sidecar.

Header fields past `max_header_bytes` (431), a target past 1 MiB (414), headers or a body
that do not arrive in time (408), an idle connection, too many values of a query parameter
or items of a body array (the provider's 422, before validation), the journal's excerpts,
and HEAD. Every refusal is in the dialect of the site the path names; the connection is
closed after the HTTP layer's ones. The timeouts are set short here; no assertion is about
speed (the socket timeouts only keep a broken server from hanging the suite).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from mockserver import ManualClock, Settings, create_app
from mockserver.serving import uvicorn_config
from tests.conftest import START
from tests.support.credentials import (
    AVAILABILITY,
    BIRD,
    LONG_CODES,
    ORDERS,
    STOCK,
    VERIFY,
    VOBIZ,
    VOBIZ_API,
)
from tests.support.live import serve

pytestmark = pytest.mark.socket

KIB = 1024
# Short enough that the suite does not wait long, long enough for a loaded CI machine to
# send a whole request well within it.
SHORT = 0.5
GUARD = 15.0  # seconds a socket may wait before the test fails instead of hanging
CLOSE = {"Connection": "close"}  # a 200 on the default server would otherwise idle 5 s


@dataclass(frozen=True)
class Dialect:
    """One site: a path of it, credentials, and where its error code is."""

    name: str
    path: str  # a GET operation of the site that takes query parameters
    headers: dict[str, str]
    crowded: str  # a query parameter the operation declares

    def code(self, status: int, body: dict[str, Any]) -> str:
        if self.name == "vobiz":
            assert set(body) == {"status", "error", "timestamp", "requestId"}
            return str(body["error"]["code"])
        if self.name == "control":
            assert body["status"] == status
            assert body["type"] == "about:blank"
        return str(body["code"])

    def field(self, body: dict[str, Any]) -> list[str]:
        """The fields a 422 names."""
        if self.name == "bird":
            return list(body["details"])
        if self.name == "vobiz":
            return [error["field"] for error in body["error"]["details"]["errors"]]
        return [error["path"] for error in body["errors"]]


BIRD_SITE = Dialect("bird", STOCK, BIRD, "features")
VOBIZ_SITE = Dialect("vobiz", AVAILABILITY, VOBIZ, "country")
CONTROL_SITE = Dialect("control", "/_mock/journal", {}, "provider")
SITES = [pytest.param(s, id=s.name) for s in (BIRD_SITE, VOBIZ_SITE, CONTROL_SITE)]
CODES = {
    408: {"bird": "RequestTimeout", "vobiz": "REQUEST_TIMEOUT", "control": "request-timeout"},
    431: {
        "bird": "RequestHeaderFieldsTooLarge",
        "vobiz": "REQUEST_HEADER_FIELDS_TOO_LARGE",
        "control": "request-header-fields-too-large",
    },
}


@dataclass(frozen=True)
class Raw:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after the answer

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def read_answer(sock: socket.socket, *, head: bool = False, then: bool = True) -> Raw:
    """One response (to a HEAD: without a body), then whether the connection ends there
    (reads until the server closes it, or GUARD seconds; not asked with `then` False)."""
    sock.settimeout(GUARD)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed without an answer: {data!r}"
        data += chunk
    fields, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = fields.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    length = 0 if head else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed mid-answer"
        rest += chunk
    closed = closes(sock) if then else False
    return Raw(int(status_line.split()[1]), headers, rest[:length], closed)


def closes(sock: socket.socket) -> bool:
    """Whether the server ends the connection (within GUARD seconds) without sending more."""
    sock.settimeout(GUARD)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def connect(base_url: str) -> socket.socket:
    host, _, port = urlsplit(base_url).netloc.partition(":")
    return socket.create_connection((host, int(port)), timeout=GUARD)


def exchange(base_url: str, data: bytes) -> Raw:
    with connect(base_url) as sock:
        sock.sendall(data)
        return read_answer(sock)


def head_of(method: str, path: str, headers: dict[str, str], *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: mock", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join([*lines, *extra]) + "\r\n").encode()


def assert_refused(raw: Raw, site: Dialect, status: int) -> None:
    assert raw.status == status, raw.body[:300]
    assert raw.headers["connection"] == "close"
    expected = "application/problem+json" if site.name == "control" else "application/json"
    assert raw.headers["content-type"] == expected
    assert site.code(status, raw.json()) == CODES[status][site.name]
    assert raw.closed


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Starlette, str]]:
    """A server with the default limits."""
    app = create_app(Settings(seed=21))
    with serve(app) as base_url:
        yield app, base_url


@pytest.fixture(scope="module")
def impatient() -> Iterator[tuple[Starlette, str]]:
    """A server with short timeouts."""
    settings = Settings(seed=22, header_timeout=SHORT, body_timeout=SHORT, keep_alive_timeout=SHORT)
    app = create_app(settings)
    with serve(app) as base_url:
        yield app, base_url


def assert_serving(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        assert client.get("/_mock/health").status_code == 200


# --- the size of the header fields ----------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_header_fields_past_the_limit_get_431_in_the_dialect_and_the_connection_closes(
    live: tuple[Starlette, str], site: Dialect
) -> None:
    app, base_url = live
    pad = "a" * (70 * KIB)
    raw = exchange(base_url, head_of("GET", site.path, site.headers, f"X-Pad: {pad}", ""))
    assert_refused(raw, site, 431)
    assert str(64 * KIB) in raw.body.decode()
    assert_serving(base_url)
    assert app.state.mock.failures == []


def test_header_fields_within_the_limit_are_served(live: tuple[Starlette, str]) -> None:
    _, base_url = live
    pad = "a" * (60 * KIB)
    raw = exchange(base_url, head_of("GET", "/_mock/health", CLOSE, f"X-Pad: {pad}", ""))
    assert raw.status == 200


def test_a_header_that_never_ends_is_answered_at_the_limit_not_at_its_end(
    live: tuple[Starlette, str],
) -> None:
    """The 431 comes while the client is still sending: the server stopped reading at the
    limit instead of gathering the header."""
    _, base_url = live
    with connect(base_url) as sock:
        sock.sendall(head_of("GET", STOCK, BIRD) + b"X-Endless: ")
        sent = 0
        sock.setblocking(False)
        answer = b""
        while not answer.startswith(b"HTTP/1.1 431") and sent < 64 * 1024 * KIB:
            with contextlib.suppress(BlockingIOError):
                sent += sock.send(b"a" * (16 * KIB))
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 431"), f"no 431 after {sent} bytes"


def answers_until_closed(sock: socket.socket) -> list[int]:
    """The statuses of every answer the server sends before it closes the connection."""
    sock.settimeout(GUARD)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    statuses = []
    while data:
        fields, _, rest = data.partition(b"\r\n\r\n")
        lines = fields.decode("latin-1").split("\r\n")
        length = next(int(x.split(":")[1]) for x in lines if x.lower().startswith("content-length"))
        statuses.append(int(lines[0].split()[1]))
        data = rest[length:]
    return statuses


def test_a_refusal_behind_a_request_in_flight_is_answered_after_it() -> None:
    """Pipelined: a request held by a fault's latency, then one with too large a header
    (past the limit by more than the 8 KiB a pipelined head may take beyond it). The second
    is refused while the first runs; its 431 follows the first's answer."""
    app = create_app(Settings(seed=24))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=GUARD) as client:
        fault = {
            "operationId": "listOrganizationNumbersStockItems",
            "latencyMs": {"min": 300, "max": 300},
        }
        assert client.post("/_mock/faults", json=fault).status_code == 201
        with connect(base_url) as sock:
            first = head_of("GET", f"{STOCK}?limit=1", BIRD, "")
            second = head_of("GET", "/_mock/health", {}, "X-Pad: " + "a" * (80 * KIB), "")
            sock.sendall(first + second)
            assert answers_until_closed(sock) == [200, 431]


def rss_kib(pid: int) -> dict[str, int]:
    fields = (line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {k: int(v.split()[0]) for k, v in fields if k in ("VmRSS", "VmHWM")}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_200_mb_header_does_not_grow_the_servers_memory() -> None:
    """Before the limit, uvicorn's parser gathered the whole header: a 200 MB one peaked the
    server at 453 MiB. The server's peak (VmHWM) must not move by more than noise."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = re.search(r"(http://\S+) ", process.stdout.readline())
        assert ready, "no readiness line"
        before = rss_kib(process.pid)
        with connect(ready.group(1)) as sock:

            def send_200_mb() -> None:
                try:
                    sock.sendall(head_of("GET", STOCK, BIRD) + b"X-Huge: ")
                    chunk = b"a" * (1024 * KIB)
                    for _ in range(200):
                        sock.sendall(chunk)
                except OSError:
                    pass  # the server closed after its answer: it need not read it all

            sender = threading.Thread(target=send_200_mb)
            sender.start()
            raw = read_answer(sock)
            sender.join(GUARD)
        after = rss_kib(process.pid)
        assert raw.status == 431
        assert raw.json()["code"] == "RequestHeaderFieldsTooLarge"
        assert after["VmHWM"] - before["VmHWM"] < 32 * KIB, (before, after)
    finally:
        process.terminate()
        process.communicate(timeout=GUARD)


# --- timeouts --------------------------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    impatient: tuple[Starlette, str],
) -> None:
    _, base_url = impatient
    with connect(base_url) as sock:
        assert closes(sock)


def test_a_connection_trickling_blank_lines_is_closed_like_a_silent_one(
    impatient: tuple[Starlette, str],
) -> None:
    """Empty lines before a request line are skipped (RFC 9112, 2.2) but begin no head:
    the head's deadline still runs, after a request on the connection too, so a client
    cannot hold a connection with a blank line now and then."""
    _, base_url = impatient
    with connect(base_url) as sock:
        sock.sendall(head_of("GET", "/_mock/health", {}, ""))
        assert read_answer(sock, then=False).status == 200
        closed, deadline = False, time.monotonic() + GUARD
        while not closed and time.monotonic() < deadline:
            try:
                sock.sendall(b"\r\n")  # more often than the deadline: it must not move it
                sock.settimeout(SHORT / 5)
                closed = sock.recv(65536) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True  # reset: the server closed while a blank line was on its way
        assert closed


@pytest.mark.parametrize("site", SITES)
def test_headers_that_stop_coming_get_408_in_the_dialect_and_the_connection_closes(
    impatient: tuple[Starlette, str], site: Dialect
) -> None:
    app, base_url = impatient
    partial = head_of("GET", site.path, site.headers) + b"X-Partial: sti"
    raw = exchange(base_url, partial)
    assert_refused(raw, site, 408)
    assert "headers" in raw.body.decode()
    assert app.state.mock.failures == []


BODIES = [
    pytest.param(BIRD_SITE, LONG_CODES, id="bird"),
    pytest.param(VOBIZ_SITE, ORDERS, id="vobiz"),
    pytest.param(CONTROL_SITE, "/_mock/rules", id="control"),
]


@pytest.mark.parametrize(("site", "path"), BODIES)
def test_a_body_shorter_than_its_content_length_gets_408_and_the_connection_closes(
    impatient: tuple[Starlette, str], site: Dialect, path: str
) -> None:
    app, base_url = impatient
    head = head_of(
        "POST", path, site.headers, "Content-Type: application/json", "Content-Length: 100", ""
    )
    raw = exchange(base_url, head + b'{"numberStockItemIds": [')
    assert_refused(raw, site, 408)
    assert "body" in raw.body.decode()
    assert app.state.mock.failures == []


def test_a_chunk_shorter_than_declared_gets_408(impatient: tuple[Starlette, str]) -> None:
    _, base_url = impatient
    head = head_of(
        "POST", LONG_CODES, BIRD, "Content-Type: application/json", "Transfer-Encoding: chunked", ""
    )
    raw = exchange(base_url, head + b"64\r\n" + b'{"numberStockItemIds": [')
    assert_refused(raw, BIRD_SITE, 408)


def test_an_early_answer_does_not_hold_the_connection_for_the_body_it_left_unread(
    impatient: tuple[Starlette, str],
) -> None:
    """No credentials: 401 before the body is read. The body that never completes must not
    keep the connection open (it would, with a client trickling a byte now and then)."""
    _, base_url = impatient
    head = head_of("POST", LONG_CODES, {}, "Content-Type: application/json", "Content-Length: 100")
    raw = exchange(base_url, head + b"\r\n{")
    assert raw.status == 401
    assert raw.closed


def test_an_idle_keep_alive_connection_is_closed(impatient: tuple[Starlette, str]) -> None:
    _, base_url = impatient
    raw = exchange(base_url, head_of("GET", "/_mock/health", {}, ""))
    assert raw.status == 200
    assert "connection" not in raw.headers  # kept alive, until it idles
    assert raw.closed


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
def test_a_slowloris_is_closed_while_other_clients_are_served(
    impatient: tuple[Starlette, str],
) -> None:
    """300 connections send part of their headers and stop; until the last of them is
    answered, another client keeps getting answers. Each slow one gets its 408 and is
    closed, and every file descriptor the server opened for them comes back."""
    app, base_url = impatient
    assert_serving(base_url)
    baseline = open_fds()
    slow = [connect(base_url) for _ in range(300)]
    refused: list[Raw] = []
    try:
        for sock in slow:
            sock.sendall(head_of("GET", STOCK, BIRD) + b"X-Slow: ")
        reader = threading.Thread(target=lambda: refused.extend(read_answer(s) for s in slow))
        reader.start()
        answers = []
        with httpx.Client(base_url=base_url, timeout=GUARD) as client:
            while reader.is_alive():
                answers.append(client.get("/_mock/health").status_code)
        reader.join()
    finally:
        for sock in slow:
            sock.close()
    assert answers
    assert set(answers) == {200}
    assert len(refused) == 300
    assert {(raw.status, raw.closed) for raw in refused} == {(408, True)}
    assert_fds_come_back(baseline)
    assert app.state.mock.failures == []


def assert_fds_come_back(baseline: int) -> None:
    """The server closes its side when its timers fire: wait (bounded) for the count."""
    for _ in range(int(GUARD / 0.1)):
        if open_fds() <= baseline:
            break
        time.sleep(0.1)
    assert open_fds() <= baseline


def test_the_limits_settings_reach_every_server_built_from_the_app() -> None:
    """The CLI, the pytest plugin and tests/support/live.py all call uvicorn_config(app):
    the app's own settings decide the limits."""
    settings = Settings(
        max_header_bytes=1000,
        header_timeout=1.5,
        body_timeout=2.5,
        keep_alive_timeout=3.5,
        shutdown_grace=4.5,
    )
    config = uvicorn_config(create_app(settings))
    assert (config.limits.max_header_bytes, config.limits.header_timeout) == (1000, 1.5)
    assert config.limits.body_timeout == 2.5
    assert (config.timeout_keep_alive, config.timeout_graceful_shutdown) == (3.5, 4.5)


def test_a_small_header_limit_is_enforced() -> None:
    app = create_app(Settings(seed=23, max_header_bytes=2 * KIB))
    with serve(app) as base_url:
        within = exchange(
            base_url, head_of("GET", "/_mock/health", CLOSE, "X-Pad: " + "a" * 1900, "")
        )
        raw = exchange(base_url, head_of("GET", "/_mock/health", {}, "X-Pad: " + "a" * 2100, ""))
    assert within.status == 200
    assert raw.status == 431
    assert "2048" in raw.json()["detail"]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--header-timeout", "0", "--header-timeout: '0' must be more than 0"),
        ("--body-timeout", "soon", "--body-timeout: 'soon' is not a number of seconds"),
        ("--keep-alive-timeout", "inf", "--keep-alive-timeout: 'inf' must be more than 0"),
        ("--max-header-bytes", "-1", "--max-header-bytes: '-1' must be a positive integer"),
        ("--max-query-values", "0", "--max-query-values: '0' must be a positive integer"),
    ],
)
def test_a_bad_limit_exits_2_naming_it(flag: str, value: str, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", flag, value],
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"mockserver: error: {message}"), done.stderr
    assert done.stderr.count("\n") == 1


# --- guards before validation ---------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_too_many_values_of_a_query_parameter_get_422_naming_it(
    live: tuple[Starlette, str], site: Dialect
) -> None:
    app, base_url = live
    params = [(site.crowded, "x")] * 101
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        response = client.get(site.path, params=params, headers=site.headers)
        within = client.get(site.path, params=params[:100], headers=site.headers)
    assert response.status_code == 422
    body = response.json()
    wanted = {"bird": f".{site.crowded}", "vobiz": site.crowded, "control": f"/{site.crowded}"}
    assert site.field(body) == [wanted[site.name]]
    assert "at most 100 values" in response.text
    assert "at most 100 values" not in within.text  # 100 are validated as usual
    assert app.state.mock.failures == []


def test_the_query_guard_answers_before_validation(live: tuple[Starlette, str]) -> None:
    """70,000 invalid `features` values: one problem, the guard's, not one per value (the
    validator would have checked each; bench/RESULTS.md has what that cost)."""
    _, base_url = live
    target = f"{STOCK}?countryCodes=US&" + "&".join(["features=sms"] * 70_000)
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=GUARD)
    connection.request("GET", target, headers=BIRD)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 422
    assert body["details"] == {
        ".features": ["at most 100 values are accepted for one parameter (the mock's limit)"]
    }


def test_undeclared_query_parameters_are_not_counted(live: tuple[Starlette, str]) -> None:
    """They are ignored, however many: validating them costs nothing."""
    _, base_url = live
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        response = client.get("/_mock/health", params=[("x", "1")] * 500)
    assert response.status_code == 200


ARRAYS = [
    pytest.param(LONG_CODES, BIRD, "numberStockItemIds", ".numberStockItemIds", id="bird"),
    # Vobiz declares no array in a request body: an unknown property is guarded all the same.
    pytest.param(ORDERS, VOBIZ, "numbers", "numbers", id="vobiz"),
]


@pytest.mark.parametrize(("path", "headers", "name", "field"), ARRAYS)
def test_too_many_items_in_a_body_array_get_422_naming_the_field(
    live: tuple[Starlette, str], path: str, headers: dict[str, str], name: str, field: str
) -> None:
    app, base_url = live
    ids = ["08222c7d-e3d8-4ab7-bed1-6c3505fc135b"] * 1001
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        response = client.post(path, json={name: ids}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    if "error" in body:  # Vobiz
        [error] = body["error"]["details"]["errors"]
        assert (error["field"], error["code"]) == (field, "OUT_OF_RANGE")
        message = error["message"]
    else:
        assert list(body["details"]) == [field]
        [message] = body["details"][field]
    assert message == "value must contain at most 1000 items (the mock's limit)"
    assert app.state.mock.failures == []


def test_too_many_members_of_a_body_object_get_422_naming_it(
    live: tuple[Starlette, str],
) -> None:
    """60,000 unknown properties: one problem, not a message listing 60,000 names."""
    _, base_url = live
    body = {f"k{i}": 1 for i in range(60_000)}
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        response = client.post(LONG_CODES, json=body, headers=BIRD)
    assert response.status_code == 422
    assert response.json()["details"] == {
        ".": ["value must have at most 1000 properties (the mock's limit)"]
    }


def test_a_long_invalid_array_reports_the_first_problems_only(
    live: tuple[Starlette, str],
) -> None:
    """1000 bad ids (within the guard): every one is invalid, 50 problems are reported, and
    the array's own problem (more than 25 ids) is among them."""
    _, base_url = live
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        response = client.post(LONG_CODES, json={"numberStockItemIds": ["x"] * 1000}, headers=BIRD)
    assert response.status_code == 422
    details = response.json()["details"]
    assert sum(len(messages) for messages in details.values()) == 50
    assert "value must contain at most 25 items" in details[".numberStockItemIds"]


# --- the journal's excerpts ---------------------------------------------------------------------


def test_the_journal_keeps_an_excerpt_of_a_huge_query(live: tuple[Starlette, str]) -> None:
    """10 requests with a 0.9 MB query string: each entry keeps 4096 characters of it,
    marked truncated (whole, they would be 9 MB of journal; a full journal 900 MB)."""
    app, base_url = live
    app.state.mock.journal.clear()
    query = "countryCodes=US&" + "&".join(f"p{i}=v" for i in range(110_000))
    assert len(query) > 900_000
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=GUARD)
    for _ in range(10):
        connection.request("GET", f"{STOCK}?{query}", headers=BIRD)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    connection.close()
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        client.get(STOCK, params={"limit": 1}, headers=BIRD)
        entries = client.get("/_mock/journal", params={"limit": 11}).json()["entries"]
    short, *huge = entries
    assert (short["query"], short["truncated"]) == ("limit=1", False)
    assert len(huge) == 10
    assert {(entry["query"], entry["truncated"]) for entry in huge} == {(query[:4096], True)}


def test_the_journal_keeps_an_excerpt_of_a_huge_path(live: tuple[Starlette, str]) -> None:
    app, base_url = live
    path = f"{VOBIZ_API}/numbers/whatsapp/orders/" + "o" * 10_000
    with httpx.Client(base_url=base_url, timeout=GUARD) as client:
        answer = client.get(path, headers=VOBIZ)
        [entry] = client.get("/_mock/journal", params={"limit": 1}).json()["entries"]
    assert answer.status_code in (404, 422)
    assert (entry["path"], entry["truncated"]) == (path[:4096], True)


# --- HEAD ------------------------------------------------------------------------------------


HEADS = [
    pytest.param(f"{STOCK}?limit=2", BIRD, id="bird"),
    pytest.param(f"{VOBIZ_API}/channels/whatsapp", VOBIZ, id="vobiz"),
    pytest.param("/_mock/health", {}, id="control"),
    pytest.param("/workspaces/not-a-uuid/numbers-long-code", BIRD, id="bird-422"),
]


@pytest.mark.parametrize(("path", "headers"), HEADS)
def test_head_answers_like_get_without_the_body(
    live: tuple[Starlette, str], path: str, headers: dict[str, str]
) -> None:
    """On one connection: HEAD, then GET. The HEAD has the GET's status, type and length
    and no body (the GET after it parses: nothing stray is left on the connection)."""
    app, base_url = live
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=GUARD)
    connection.request("HEAD", path, headers=headers)
    head = connection.getresponse()
    head_body = head.read()
    connection.request("GET", path, headers=headers)
    get = connection.getresponse()
    get_body = get.read()
    connection.close()
    assert head_body == b""
    assert head.status == get.status
    for name in ("content-type", "content-length"):
        assert head.getheader(name) == get.getheader(name)
    assert int(get.getheader("content-length", "0")) == len(get_body) > 0
    assert app.state.mock.failures == []


def test_head_where_there_is_no_get_is_405(live: tuple[Starlette, str]) -> None:
    _, base_url = live
    with connect(base_url) as sock:
        sock.sendall(head_of("HEAD", VERIFY, {**VOBIZ, "Connection": "close"}, ""))
        raw = read_answer(sock, head=True)
    assert raw.status == 405
    assert raw.headers["allow"] == "POST"


async def test_the_edge_limits_are_the_apps_settings() -> None:
    """--max-query-values, --max-body-items and --journal-excerpt-chars reach the edge
    (create_app hands it EdgeLimits.of(settings)), not only their defaults."""
    settings = Settings(max_query_values=3, max_body_items=2, journal_excerpt_chars=40)
    app = create_app(settings, clock=ManualClock(START))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        params = [("countryCodes", "US")] + [("features", "sms-inbound")] * 4
        crowded = await client.get(STOCK, params=params, headers=BIRD)
        three = await client.get(STOCK, params=params[:4], headers=BIRD)
        body = {"numberStockItemIds": [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]}
        too_many = await client.post(LONG_CODES, json=body, headers=BIRD)
        [entry, *_] = (await client.get("/_mock/journal")).json()["entries"]
    assert crowded.status_code == 422
    assert "at most 3 values" in crowded.text
    assert three.status_code == 200
    assert too_many.status_code == 422
    assert "at most 2" in too_many.text
    assert entry["truncated"] is True
    assert len(entry["path"]) + len(entry.get("query", "")) <= 2 * 40 + 2
