"""`services.signals.domain.state`: the per-customer state, its encoding and its bounds."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from schemas.events import InteractionEvent
from services.signals.domain.observe import observe
from services.signals.domain.state import (
    CONTACT_LIMIT,
    CONTACT_WINDOW_S,
    FAILURE_WINDOW_S,
    HISTORY_DAYS,
    HISTORY_LIMIT,
    ISSUE_LIMIT,
    MISSED_PAYMENT_WINDOW_S,
    MOMENT_LIMIT,
    SEEN_LIMIT,
    Contact,
    CustomerState,
    event_digest,
)
from tests.unit.builders import T0, event, new_customer


def neutral(text: str) -> float:
    return 0.0


def contact_at(at: float, tag: str) -> Contact:
    return Contact(at, "voice", "billing", ["/channels/ivr", tag, "contact.started", "x"])


def test_an_empty_or_missing_state_loads_as_a_new_customer() -> None:
    assert CustomerState.load(None) == CustomerState()
    assert CustomerState.load(b"") == CustomerState()
    assert CustomerState.load(CustomerState().dump()) == CustomerState()


def test_dump_and_load_round_trip_every_part_of_the_state() -> None:
    customer = new_customer()
    state = CustomerState()
    for item in [
        event(
            "profile.updated",
            {"name": "Aoife", "vulnerable": True, "consents": {"marketing": True}},
            subject=customer,
        ),
        event("selfservice.failed", {"channel": "web", "journey": "pay_bill"}, subject=customer),
        event(
            "contact.started",
            {"channel": "voice", "agent_id": "agent-7", "queue": "care", "reason": "billing"},
            subject=customer,
            at=T0 + timedelta(minutes=5),
        ),
        event("selfservice.failed", {"channel": "app", "journey": "top_up"}, subject=customer),
        event("payment.missed", {"amount": 30, "currency": "EUR"}, subject=customer),
        event(
            "contact.ended",
            {"channel": "email", "outcome": "unresolved"},
            subject=customer,
            at=T0 + timedelta(minutes=9),
            source="/channels/email/inbound",
        ),
    ]:
        observe(state, item, neutral)
    assert state.profile and state.contacts and state.failures and state.missed_payments
    assert state.live and state.issues and state.seen and state.health and state.history
    assert state.moments and state.first_seen and state.version == 6
    assert state.contacts[-1].ref[2] == "contact.ended" and state.contacts[-1].outcome

    raw = state.dump()
    loaded = CustomerState.load(raw)

    assert loaded == state
    assert loaded.dump() == raw


def test_prune_forgets_contacts_older_than_the_window_and_keeps_the_newest() -> None:
    now = T0.timestamp()
    state = CustomerState(
        contacts=[
            contact_at(now - CONTACT_WINDOW_S - 1, "too-old"),
            contact_at(now - CONTACT_WINDOW_S, "a-week-old"),
            contact_at(now - 60, "recent"),
        ]
    )
    state.prune(now)
    assert [c.ref[1] for c in state.contacts] == ["a-week-old", "recent"]


def test_prune_keeps_at_most_the_contact_limit_newest_first_kept() -> None:
    now = T0.timestamp()
    state = CustomerState(contacts=[contact_at(now - 600 + i, f"c{i}") for i in range(40)])
    state.prune(now)
    assert [c.ref[1] for c in state.contacts] == [f"c{i}" for i in range(40 - CONTACT_LIMIT, 40)]


def test_prune_forgets_failures_and_payments_past_their_windows() -> None:
    now = T0.timestamp()
    state = CustomerState(
        failures=[contact_at(now - FAILURE_WINDOW_S - 1, "old"), contact_at(now - 60, "new")],
        missed_payments=[now - MISSED_PAYMENT_WINDOW_S - 1, now - 86_400],
    )
    state.prune(now)
    assert [f.ref[1] for f in state.failures] == ["new"]
    assert state.missed_payments == [now - 86_400]


def test_issues_are_forgotten_after_their_own_window_and_bounded_in_number() -> None:
    now = T0.timestamp()
    state = CustomerState()
    state.remember_issue("complaint:billing", now - 10 * 86_400, 2)
    state.remember_issue("failed_self_service:web:pay", now - 10 * 86_400, 1)
    state.forget_issues({"complaint": 30 * 86_400, "failed_self_service": 3 * 86_400}, now)
    assert state.issues == {"complaint:billing": [now - 10 * 86_400, 2]}
    for n in range(ISSUE_LIMIT + 3):
        state.remember_issue(f"complaint:c{n}", now + n, 1)
    assert len(state.issues) == ISSUE_LIMIT
    assert list(state.issues)[-1] == f"complaint:c{ISSUE_LIMIT + 2}"


def test_history_keeps_one_score_per_day_within_ninety_days_and_one_before() -> None:
    state = CustomerState()
    for day in range(100, 300, 3):
        state.record_day(day, 50)
        state.record_day(day, 60)  # a later event the same day replaces the day's score
    days = state.history[::2]
    assert state.history[1::2] == [60] * len(days)
    assert days[-1] == 298
    assert days[0] <= 298 - HISTORY_DAYS < days[1]
    assert len(days) <= HISTORY_LIMIT


def test_moments_keep_only_the_newest() -> None:
    state = CustomerState()
    for n in range(MOMENT_LIMIT + 4):
        state.add_moment([n, "message.received", f"m{n}", f"e{n}"])
    assert [m[2] for m in state.moments] == [f"m{n}" for n in range(4, MOMENT_LIMIT + 4)]


def test_seen_remembers_only_the_latest_digests() -> None:
    state = CustomerState()
    digests = [event_digest(f"/channels/chat#e{i}") for i in range(SEEN_LIMIT + 5)]
    for digest in digests:
        state.remember(digest)
    assert state.seen == digests[-SEEN_LIMIT:]
    assert not state.has_seen(digests[0])
    assert state.has_seen(digests[-1])


def test_digests_tell_different_events_apart() -> None:
    digests = {event_digest(f"/channels/chat#e{i}") for i in range(10_000)}
    assert len(digests) == 10_000
    assert event_digest("/a#1") == event_digest("/a#1")


def test_a_repeat_within_the_remembered_window_is_still_a_duplicate() -> None:
    customer = new_customer()
    state = CustomerState()
    first = event("message.received", {"channel": "chat", "text": "hi"}, subject=customer)
    observe(state, first, neutral)
    for _ in range(SEEN_LIMIT - 1):
        observe(
            state,
            event("message.received", {"channel": "chat", "text": "more"}, subject=customer),
            neutral,
        )
    assert observe(state, first, neutral).duplicate


def busy_week(customer: str, start: datetime) -> list[InteractionEvent]:
    """A customer in trouble: on the phone every day, writing, failing online, paying late."""

    def at(day: int, minute: int) -> datetime:
        return start + timedelta(days=day, minutes=minute)

    def uid() -> str:
        return str(uuid.uuid4())

    events = [
        event(
            "profile.updated",
            {
                "name": "Aoife Byrne-Ó Súilleabháin",
                "segment": "consumer",
                "value_tier": "high",
                "preferred_channel": "voice",
                "timezone": "Europe/Dublin",
                "vulnerable": False,
                "consents": {"service_contact": True, "marketing": True, "profiling": False},
            },
            subject=customer,
            at=start,
            id=uid(),
            source="/systems/crm/salesforce-eu",
        )
    ]
    for day in range(7):
        events.append(
            event(
                "selfservice.failed",
                {"channel": "web", "journey": "change_payment_date", "step": "confirm"},
                subject=customer,
                at=at(day, 10),
                id=uid(),
                source="/channels/web/self-service",
            )
        )
        events.append(
            event(
                "contact.started",
                {
                    "channel": "voice",
                    "agent_id": "agent-0042",
                    "queue": "care",
                    "reason": "billing",
                },
                subject=customer,
                at=at(day, 20),
                id=uid(),
                source="/channels/telephony/ivr-eu",
            )
        )
        for minute in range(21, 25):
            events.append(
                event(
                    "message.received",
                    {"channel": "voice", "text": "I still can't change my payment date."},
                    subject=customer,
                    at=at(day, minute),
                    id=uid(),
                    source="/channels/telephony/speech-eu",
                )
            )
        events.append(
            event(
                "contact.ended",
                {"channel": "voice", "outcome": "unresolved", "wait_seconds": 420},
                subject=customer,
                at=at(day, 30),
                id=uid(),
                source="/channels/telephony/ivr-eu",
            )
        )
        if day % 3 == 0:
            events.append(
                event(
                    "payment.missed",
                    {
                        "amount": 89.9,
                        "currency": "EUR",
                        "product": "broadband",
                        "days_overdue": day,
                    },
                    subject=customer,
                    at=at(day, 40),
                    id=uid(),
                    source="/systems/billing/sap",
                )
            )
    return events


def test_a_busy_customers_state_stays_under_three_kilobytes() -> None:
    # The 2 KB target is RSS per customer on average (bench/memory.py); a customer on the
    # phone every day, writing, failing online and paying late is far from average.
    customer = new_customer()
    state = CustomerState()
    events = busy_week(customer, T0) + busy_week(customer, T0 + timedelta(days=7))
    assert len(events) > SEEN_LIMIT  # so every bounded list is as full as real life makes it

    for item in events:
        observe(state, item, neutral)
    raw = state.dump()

    assert len(state.seen) == SEEN_LIMIT
    assert len(state.contacts) == 7  # one a day for the last week
    assert len(raw) < 3072, f"{len(raw)} bytes"
    assert CustomerState.load(raw) == state


def test_state_size_does_not_grow_with_history() -> None:
    customer = new_customer()
    state = CustomerState()
    sizes = []
    for week in range(12):
        for item in busy_week(customer, T0 + timedelta(days=7 * week)):
            observe(state, item, neutral)
        sizes.append(len(state.dump()))
    # once the bounded lists are full (the trend's 40 days last), more history adds nothing
    assert max(sizes[6:]) - min(sizes[6:]) < 64, sizes


def test_a_late_event_takes_its_place_in_the_timeline_and_leaves_the_history_alone() -> None:
    state = CustomerState()
    for at in (10, 30, 20):
        state.add_moment([at, "message.received", f"at {at}", f"e{at}"])
    assert [m[0] for m in state.moments] == [10, 20, 30]
    state.record_day(5, 70)
    state.record_day(7, 60)
    state.record_day(6, 10)
    assert state.history == [5, 70, 7, 60]


def test_a_simulated_populations_mean_state_stays_well_under_the_memory_target() -> None:
    # The target is 2 KB of RSS per customer; a state costs its bytes plus about 210 B of
    # table overhead (README, Performance). This keeps the mean state within 1.5 KB.
    from datetime import UTC

    from moments.simulate.datasets import purchase_histories, tenure_records
    from moments.simulate.domain.population import build_population
    from moments.simulate.domain.simulation import Simulation
    from schemas.events import parse_event
    from services.signals.handlers import SignalsHandler

    population = build_population(5, 500, purchase_histories(), tenure_records(), "mem")
    simulation = Simulation(5, population, datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    handler = SignalsHandler(neutral)
    states: dict[str, bytes] = {}
    for number, simulated in enumerate(simulation.events()):
        if number >= 6000:
            break
        handled = handler.handle(
            states.get(simulated.customer_id), parse_event(simulated.cloudevent(5))
        )
        if handled.state is not None:
            states[simulated.customer_id] = handled.state
    mean = sum(len(s) for s in states.values()) / len(states)
    assert mean < 1536, f"mean state {mean:.0f} B"
