"""SIGTERM with provider requests still in flight after the grace period: each gets its
provider's 503, the process prints no traceback and exits 0.

Only a fault's latency or a slow body keeps a request in flight that long (handlers are
synchronous); both are tried, on a `python -m mockserver` with a one-second grace.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.credentials import AVAILABILITY, BIRD, LONG_CODES, STOCK, VOBIZ

pytestmark = pytest.mark.socket
GUARD = 20.0  # seconds before a broken shutdown fails the test instead of hanging it


@contextmanager
def mockserver(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--shutdown-grace", "1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = re.search(r"(http://\S+) ", process.stdout.readline())
        assert ready, "no readiness line"
        yield process, ready.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=GUARD)


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, then its stderr once it exited."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=GUARD)
    return err


def in_background(call: Any) -> tuple[threading.Thread, list[httpx.Response]]:
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(call()))
    thread.start()
    return thread, answers


def test_requests_delayed_by_a_fault_get_their_providers_503() -> None:
    with (
        mockserver() as (process, base_url),
        httpx.Client(base_url=base_url, timeout=GUARD) as client,
    ):
        fault = client.post("/_mock/faults", json={"latencyMs": {"min": 60_000, "max": 60_000}})
        assert fault.status_code == 201
        bird, bird_answers = in_background(lambda: client.get(STOCK, headers=BIRD))
        vobiz, vobiz_answers = in_background(
            lambda: client.get(AVAILABILITY, params={"country": "IN"}, headers=VOBIZ)
        )
        wait_for_hits(client, 2)
        err = stop(process)
        bird.join(GUARD)
        vobiz.join(GUARD)
    [bird_answer], [vobiz_answer] = bird_answers, vobiz_answers
    assert bird_answer.status_code == 503
    assert bird_answer.json()["code"] == "ServiceUnavailable"
    assert vobiz_answer.status_code == 503
    assert vobiz_answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert vobiz_answer.json()["requestId"] == vobiz_answer.headers["x-request-id"]
    for answer in (bird_answer, vobiz_answer):
        assert answer.headers["connection"] == "close"
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "CancelledError" not in err


def wait_for_hits(client: httpx.Client, hits: int) -> None:
    """Until the faults have changed `hits` requests: those are in flight (a fault acts
    before the body is read and counts its hit first)."""
    deadline = time.monotonic() + GUARD
    while sum(f["hits"] for f in client.get("/_mock/faults").json()["faults"]) < hits:
        assert time.monotonic() < deadline, "the requests never reached the fault"
        time.sleep(0.05)


def test_a_request_whose_body_is_still_coming_gets_its_providers_503() -> None:
    with (
        mockserver() as (process, base_url),
        httpx.Client(base_url=base_url, timeout=GUARD) as client,
    ):
        # A fault of no consequence, to see the request reach the edge (its body comes next).
        client.post("/_mock/faults", json={"latencyMs": {"min": 1, "max": 1}})
        host, _, port = urlsplit(base_url).netloc.partition(":")
        with socket.create_connection((host, int(port)), timeout=GUARD) as sock:
            head = (
                f"POST {LONG_CODES} HTTP/1.1\r\nHost: mock\r\n"
                f"Authorization: {BIRD['Authorization']}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"numberStockItemIds": [')
            wait_for_hits(client, 1)  # then it waits for the rest (30 s by default)
            err = stop(process)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 503 Service Unavailable", answer[:300]
    assert b'"code":"ServiceUnavailable"' in rest
    assert process.returncode == 0, err
    assert "Traceback" not in err
