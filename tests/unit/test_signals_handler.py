"""`services.signals.handlers.SignalsHandler`: state bytes in, state bytes and signals out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.events import InteractionEvent
from schemas.signals import CustomerSnapshot, EventRef, SignalType
from services.signals.handlers import SignalsHandler
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
