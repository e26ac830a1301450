"""`schemas.events.parse_event`: every v1 event type, and every way an event is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.events import (
    CancellationRequested,
    Channel,
    ComplaintFiled,
    ContactEnded,
    ContactOutcome,
    ContactStarted,
    EventInvalid,
    FeedbackScale,
    FeedbackSubmitted,
    LifeEventKind,
    LifeEventReported,
    MessageReceived,
    PaymentMissed,
    ProfileUpdated,
    PurchaseCompleted,
    RenewalQuoted,
    SelfServiceFailed,
    Severity,
    parse_event,
)
from tests.unit.builders import attributes, new_customer

# The contract's table of v1 types, with the least each one needs.
MINIMAL: dict[str, tuple[type, dict[str, Any]]] = {
    "contact.started": (ContactStarted, {"channel": "voice"}),
    "contact.ended": (ContactEnded, {"channel": "voice", "outcome": "resolved"}),
    "message.received": (MessageReceived, {"channel": "chat", "text": "Hello there"}),
    "selfservice.failed": (SelfServiceFailed, {"channel": "web", "journey": "change_address"}),
    "complaint.filed": (ComplaintFiled, {"channel": "email", "category": "billing"}),
    "cancellation.requested": (CancellationRequested, {"channel": "app", "product": "broadband"}),
    "renewal.quoted": (
        RenewalQuoted,
        {
            "product": "home_insurance",
            "previous_price": 300,
            "quoted_price": 345.5,
            "currency": "EUR",
        },
    ),
    "payment.missed": (PaymentMissed, {"amount": 42.5, "currency": "EUR"}),
    "life_event.reported": (LifeEventReported, {"kind": "relocation"}),
    "feedback.submitted": (FeedbackSubmitted, {"channel": "sms", "score": 9, "scale": "nps"}),
    "purchase.completed": (
        PurchaseCompleted,
        {"product": "travel_insurance", "amount": 49.99, "currency": "GBP"},
    ),
    "profile.updated": (ProfileUpdated, {}),
}

# Every optional field filled in as well.
FULL: dict[str, dict[str, Any]] = {
    "contact.started": {
        "channel": "voice",
        "agent_id": "agent-0042",
        "queue": "care",
        "reason": "billing_dispute",
    },
    "contact.ended": {
        "channel": "chat",
        "outcome": "transferred",
        "wait_seconds": 95.5,
        "handle_seconds": 420,
        "reason": "billing_dispute",
    },
    "message.received": {"channel": "social", "text": "Why was I charged twice?"},
    "selfservice.failed": {
        "channel": "app",
        "journey": "change_address",
        "step": "confirm",
        "error_code": "E42",
    },
    "complaint.filed": {
        "channel": "branch",
        "category": "billing",
        "severity": "high",
        "text": "Charged twice for the same month.",
    },
    "cancellation.requested": {
        "channel": "voice",
        "product": "broadband",
        "reason": "too_expensive",
        "text": "I found it cheaper elsewhere.",
    },
    "renewal.quoted": {
        "channel": "email",
        "product": "car_insurance",
        "previous_price": 410.0,
        "quoted_price": 560.0,
        "currency": "GBP",
    },
    "payment.missed": {
        "channel": "billing",
        "amount": 89.9,
        "currency": "EUR",
        "product": "mortgage",
        "days_overdue": 14,
    },
    "life_event.reported": {
        "channel": "branch",
        "kind": "bereavement",
        "text": "My husband passed away in May.",
    },
    "feedback.submitted": {
        "channel": "web",
        "score": 2,
        "scale": "csat",
        "text": "Slow and unhelpful.",
    },
    "purchase.completed": {
        "channel": "web",
        "product": "gadget_cover",
        "amount": 7.5,
        "currency": "USD",
    },
    "profile.updated": {
        "channel": "crm",
        "name": "Aoife Byrne",
        "segment": "consumer",
        "value_tier": "top",
        "preferred_channel": "email",
        "timezone": "Europe/Dublin",
        "vulnerable": True,
        "consents": {"service_contact": True, "marketing": False, "profiling": True},
    },
}


def problems_of(raw: Any) -> dict[str, str]:
    with pytest.raises(EventInvalid) as caught:
        parse_event(raw)
    return {p.field: p.reason for p in caught.value.problems}


def valid(event_type: str = "contact.started", data: Any = None, **extra: Any) -> dict[str, Any]:
    if data is None:
        data = MINIMAL[event_type][1]
    return attributes(event_type, data, subject=new_customer(), **extra)


def test_the_tables_cover_the_twelve_contract_types() -> None:
    assert set(MINIMAL) == set(FULL)
    assert len(MINIMAL) == 12


@pytest.mark.parametrize("event_type", sorted(MINIMAL))
def test_minimal_payload_parses_into_its_typed_data(event_type: str) -> None:
    model, data = MINIMAL[event_type]
    customer = new_customer()
    raw = attributes(event_type, data, subject=customer, id="evt-min-1")

    parsed = parse_event(raw)

    assert type(parsed.data) is model
    assert parsed.type == event_type
    assert parsed.customer_id == customer
    assert parsed.key == "/channels/telephony/ivr-eu#evt-min-1"
    assert parsed.data.model_dump(mode="json", exclude_none=True) == data


@pytest.mark.parametrize("event_type", sorted(FULL))
def test_full_payload_keeps_every_optional_field(event_type: str) -> None:
    data = FULL[event_type]
    parsed = parse_event(valid(event_type, data))
    assert parsed.data.model_dump(mode="json", exclude_none=True) == data


def test_full_payloads_are_typed_not_left_as_strings() -> None:
    started = parse_event(valid("contact.started", FULL["contact.started"])).data
    assert isinstance(started, ContactStarted)
    assert started.channel is Channel.voice
    ended = parse_event(valid("contact.ended", FULL["contact.ended"])).data
    assert isinstance(ended, ContactEnded)
    assert ended.outcome is ContactOutcome.transferred
    complaint = parse_event(valid("complaint.filed", FULL["complaint.filed"])).data
    assert isinstance(complaint, ComplaintFiled)
    assert complaint.severity is Severity.high
    life = parse_event(valid("life_event.reported", FULL["life_event.reported"])).data
    assert isinstance(life, LifeEventReported)
    assert life.kind is LifeEventKind.bereavement
    profile = parse_event(valid("profile.updated", FULL["profile.updated"])).data
    assert isinstance(profile, ProfileUpdated)
    assert profile.consents is not None
    assert profile.consents.service_contact is True
    assert profile.consents.marketing is False


def test_envelope_attributes_are_kept() -> None:
    customer = new_customer()
    raw = attributes(
        "message.received",
        {"channel": "chat", "text": "hi"},
        subject=customer,
        id="evt-env-1",
        source="/channels/chat/web-widget",
        time="2025-03-03T10:15:00+01:00",
        datacontenttype="application/json",
        dataschema="https://small-moments.dev/schemas/message.received.json",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )

    parsed = parse_event(raw)

    envelope = parsed.envelope
    assert envelope.id == "evt-env-1"
    assert envelope.source == "/channels/chat/web-widget"
    assert envelope.subject == customer
    assert envelope.time == datetime(2025, 3, 3, 9, 15, tzinfo=UTC)
    assert envelope.time is not None and envelope.time.utcoffset() == timedelta(hours=1)
    assert envelope.dataschema == "https://small-moments.dev/schemas/message.received.json"
    assert envelope.extensions() == {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    }
    assert parsed.time == envelope.time


def test_time_is_optional_and_then_the_receipt_time_is_used() -> None:
    before = datetime.now(UTC)
    parsed = parse_event(valid(time=None))
    assert before <= parsed.time <= datetime.now(UTC)
    # Stamped once, at parse time: reading it later never consults the clock again.
    assert parsed.envelope.time == parsed.time == parsed.time
    received = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_event(valid(time=None), received_at=received).time == received


def test_utc_z_suffix_is_accepted() -> None:
    parsed = parse_event(valid(time="2025-03-03T09:00:00Z"))
    assert parsed.time == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


# --- refusals -------------------------------------------------------------------------


def test_unknown_type_names_it_and_lists_every_known_type() -> None:
    problems = problems_of(valid(data={"channel": "voice"}) | {"type": "contact.paused"})
    assert list(problems) == ["type"]
    reason = problems["type"]
    assert "unknown event type 'contact.paused'" in reason
    for known in MINIMAL:
        assert known in reason


@pytest.mark.parametrize("name", ["specversion", "id", "source", "subject", "type"])
def test_missing_required_attribute_is_named(name: str) -> None:
    raw = valid()
    del raw[name]
    problems = problems_of(raw)
    assert problems[name] == "Field required"


def test_every_missing_attribute_is_reported_at_once() -> None:
    raw = valid()
    del raw["id"], raw["subject"]
    assert set(problems_of(raw)) == {"id", "subject"}


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("specversion", "0.3", "'1.0'"),
        ("specversion", 1.0, "'1.0'"),
        ("id", "", "at least 1 character"),
        ("id", "x" * 257, "at most 256 characters"),
        ("source", "", "at least 1 character"),
        ("source", "/channels/my ivr", "pattern"),
        ("subject", "", "at least 1 character"),
        ("subject", 42, "valid string"),
        ("type", "Contact.Started", "unknown event type 'Contact.Started'"),
        ("datacontenttype", "text/plain", "'application/json'"),
        ("data", "hello", "valid dictionary"),
    ],
)
def test_malformed_attribute_is_named_with_the_reason(name: str, value: Any, words: str) -> None:
    problems = problems_of(valid() | {name: value})
    assert list(problems) == [name]
    assert words in problems[name]


def test_time_without_offset_is_refused() -> None:
    problems = problems_of(valid(time="2025-03-03T09:00:00"))
    assert list(problems) == ["time"]
    assert "UTC offset" in problems["time"]


def test_time_that_is_not_a_time_is_refused() -> None:
    problems = problems_of(valid(time="yesterday afternoon"))
    assert list(problems) == ["time"]
    assert "datetime" in problems["time"]


def test_event_that_is_not_an_object_is_refused() -> None:
    assert problems_of(["not", "an", "event"]) == {"(event)": "a CloudEvent must be a JSON object"}


def test_unknown_data_field_is_refused_by_path() -> None:
    problems = problems_of(valid("contact.started", {"channel": "voice", "foo": 1}))
    assert problems == {"data.foo": "unknown field"}


def test_unknown_nested_data_field_is_refused_by_path() -> None:
    problems = problems_of(
        valid("profile.updated", {"consents": {"marketing": True, "newsletter": True}})
    )
    assert problems == {"data.consents.newsletter": "unknown field"}


def test_wrong_channel_lists_the_allowed_channels() -> None:
    problems = problems_of(valid("message.received", {"channel": "fax", "text": "hi"}))
    assert list(problems) == ["data.channel"]
    for channel in ("'voice'", "'ivr'", "'chat'", "'billing'", "'crm'"):
        assert channel in problems["data.channel"]


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("contact.ended", {"channel": "voice", "outcome": "hung_up"}, "data.outcome"),
        (
            "complaint.filed",
            {"channel": "web", "category": "x", "severity": "dire"},
            "data.severity",
        ),
        ("life_event.reported", {"kind": "promotion"}, "data.kind"),
        ("feedback.submitted", {"channel": "web", "score": 3, "scale": "stars"}, "data.scale"),
        ("profile.updated", {"value_tier": "platinum"}, "data.value_tier"),
    ],
)
def test_wrong_enum_value_is_refused_by_path(event_type: str, data: dict, field: str) -> None:
    problems = problems_of(valid(event_type, data))
    assert list(problems) == [field]
    assert problems[field].startswith("Input should be")


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("contact.ended", {"channel": "voice"}, "data.outcome"),
        ("message.received", {"channel": "chat"}, "data.text"),
        ("selfservice.failed", {"channel": "web"}, "data.journey"),
        (
            "renewal.quoted",
            {"product": "p", "previous_price": 1, "quoted_price": 2},
            "data.currency",
        ),
        ("life_event.reported", {}, "data.kind"),
        ("contact.started", {}, "data.channel"),
    ],
)
def test_missing_data_field_is_refused_by_path(event_type: str, data: dict, field: str) -> None:
    assert problems_of(valid(event_type, data)) == {field: "Field required"}


def test_empty_message_text_is_refused() -> None:
    problems = problems_of(valid("message.received", {"channel": "chat", "text": ""}))
    assert list(problems) == ["data.text"]


@pytest.mark.parametrize(("scale", "score"), [("nps", 0), ("nps", 10), ("csat", 1), ("csat", 5)])
def test_feedback_score_at_the_ends_of_its_scale_is_accepted(scale: str, score: int) -> None:
    parsed = parse_event(
        valid("feedback.submitted", {"channel": "web", "scale": scale, "score": score})
    )
    assert isinstance(parsed.data, FeedbackSubmitted)
    assert parsed.data.scale is FeedbackScale(scale)
    assert parsed.data.score == score


@pytest.mark.parametrize(
    ("scale", "score", "bounds"),
    [
        ("nps", 11, "between 0 and 10 on the nps scale"),
        ("nps", -1, "between 0 and 10 on the nps scale"),
        ("csat", 0, "between 1 and 5 on the csat scale"),
        ("csat", 6, "between 1 and 5 on the csat scale"),
        ("csat", 9, "between 1 and 5 on the csat scale"),
    ],
)
def test_feedback_score_outside_its_scale_is_refused(scale: str, score: int, bounds: str) -> None:
    problems = problems_of(
        valid("feedback.submitted", {"channel": "web", "scale": scale, "score": score})
    )
    assert list(problems) == ["data.score"]
    assert bounds in problems["data.score"]


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", "", "€"])
def test_bad_currency_is_refused(currency: str) -> None:
    problems = problems_of(valid("payment.missed", {"amount": 10, "currency": currency}))
    assert list(problems) == ["data.currency"]
    assert "pattern" in problems["data.currency"]


def test_negative_amounts_and_non_numbers_are_refused_by_path() -> None:
    problems = problems_of(
        valid(
            "renewal.quoted",
            {"product": "p", "previous_price": -1, "quoted_price": "lots", "currency": "EUR"},
        )
    )
    assert set(problems) == {"data.previous_price", "data.quoted_price"}
    assert "greater than or equal to 0" in problems["data.previous_price"]
    assert "valid number" in problems["data.quoted_price"]


def test_every_data_problem_is_reported_at_once() -> None:
    problems = problems_of(
        valid("feedback.submitted", {"channel": "fax", "scale": "csat", "score": 0, "foo": 1})
    )
    assert set(problems) == {"data.channel", "data.score", "data.foo"}


@pytest.mark.parametrize("name", ["traceId", "trace_id", "trace-id", "x" * 21, "Ünïcode"])
def test_bad_extension_attribute_name_is_refused(name: str) -> None:
    problems = problems_of(valid() | {name: "value"})
    assert list(problems) == [name]
    assert "1-20 lowercase letters or digits" in problems[name]


@pytest.mark.parametrize("name", ["traceparent", "partitionkey", "x", "a1b2c3d4e5f6g7h8i9j0"])
def test_good_extension_attribute_name_is_kept(name: str) -> None:
    parsed = parse_event(valid() | {name: "value"})
    assert parsed.envelope.extensions() == {name: "value"}


def test_bad_extension_name_is_reported_together_with_envelope_problems() -> None:
    raw = valid() | {"Bad_Name": "x"}
    del raw["subject"]
    assert set(problems_of(raw)) == {"Bad_Name", "subject"}


def test_data_base64_is_refused_even_when_data_is_also_valid() -> None:
    problems = problems_of(valid() | {"data_base64": "eyJjaGFubmVsIjoidm9pY2UifQ=="})
    assert list(problems) == ["data_base64"]
    assert "binary data is not accepted" in problems["data_base64"]


def test_data_base64_instead_of_data_names_both() -> None:
    raw = valid()
    del raw["data"]
    raw["data_base64"] = "eyJjaGFubmVsIjoidm9pY2UifQ=="
    problems = problems_of(raw)
    assert "binary data is not accepted" in problems["data_base64"]
    assert problems["data"] == "Field required"


def test_error_message_joins_field_and_reason() -> None:
    with pytest.raises(EventInvalid) as caught:
        parse_event(valid("contact.started", {"channel": "voice", "foo": 1}))
    assert str(caught.value) == "data.foo: unknown field"
