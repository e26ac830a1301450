"""What ingest refuses because downstream cannot hold it, named by field, and the
plumbing that keeps an outage from turning into 500s and floods of tracebacks."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas.events import (
    MAX_INTEGER,
    MAX_NESTING,
    MAX_STRING_CHARS,
    EventInvalid,
    content_problems,
    load_json,
    parse_event,
)
from services.ingest.domain.access import ApiKey, why_forbidden
from services.ingest.domain.decoding import RequestUndecodable, decode_request
from services.plumbing.problems import TracebackLog, install_problem_handlers


def event(**data: object) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/channels/test",
        "type": "cancellation.requested",
        "subject": "cust-1",
        "data": {"channel": "voice", "product": "broadband", **data},
    }


def problems_of(body: bytes) -> dict[str, str]:
    with pytest.raises(EventInvalid) as caught:
        parse_event(load_json(body))
    return {p.field: p.reason for p in caught.value.problems}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (json.dumps(event(reason="x\u0000y")).encode(), "data.reason", "NUL"),
        (json.dumps(event()).replace('"cust-1"', '"c\\ud800"').encode(), "subject", "surrogate"),
        (json.dumps(event(product="p" * 600_000)).encode(), "data.product", "characters long"),
        (
            json.dumps(event()).replace("}}", ', "n": ' + "9" * 5000 + "}}").encode(),
            "data.n",
            "5000 digits",
        ),
        (json.dumps(event()).replace("}}", ', "n": NaN}}').encode(), "data.n", "NaN"),
        (json.dumps(event()).replace("}}", ', "n": 1e999}}').encode(), "data.n", "out of range"),
        (json.dumps(event(n=MAX_INTEGER + 1)).encode(), "data.n", "within"),
    ],
)
def test_content_downstream_cannot_hold_is_refused_naming_the_field(
    body: bytes, field: str, words: str
) -> None:
    problems = problems_of(body)
    assert words in problems[field]


def test_nesting_is_refused_beyond_the_limit_and_a_100k_deep_body_is_a_400() -> None:
    deep: object = "leaf"
    for _ in range(MAX_NESTING + 1):
        deep = [deep]
    assert any("nested deeper" in p.reason for p in content_problems({"x": deep}))
    with pytest.raises(RequestUndecodable) as caught:
        decode_request("application/cloudevents+json", {}, b"[" * 100_000 + b"]" * 100_000, 1)
    assert caught.value.status == 400 and caught.value.field == "body"


def test_values_at_the_limits_pass() -> None:
    body = json.dumps(event(reason="r" * 256)).encode()
    assert parse_event(load_json(body)).customer_id == "cust-1"
    assert content_problems({"n": MAX_INTEGER, "s": "s" * MAX_STRING_CHARS, "ok": "é✓"}) == []


def test_a_bad_field_name_is_reported_escaped_so_the_answer_itself_is_valid_text() -> None:
    problems = content_problems({"k\u0000": 1})
    assert problems[0].field == "k\\u0000"
    json.dumps([p.model_dump() for p in problems]).encode("utf-8")


@pytest.mark.parametrize(
    "source",
    [
        "/channels/telephony/../billing",
        "/channels/telephony/%2e%2e/billing",
        "/channels/telephony/./x",
    ],
)
def test_a_scoped_key_cannot_climb_out_of_its_source(source: str) -> None:
    key = ApiKey("k", "/channels/telephony", ("*",))
    refusal = why_forbidden(key, source, "contact.started")
    assert refusal is not None and refusal[0] == "source"
    assert why_forbidden(key, "/channels/telephony2", "contact.started") is not None
    assert why_forbidden(key, "/channels/telephony/ivr-eu", "contact.started") is None


def test_a_traceback_is_logged_once_per_cause_per_period(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    tracebacks = TracebackLog(every_s=60, clock=lambda: now[0])

    def fail() -> Exception:
        try:
            raise ConnectionRefusedError("database away")
        except ConnectionRefusedError as error:
            return error

    with caplog.at_level(logging.ERROR):
        logged = [tracebacks.log("request failed", fail()) for _ in range(500)]
        now[0] = 61
        logged.append(tracebacks.log("request failed", fail()))
    assert logged.count(True) == 2
    assert "499 more like it" in caplog.records[-1].getMessage()


def test_an_unexpected_error_is_a_problem_document_and_an_outage_a_503() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/down")
    async def down() -> None:
        raise ConnectionRefusedError("database away")

    @app.get("/bug")
    async def bug() -> None:
        raise KeyError("oops")

    client = TestClient(app, raise_server_exceptions=False)
    outage, bug_answer = client.get("/down"), client.get("/bug")
    assert outage.status_code == 503 and outage.headers["retry-after"] == "2"
    assert outage.headers["content-type"] == "application/problem+json"
    assert "re-send with the same id" in outage.json()["detail"]
    assert bug_answer.status_code == 500 and bug_answer.json()["title"] == "Internal error"
