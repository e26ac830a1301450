"""The customer-population simulator: reproducible, complete, grounded in real data."""

from __future__ import annotations

import collections
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from moments.cli import main as moments_main
from moments.simulate.datasets import parse_cdnow, purchase_histories, tenure_records
from moments.simulate.domain.mood import Mood, chance_of_leaving, hazard_per_day
from moments.simulate.domain.population import (
    CDNOW_YEARS,
    VALUE_PER_CDNOW_DOLLAR,
    ChurnTable,
    PurchaseHistory,
    TenureRecord,
    build_population,
)
from moments.simulate.domain.simulation import Simulation
from moments.simulate.domain.wording import PHRASES
from schemas.events import EVENT_DATA_MODELS, parse_event

START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
DAY = 86400.0


def histories() -> list[PurchaseHistory]:
    return [
        PurchaseHistory("00001", (0,), (11.77,)),
        PurchaseHistory("00002", (11, 11, 40), (12.0, 77.0, 20.5)),
        PurchaseHistory("00003", (1, 90, 200, 300), (20.76, 19.54, 39.31, 80.0)),
        PurchaseHistory("00004", (5, 20), (700.0, 300.0)),
    ]


def tenures() -> list[TenureRecord]:
    return [
        TenureRecord(2, "Month-to-month", True, 70.7, "Electronic check"),
        TenureRecord(34, "One year", False, 56.95, "Mailed check"),
        TenureRecord(45, "One year", False, 42.3, "Bank transfer (automatic)"),
        TenureRecord(8, "Month-to-month", False, 99.65, "Electronic check"),
        TenureRecord(60, "Two year", False, 89.1, "Credit card (automatic)"),
    ]


def cloudevents(seed: int, customers: int, count: int) -> list[dict[str, Any]]:
    population = build_population(seed, customers, histories(), tenures())
    simulation = Simulation(seed, population, START)
    out = []
    for event in simulation.events():
        out.append(event.cloudevent(seed))
        if len(out) == count:
            break
    return out


def test_the_same_seed_gives_the_same_events_and_another_seed_does_not() -> None:
    first = cloudevents(7, 300, 3000)
    assert first == cloudevents(7, 300, 3000)
    assert [e["id"] for e in first] != [e["id"] for e in cloudevents(8, 300, 3000)]
    assert len({(e["source"], e["id"]) for e in first}) == len(first)


def test_every_contract_event_type_appears_and_validates() -> None:
    events = cloudevents(3, 1500, 40_000)
    types = collections.Counter(e["type"] for e in events)
    assert set(types) == set(EVENT_DATA_MODELS)
    for event in events:
        parsed = parse_event(event)  # raises on anything the contract refuses
        assert parsed.customer_id.startswith("cust-")
        assert event["source"].startswith("/channels/")
    kinds = {e["data"]["kind"] for e in events if e["type"] == "life_event.reported"}
    assert {"bereavement", "divorce", "relocation", "new_child", "job_loss"} <= kinds
    channels = {e["data"].get("channel") for e in events if e["type"] == "contact.started"}
    assert {"voice", "chat", "email", "branch"} <= channels


def test_the_stories_contain_the_painful_patterns() -> None:
    events = cloudevents(5, 1500, 40_000)
    ended = [e["data"] for e in events if e["type"] == "contact.ended"]
    assert any(d["outcome"] == "abandoned" for d in ended)
    assert any(d.get("wait_seconds", 0) >= 600 for d in ended)  # long waits
    rises = [
        (e["data"]["quoted_price"] - e["data"]["previous_price"]) / e["data"]["previous_price"]
        for e in events
        if e["type"] == "renewal.quoted"
    ]
    assert max(rises) > 0.2
    # A failed journey followed by a call about that journey, by the same customer.
    failed = {
        (e["subject"], e["data"]["journey"]) for e in events if e["type"] == "selfservice.failed"
    }
    calls = {
        (e["subject"], e["data"].get("reason"))
        for e in events
        if e["type"] == "contact.started" and e["data"]["channel"] == "voice"
    }
    assert failed & calls
    # Complaints chased with repeat contacts about the same issue.
    complaints = {
        (e["subject"], e["data"]["category"]) for e in events if e["type"] == "complaint.filed"
    }
    chased = collections.Counter(
        (e["subject"], e["data"].get("reason"))
        for e in events
        if e["type"] == "contact.started" and e["data"].get("queue") == "complaints"
    )
    assert any(chased[c] >= 2 for c in complaints)


def test_customer_value_and_rhythm_come_from_the_purchase_histories() -> None:
    real = histories()
    population = build_population(1, 200, real, tenures())
    by_buyer = {h.buyer: h for h in real}
    for customer in population:
        history = by_buyer[customer.buyer]
        assert customer.value == round(history.total / CDNOW_YEARS * VALUE_PER_CDNOW_DOLLAR, 2)
        assert customer.basket == history.amounts
        assert customer.purchase_rhythm_days == history.rhythm_days
    assert {c.buyer for c in population} == set(by_buyer)
    top = [c for c in population if c.buyer == "00004"]
    assert top and all(c.value_tier == "top" for c in top)


def test_the_packaged_cdnow_and_telco_data_are_what_the_population_is_built_on() -> None:
    real = purchase_histories()
    assert len(real) == 23_570
    assert sum(len(h.days) for h in real) == 69_659
    telco = tenure_records()
    assert len(telco) == 7_043
    churn = ChurnTable.estimate(telco)
    assert churn.per_month["Month-to-month"] > churn.per_month["One year"]
    assert churn.per_month["One year"] > churn.per_month["Two year"]
    population = build_population(11, 500, real, telco)
    assert len({c.buyer for c in population}) > 450
    assert {c.contract for c in population} == {"Month-to-month", "One year", "Two year"}


def test_cdnow_rows_are_grouped_by_buyer_in_date_order() -> None:
    text = (
        " customer_id  date number_of_cds  dollar_value\n"
        " 00002 19970301  1   12.00\n"
        " 00001 19970101  1   11.77\n"
        " 00002 19970112  5   77.00\n"
    )
    parsed = {h.buyer: h for h in parse_cdnow(text)}
    assert parsed["00002"].days == (11, 59)
    assert parsed["00002"].amounts == (77.0, 12.0)
    assert parsed["00002"].rhythm_days == 48
    assert parsed["00001"].total == 11.77


def test_churn_hazard_rises_with_pain_and_falls_with_good_moments() -> None:
    base = 0.001
    calm = Mood(at=START)
    hurt = calm.felt("abandoned_contact", START).felt("complaint", START)
    assert hazard_per_day(base, hurt, START) > hazard_per_day(base, calm, START)
    worse = hurt.felt("price_rise", START, scale=2.0)
    assert hazard_per_day(base, worse, START) > hazard_per_day(base, hurt, START)
    soothed = worse.felt("resolved_first_time", START).felt("purchase", START)
    assert hazard_per_day(base, soothed, START) < hazard_per_day(base, worse, START)
    helped = worse.relieved(START, 0.5)
    assert hazard_per_day(base, helped, START) < hazard_per_day(base, worse, START)
    happy = calm.felt("praise", START)
    assert hazard_per_day(base, happy, START) < hazard_per_day(base, calm, START)
    # Pain fades: the same customer a few months later is back near their base hazard.
    later = START + 120 * DAY
    assert hazard_per_day(base, worse, later) < hazard_per_day(base, worse, START)
    assert chance_of_leaving(base, worse, START, 30) > chance_of_leaving(base, calm, START, 30)


def test_answers_follow_latent_propensities_and_never_change() -> None:
    population = build_population(2, 50, histories(), tenures())
    simulation = Simulation(2, population, START)
    customer = population[0]
    code = "care.thank_you"
    answers = [simulation.answer(customer.id, f"rec_{n}", code) for n in range(4000)]
    share = answers.count("accepted") / len(answers)
    assert abs(share - customer.propensity(code)) < 0.04
    assert answers == [simulation.answer(customer.id, f"rec_{n}", code) for n in range(4000)]


def test_a_retention_action_taken_up_in_the_notice_period_wins_the_customer_back() -> None:
    population = build_population(4, 20, histories(), tenures())
    simulation = Simulation(4, population, START)
    leaving, staying = (simulation.lives[c.id] for c in population[:2])
    for life in (leaving, staying):
        life.mood = life.mood.felt("complaint", START)
        life.leaving_at = START + 14 * DAY
    pain_before = leaving.mood.pain
    simulation.respond(leaving.customer.id, "retention.ask_what_changed", "accepted")
    simulation.respond(staying.customer.id, "retention.ask_what_changed", "declined")
    assert leaving.won_back and leaving.leaving_at is None
    assert leaving.mood.pain < pain_before
    assert not staying.won_back and staying.leaving_at is not None
    assert simulation.tally().taken_up == 1


def test_customers_left_alone_leave_more_often_when_they_hurt() -> None:
    population = build_population(9, 3000, histories(), tenures())
    simulation = Simulation(9, population, START)
    for number, event in enumerate(simulation.events()):
        if event.at > START + 120 * DAY or number > 200_000:
            break
    tally = simulation.tally()
    assert 0 < tally.left < tally.customers * 0.5
    assert tally.asked_to_cancel >= tally.left


@pytest.mark.parametrize("situation", ["bereavement", "divorce", "relocation", "job_loss"])
def test_life_event_wording_is_recognised_by_the_signals_rules(situation: str) -> None:
    from services.signals.domain.text import life_events_in

    for template in PHRASES[situation]:
        assert situation in life_events_in(template.format(product="broadband"))


def test_leaving_and_angry_wording_reads_as_such() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from services.signals.domain.text import mentions_cancellation

    analyzer = SentimentIntensityAnalyzer()
    for template in PHRASES["leaving"]:
        assert mentions_cancellation(template.format(product="broadband"))
    angry = [analyzer.polarity_scores(t.format(product="tv"))["compound"] for t in PHRASES["angry"]]
    kind = [analyzer.polarity_scores(t.format(product="tv"))["compound"] for t in PHRASES["thanks"]]
    assert sum(angry) / len(angry) < -0.4
    assert min(kind) > 0.5


def test_moments_simulate_out_writes_the_same_file_twice(tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    for out in (first, second):
        argv = ["simulate", "--seed", "21", "--customers", "80", "--events", "500"]
        assert moments_main([*argv, "--out", str(out), "--quiet"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_text().splitlines()) == 500


def test_population_profiles_are_varied_and_seeded() -> None:
    population = build_population(13, 2000, histories(), tenures())
    assert population == build_population(13, 2000, histories(), tenures())
    assert {c.segment for c in population} == {"consumer", "small_business", "premium"}
    assert len({c.preferred_channel for c in population}) >= 6
    assert len({c.timezone for c in population}) >= 5
    vulnerable = sum(c.vulnerable for c in population) / len(population)
    assert 0.02 < vulnerable < 0.12
    assert any(not c.consents.marketing for c in population)
    rng = random.Random(0)
    someone = population[rng.randrange(len(population))]
    assert 0.03 <= someone.propensity("complaints.own_it") <= 0.97


def test_the_stream_for_a_seed_is_what_it_was_when_nothing_is_answered() -> None:
    """Digests of streams recorded before the response model (`reception.py`) and the
    per-customer streams were added: with nothing answered, `moments simulate` sends
    exactly what it sent before, on the fixtures and on the packaged data."""
    import hashlib
    import json

    first = cloudevents(7, 300, 3000)
    digest = hashlib.sha256(json.dumps(first, sort_keys=True).encode()).hexdigest()
    assert digest == "986a5e63af3a1a79bbac6c235d47bdd082b4430f286a85e14ceb6ada1f6063a9"

    population = build_population(1, 300, purchase_histories(), tenure_records(), "cust")
    simulation = Simulation(1, population, START)
    stream = hashlib.sha256()
    for event in simulation.events():
        if event.at > START + 90 * DAY:
            break
        stream.update(json.dumps(event.cloudevent(1), sort_keys=True).encode())
    assert stream.hexdigest() == "d356555c30ee4a515facffad76ce64c59584772c216793f9497da4150e8b8d0b"
    assert (simulation.tally().left, simulation.tally().asked_to_cancel) == (5, 9)
