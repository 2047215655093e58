"""The access log (mockserver/logs.py): one line a request from the edge, in text or JSON.

In-process the edge's records are read with caplog and put through the CLI's formatters;
one test runs `mockserver --log-format json` and reads the lines it prints.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys

import httpx
import pytest

from mockserver.cli import parse_settings
from mockserver.logs import ACCESS_LOGGER, JsonFormatter, TextFormatter, logging_config
from mockserver.settings import Settings
from tests.support.credentials import BIRD, BIRD_ORG, BIRD_WS, LONG_CODES, ORDERS, STOCK, VOBIZ

US_STOCK = {"countryCodes": "US", "limit": "1"}


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


async def test_a_provider_request_gets_one_access_line_with_its_fields(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    found = await client.get(STOCK, params=US_STOCK, headers=BIRD)
    [record] = access_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert line.pop("time").endswith("Z")
    assert line.pop("durationMs") > 0
    assert line == {
        "level": "info",
        "logger": ACCESS_LOGGER,
        "message": f"GET {STOCK}?countryCodes=US&limit=1 200",
        "requestId": found.headers["x-request-id"],
        "provider": "bird",
        "tenant": BIRD_ORG,
        "operationId": "listOrganizationNumbersStockItems",
        "method": "GET",
        "path": STOCK,
        "query": "countryCodes=US&limit=1",
        "status": 200,
    }


async def test_the_rule_and_the_fault_a_request_met_are_named(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    rule = {"provider": "bird", "on": "payment", "outcome": "declined"}
    rule_id = (await client.post("/_mock/rules", json=rule)).json()["id"]
    [item] = (await client.get(STOCK, params=US_STOCK, headers=BIRD)).json()["results"]
    fault = {"provider": "vobiz", "operationId": "createWhatsAppNumberOrder", "status": 503}
    [injected] = (await client.post("/_mock/faults", json=fault)).json()["faults"]
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    buy = {"numberStockItemIds": [item["id"]]}
    declined = await client.post(LONG_CODES, json=buy, headers=BIRD)
    assert declined.status_code == 402
    faulted = await client.post(ORDERS, json={"country_iso": "IN"}, headers=VOBIZ)
    assert faulted.status_code == 503
    bought, ordered = (r.access for r in access_records(caplog))  # type: ignore[attr-defined]
    assert (bought["tenant"], bought["status"], bought["rules"]) == (BIRD_WS, 402, [rule_id])
    assert "fault" not in bought
    assert (ordered["status"], ordered["fault"]) == (503, injected["id"])
    assert "rules" not in ordered


async def test_health_probes_and_specs_are_debug_lines(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    await client.get("/_mock/health")
    await client.get("/_mock/specs/bird.json")
    await client.post("/_mock/clock/advance", json={"seconds": 1})
    # At info only the control plane's change is logged; the probe and the spec are not.
    assert [r.getMessage() for r in access_records(caplog)] == ["POST /_mock/clock/advance 200"]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=ACCESS_LOGGER)
    await client.get("/_mock/health")
    await client.get("/_mock/specs/bird.json")
    [health, spec] = access_records(caplog)
    assert (health.levelno, health.access["operationId"]) == (logging.DEBUG, "getHealth")  # type: ignore[attr-defined]
    assert (spec.levelno, spec.access["path"]) == (logging.DEBUG, "/_mock/specs/bird.json")  # type: ignore[attr-defined]


async def test_debug_adds_why_a_request_was_rejected(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    bad = {"countryCodes": "usa", "limit": "1000"}
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    assert (await client.get(STOCK, params=bad, headers=BIRD)).status_code == 422
    [info] = access_records(caplog)
    assert "problems" not in info.access  # type: ignore[attr-defined]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=ACCESS_LOGGER)
    assert (await client.get(STOCK, params=bad, headers=BIRD)).status_code == 422
    [debug] = access_records(caplog)
    problems = debug.access["problems"]  # type: ignore[attr-defined]
    where = {p.split(":")[0]: p for p in problems}
    assert set(where) == {"query.countryCodes[0]", "query.limit"}
    assert where["query.limit"].endswith("(maximum)")
    assert (await client.post(LONG_CODES, content=b"{", headers=BIRD)).status_code in (400, 415)
    assert access_records(caplog)[-1].access["problems"]  # type: ignore[attr-defined]


async def test_the_text_format_reads_as_a_line_of_names_and_values(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    found = await client.get(STOCK, params={"countryCodes[]": "US"}, headers=BIRD)
    [record] = access_records(caplog)
    text = TextFormatter().format(record)
    request_id = found.headers["x-request-id"]
    duration = record.access["durationMs"]  # type: ignore[attr-defined]
    assert text == (
        f"WARNING:  GET {STOCK}?countryCodes%5B%5D=US 200 request_id={request_id} "
        f"duration_ms={duration} provider=bird tenant={BIRD_ORG} "
        "operation=listOrganizationNumbersStockItems "
        'warnings="unknown query parameter \\"countryCodes[]\\""'
    )


def test_log_format_is_a_setting_with_its_variable() -> None:
    assert parse_settings([]).log_format == "text"
    assert parse_settings(["--log-format", "JSON"]).log_format == "json"
    assert parse_settings([], {"MOCKSERVER_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(SystemExit):
        parse_settings(["--log-format", "xml"])
    config = logging_config(Settings(log_format="json", log_level="debug"))
    assert config["loggers"][ACCESS_LOGGER]["level"] == logging.DEBUG
    assert config["handlers"]["stdout"]["stream"] == "ext://sys.stdout"


@pytest.mark.socket
def test_the_cli_prints_json_access_lines_and_no_probes_at_info() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        base = ready.split(" ready at ")[1].split(" ")[0]
        for _ in range(3):
            httpx.get(f"{base}/_mock/health", timeout=10)
        found = httpx.get(f"{base}{STOCK}", params=US_STOCK, headers=BIRD, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line["requestId"] == found.headers["x-request-id"]
    assert (line["level"], line["operationId"], line["status"]) == (
        "info",
        "listOrganizationNumbersStockItems",
        200,
    )
    # uvicorn's own lines are JSON too, on stderr; its plain access line is gone.
    started = [json.loads(text) for text in err.splitlines()]
    assert {entry["logger"] for entry in started} == {"uvicorn.error"}
