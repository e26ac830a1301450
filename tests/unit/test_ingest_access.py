"""`services.ingest.domain.access`: a key publishes only its types under its own source."""

from __future__ import annotations

import pytest

from services.ingest.domain.access import ApiKey, source_allowed, type_allowed, why_forbidden

IVR = ApiKey("key-ivr", "/channels/ivr", ("contact.*", "message.received"))


@pytest.mark.parametrize("source", ["/channels/ivr", "/channels/ivr/eu", "/channels/ivr/eu/dub-1"])
def test_sources_at_or_under_the_prefix_are_allowed(source: str) -> None:
    assert source_allowed(IVR, source)


@pytest.mark.parametrize(
    "source", ["/channels/ivrx", "/channels/ivr-eu", "/channels", "/channels/chat", "channels/ivr"]
)
def test_sources_that_merely_start_with_the_same_letters_are_not(source: str) -> None:
    assert not source_allowed(IVR, source)


def test_a_trailing_slash_on_the_prefix_changes_nothing() -> None:
    key = ApiKey("key-slash", "/channels/ivr/", ("*",))
    assert source_allowed(key, "/channels/ivr")
    assert source_allowed(key, "/channels/ivr/eu")
    assert not source_allowed(key, "/channels/ivrx")


def test_root_prefix_allows_every_absolute_source() -> None:
    key = ApiKey("key-root", "/", ("*",))
    assert source_allowed(key, "/channels/chat")
    assert source_allowed(key, "/systems/billing")


@pytest.mark.parametrize("event_type", ["contact.started", "contact.ended", "message.received"])
def test_types_matching_a_pattern_are_allowed(event_type: str) -> None:
    assert type_allowed(IVR, event_type)


@pytest.mark.parametrize(
    "event_type", ["complaint.filed", "contacts.started", "message.received.v2", "CONTACT.started"]
)
def test_other_types_are_not(event_type: str) -> None:
    assert not type_allowed(IVR, event_type)


def test_why_forbidden_names_the_source_first() -> None:
    field, reason = why_forbidden(IVR, "/channels/chat", "complaint.filed") or ("", "")
    assert field == "source"
    assert "'/channels/ivr'" in reason


def test_why_forbidden_names_the_type_and_lists_what_is_allowed() -> None:
    field, reason = why_forbidden(IVR, "/channels/ivr/eu", "complaint.filed") or ("", "")
    assert field == "type"
    assert "contact.*" in reason and "message.received" in reason


def test_why_forbidden_is_none_when_allowed() -> None:
    assert why_forbidden(IVR, "/channels/ivr/eu", "contact.ended") is None
