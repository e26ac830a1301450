"""`services.ingest.domain.decoding`: the three CloudEvents HTTP modes and what is refused."""

from __future__ import annotations

import json

import pytest

from schemas.events import MessageReceived, parse_event
from services.ingest.domain.decoding import RequestUndecodable, decode_request, media_type
from tests.unit.builders import attributes, new_customer

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def refusal(content_type: str | None, headers: dict[str, str], body: bytes, limit: int = 10):
    with pytest.raises(RequestUndecodable) as caught:
        decode_request(content_type, headers, body, limit)
    return caught.value


def test_media_type_ignores_parameters_and_case() -> None:
    assert media_type("Application/CloudEvents+JSON; charset=utf-8") == STRUCTURED
    assert media_type(None) == ""


def test_structured_mode_decodes_one_event_and_keeps_the_body_to_dead_letter() -> None:
    event = attributes("contact.started", {"channel": "voice"}, subject=new_customer())
    body = json.dumps(event).encode()

    decoded = decode_request(f"{STRUCTURED}; charset=utf-8", {}, body, 10)

    assert decoded.mode == "structured"
    assert decoded.events == [event]
    assert decoded.raw_events == [body]


def test_structured_mode_wins_over_stray_ce_headers() -> None:
    event = attributes("contact.started", {"channel": "voice"}, subject=new_customer())
    decoded = decode_request(STRUCTURED, {"ce-id": "other"}, json.dumps(event).encode(), 10)
    assert decoded.mode == "structured"
    assert decoded.events[0]["id"] == event["id"]


def test_binary_mode_reads_percent_encoded_ce_headers() -> None:
    customer = new_customer("cust-é")
    headers = {
        "Ce-Specversion": "1.0",
        "ce-id": "evt%2F1",
        "ce-source": "/channels/chat/caf%C3%A9",
        "ce-type": "message.received",
        "ce-subject": customer.replace("é", "%C3%A9"),
        "ce-time": "2025-03-03T09%3A00%3A00%2B01%3A00",
        "user-agent": "channel-gateway/2.1",
    }
    body = json.dumps({"channel": "chat", "text": "Where is my refund?"}).encode()

    decoded = decode_request("application/json; charset=utf-8", headers, body, 10)

    assert decoded.mode == "binary"
    assert decoded.raw_events == [body]
    assert decoded.events == [
        {
            "specversion": "1.0",
            "id": "evt/1",
            "source": "/channels/chat/café",
            "type": "message.received",
            "subject": customer,
            "time": "2025-03-03T09:00:00+01:00",
            "datacontenttype": "application/json",
            "data": {"channel": "chat", "text": "Where is my refund?"},
        }
    ]
    parsed = parse_event(decoded.events[0])
    assert parsed.customer_id == customer
    assert isinstance(parsed.data, MessageReceived)
    assert parsed.data.text == "Where is my refund?"


def test_binary_mode_without_a_content_type_is_read_as_json() -> None:
    decoded = decode_request(
        None, {"ce-id": "b-2", "ce-type": "contact.started"}, b'{"channel":"ivr"}', 10
    )
    assert decoded.mode == "binary"
    assert decoded.events[0]["data"] == {"channel": "ivr"}


def test_binary_mode_with_non_json_data_is_unsupported() -> None:
    error = refusal("text/plain", {"ce-id": "b-3"}, b"hello")
    assert error.status == 415
    assert error.field == "content-type"
    assert "'text/plain'" in error.reason


def test_binary_mode_with_bad_json_data_is_a_bad_request() -> None:
    error = refusal("application/json", {"ce-id": "b-4"}, b"{channel: voice}")
    assert error.status == 400
    assert error.field == "body"
    assert error.reason.startswith("the data is not valid JSON")


def test_batch_mode_decodes_each_event_and_a_compact_copy_to_dead_letter() -> None:
    customer = new_customer()
    first = attributes("contact.started", {"channel": "voice"}, subject=customer)
    second = {"not": "an event"}
    body = json.dumps([first, second], indent=2).encode()

    decoded = decode_request(BATCH, {}, body, 10)

    assert decoded.mode == "batch"
    assert decoded.events == [first, second]
    assert [json.loads(raw) for raw in decoded.raw_events] == [first, second]
    assert all(b"\n" not in raw and b", " not in raw for raw in decoded.raw_events)


def test_batch_of_exactly_the_limit_is_accepted() -> None:
    events = [{"id": str(i)} for i in range(3)]
    assert len(decode_request(BATCH, {}, json.dumps(events).encode(), 3).events) == 3


def test_empty_batch_is_a_bad_request() -> None:
    error = refusal(BATCH, {}, b"[]")
    assert (error.status, error.field, error.reason) == (400, "body", "the batch is empty")


def test_batch_that_is_not_an_array_is_a_bad_request() -> None:
    error = refusal(BATCH, {}, b'{"id": "1"}')
    assert error.status == 400
    assert "JSON array" in error.reason


def test_batch_over_the_limit_is_too_large() -> None:
    body = json.dumps([{"id": str(i)} for i in range(4)]).encode()
    error = refusal(BATCH, {}, body, limit=3)
    assert error.status == 413
    assert error.field == "body"
    assert "4 events" in error.reason and "limit is 3" in error.reason


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_no_cloudevents_mode_is_unsupported_media_type(content_type: str | None) -> None:
    error = refusal(content_type, {"content-type": content_type or ""}, b"{}")
    assert error.status == 415
    assert error.field == "content-type"
    assert STRUCTURED in error.reason and BATCH in error.reason
    assert repr(media_type(content_type) or "nothing") in error.reason


def test_bad_json_names_line_and_column() -> None:
    body = b'{\n  "id": "a",\n  "source": oops\n}'
    error = refusal(STRUCTURED, {}, body)
    assert error.status == 400
    assert error.field == "body"
    assert error.reason == "the event is not valid JSON: Expecting value at line 3 column 13"
    assert str(error) == f"body: {error.reason}"


def test_bad_json_in_a_batch_says_it_is_the_batch() -> None:
    error = refusal(BATCH, {}, b'[{"id": "1"},]')
    assert error.status == 400
    assert error.reason.startswith("the batch is not valid JSON")
    assert "line 1 column 14" in error.reason  # the stray "]"


def test_body_that_is_not_utf8_is_a_bad_request() -> None:
    error = refusal(STRUCTURED, {}, b'{"text": "caf\xe9"}')
    assert (error.status, error.field) == (400, "body")
    assert error.reason == "the event is not UTF-8"
