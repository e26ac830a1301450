"""`services.signals.handlers.SignalsHandler`: state bytes in, state bytes and signals out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.customers import LiveContact
from schemas.events import InteractionEvent
from schemas.signals import CustomerSnapshot, EventRef, SignalType
from services.signals.domain.state import MOMENT_LIMIT
from services.signals.handlers import LIVE_CONTACT_LIMIT_S, SignalsHandler
from tests.unit.builders import T0, event, new_customer

NOW = datetime(2025, 3, 3, 9, 0, 2, tzinfo=UTC)


def handler() -> SignalsHandler:
    return SignalsHandler(lambda text: -0.9 if "furious" in text else 0.0)


def cancellation(customer: str, id: str | None = None, at: datetime = T0) -> InteractionEvent:
    return event(
        "cancellation.requested",
        {"channel": "voice", "product": "broadband", "reason": "moving abroad"},
        subject=customer,
        id=id,
        at=at,
    )


def test_a_finding_becomes_a_signal_with_its_evidence() -> None:
    customer = new_customer()
    request = cancellation(customer, id="can-1")

    state, signals, _ = handler().handle(None, request, now=NOW)

    assert state is not None
    [signal] = signals
    assert signal.type is SignalType.cancellation_risk
    assert signal.customer_id == customer
    assert signal.id.startswith("sig_")
    assert signal.reasons == [
        "Asked to cancel broadband on voice",
        "Reason given: moving abroad",
    ]
    assert signal.evidence == [
        EventRef(source=request.envelope.source, id="can-1", type=request.type, time=T0)
    ]
    assert signal.details == {"product": "broadband", "reason": "moving abroad"}
    assert signal.occurred_at == T0
    assert signal.detected_at == NOW
    assert 0 < signal.strength <= 1


def test_the_same_event_twice_yields_nothing_the_second_time() -> None:
    customer = new_customer()
    request = cancellation(customer)
    state, first, _ = handler().handle(None, request, now=NOW)

    again = handler().handle(state, request, now=NOW + timedelta(seconds=5))

    assert first
    assert again.state is None and again.signals == []


def test_signal_ids_are_stable_when_an_event_is_replayed_on_lost_state() -> None:
    customer = new_customer()
    request = cancellation(customer)

    _, first, _ = handler().handle(None, request, now=NOW)
    _, replayed, _ = handler().handle(None, request, now=NOW + timedelta(hours=1))

    assert [s.id for s in replayed] == [s.id for s in first]


def test_signal_ids_differ_per_customer_type_and_event() -> None:
    one, other = new_customer(), new_customer()
    _, a, _ = handler().handle(None, cancellation(one, id="x-1"), now=NOW)
    _, b, _ = handler().handle(None, cancellation(other, id="x-1"), now=NOW)
    _, c, _ = handler().handle(None, cancellation(one, id="x-2"), now=NOW)
    _, d, _ = handler().handle(
        None,
        event(
            "message.received",
            {"channel": "chat", "text": "I am furious, I want to cancel"},
            subject=one,
            id="x-3",
        ),
        now=NOW,
    )
    ids = [s.id for s in a + b + c + d]
    assert {s.type for s in d} == {SignalType.cancellation_risk, SignalType.negative_sentiment}
    assert len(ids) == len(set(ids)) == 5


def test_a_new_customer_is_assumed_to_allow_service_contact_only() -> None:
    _, [signal], _ = handler().handle(None, cancellation(new_customer()), now=NOW)
    assert signal.customer == CustomerSnapshot(
        vulnerable=False,
        consent_service_contact=True,
        consent_marketing=False,
        consent_profiling=False,
    )


def test_the_snapshot_carries_consents_vulnerability_and_the_live_agent() -> None:
    customer = new_customer()
    state = None
    for item in [
        event(
            "profile.updated",
            {
                "name": "Ana Lopes",
                "segment": "consumer",
                "value_tier": "high",
                "preferred_channel": "email",
                "timezone": "Europe/Lisbon",
                "vulnerable": True,
                "consents": {"service_contact": False, "marketing": True, "profiling": True},
            },
            subject=customer,
        ),
        event(
            "contact.started",
            {"channel": "chat", "agent_id": "agent-0042", "queue": "retention"},
            subject=customer,
            at=T0 + timedelta(minutes=1),
        ),
    ]:
        state, signals, _ = handler().handle(state, item, now=NOW)
        assert signals == []

    _, [signal], _ = handler().handle(
        state, cancellation(customer, at=T0 + timedelta(minutes=2)), now=NOW
    )

    assert signal.customer == CustomerSnapshot(
        name="Ana Lopes",
        segment="consumer",
        value_tier="high",
        preferred_channel="email",
        timezone="Europe/Lisbon",
        vulnerable=True,
        consent_service_contact=False,
        consent_marketing=True,
        consent_profiling=True,
        live_agent_id="agent-0042",
        live_queue="retention",
        live_channel="chat",
    )


def test_the_live_agent_is_gone_from_the_snapshot_once_the_contact_ends() -> None:
    customer = new_customer()
    state, _, _ = handler().handle(
        None,
        event("contact.started", {"channel": "voice", "agent_id": "agent-9"}, subject=customer),
        now=NOW,
    )
    state, _, _ = handler().handle(
        state,
        event(
            "contact.ended",
            {"channel": "voice", "outcome": "resolved"},
            subject=customer,
            at=T0 + timedelta(minutes=5),
        ),
        now=NOW,
    )
    _, [signal], _ = handler().handle(
        state, cancellation(customer, at=T0 + timedelta(minutes=6)), now=NOW
    )
    assert signal.customer.live_agent_id is None
    assert signal.customer.live_queue is None


def test_detected_at_defaults_to_the_current_time() -> None:
    before = datetime.now(UTC)
    _, [signal], _ = handler().handle(None, cancellation(new_customer()))
    assert before <= signal.detected_at <= datetime.now(UTC)


# --- relationship health and the customer record ----------------------------------------


def test_every_signal_carries_the_health_after_its_event() -> None:
    customer = new_customer()
    message = event(
        "message.received",
        {"channel": "chat", "text": "I am furious, I want to cancel"},
        subject=customer,
    )
    _, signals, record = handler().handle(None, message, now=NOW)
    assert len(signals) == 2
    assert record is not None
    assert all(s.health == record.health for s in signals)
    assert record.health.score < 70
    assert {r.kind for r in record.health.reasons} == {"cancellation", "sentiment"}
    assert {s.issue for s in signals} == {"cancellation_risk:any", "negative_sentiment:any"}
    assert all(s.occurrences == 1 for s in signals)


def test_the_record_follows_the_customer_through_a_call() -> None:
    customer = new_customer()
    h = handler()
    profile = event(
        "profile.updated",
        {"name": "Ana Lopes", "value_tier": "high", "consents": {"marketing": True}},
        subject=customer,
        at=T0 - timedelta(days=400),
    )
    started = event(
        "contact.started",
        {"channel": "voice", "agent_id": "agent-0042", "queue": "care", "reason": "billing"},
        subject=customer,
        id="call-1",
    )
    complaint = event(
        "complaint.filed",
        {"channel": "voice", "category": "billing", "severity": "high"},
        subject=customer,
        at=T0 + timedelta(minutes=2),
    )
    ended = event(
        "contact.ended",
        {"channel": "voice", "outcome": "unresolved", "wait_seconds": 240, "reason": "billing"},
        subject=customer,
        at=T0 + timedelta(minutes=9),
    )

    state, _, first = h.handle(None, profile, now=NOW)
    state, _, on_call = h.handle(state, started, now=NOW)
    state, _, complained = h.handle(state, complaint, now=NOW)
    state, _, after = h.handle(state, ended, now=NOW)

    assert first is not None and on_call is not None and complained is not None
    assert after is not None
    assert first.moments == []  # a profile edit is not a moment on the timeline
    assert on_call.live_contact == LiveContact(
        agent_id="agent-0042", queue="care", channel="voice", started_at=T0, event_id="call-1"
    )
    assert on_call.profile.name == "Ana Lopes" and on_call.profile.live_agent_id == "agent-0042"
    assert on_call.tenure_days == 400
    assert on_call.updated_at == T0
    assert [r.version for r in (first, on_call, complained, after)] == [1, 2, 3, 4]
    assert complained.health.score < on_call.health.score
    assert after.live_contact is None
    assert [(m.kind, m.summary) for m in after.moments] == [
        ("contact.started", "Contact on voice about billing"),
        ("complaint.filed", "Complained about billing (high)"),
        ("contact.ended", "Voice contact unresolved after a 4 min wait"),
    ]
    assert after.moments[0].event_id == "call-1"
    assert after.updated_at == T0 + timedelta(minutes=9)
    assert after.customer_id == customer


def test_the_timeline_keeps_the_newest_moments_last() -> None:
    customer = new_customer()
    state = None
    for n in range(MOMENT_LIMIT + 3):
        state, _, record = handler().handle(
            state,
            event(
                "feedback.submitted",
                {"channel": "app", "scale": "nps", "score": n % 11},
                subject=customer,
                at=T0 + timedelta(hours=n),
            ),
            now=NOW,
        )
    assert record is not None
    assert [m.summary for m in record.moments] == [
        f"Gave NPS {n % 11}" for n in range(3, MOMENT_LIMIT + 3)
    ]
    assert record.moments[-1].sentiment == pytest.approx(((MOMENT_LIMIT + 2) % 11 - 5) / 5)


def test_a_duplicate_changes_no_record() -> None:
    customer = new_customer()
    request = cancellation(customer)
    state, _, record = handler().handle(None, request, now=NOW)
    assert record is not None and record.version == 1
    assert handler().handle(state, request, now=NOW).customer is None


def test_a_contact_never_reported_as_ended_stops_being_live() -> None:
    customer = new_customer()
    state, _, _ = handler().handle(
        None,
        event("contact.started", {"channel": "voice", "agent_id": "agent-9"}, subject=customer),
        now=NOW,
    )
    _, [signal], record = handler().handle(
        state, cancellation(customer, at=T0 + timedelta(hours=LIVE_CONTACT_LIMIT_S / 3600 + 1))
    )
    assert record is not None and record.live_contact is None
    assert signal.customer.live_agent_id is None


def test_a_completed_cancellation_is_a_lost_product_and_closes_the_cancellation_issue() -> None:
    customer = new_customer()
    asked = cancellation(customer, at=T0)
    state, _, before = handler().handle(None, asked, now=NOW)
    assert before is not None
    assert [i.key for i in before.open_issues] == ["cancellation_risk:broadband"]

    done = event(
        "cancellation.completed",
        {"channel": "billing", "product": "broadband", "reason": "price"},
        subject=customer,
        at=T0 + timedelta(days=14),
    )
    _, signals, record = handler().handle(state, done, now=NOW)

    assert signals == []
    assert record is not None
    assert [(p.product, p.at) for p in record.lost_products] == [
        ("broadband", T0 + timedelta(days=14))
    ]
    assert record.open_issues == []
    assert record.moments[-1].summary == "Cancelled broadband"
    assert record.health.score < before.health.score - 10
    assert any(r.kind == "lost" for r in record.health.reasons)
