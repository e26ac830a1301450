"""The simulator's response model: how a recommendation lands with a simulated customer.

Help that fits relieves; contact beyond what the customer welcomes (too often, the same
offer again, an offer that fits nothing they lived through, a sale while they hurt)
raises their pain and so their churn hazard; a vulnerable customer reached by a machine
is harmed. And with their own random streams, a customer no one contacts lives the same
life whatever is done to the others.
"""

from __future__ import annotations

from dataclasses import replace

from moments.simulate.domain.mood import MOMENTS, Mood, hazard_per_day
from moments.simulate.domain.population import build_population
from moments.simulate.domain.reception import (
    NEEDS,
    PAINS,
    WELCOME_PER_DAY,
    WELCOME_PER_WEEK,
    Contact,
    fits,
    needs_of,
    receive,
)
from moments.simulate.domain.simulation import Simulation
from moments.simulate.domain.stories.steps import Life, Offered
from tests.unit.test_simulate import DAY, START, histories, tenures

HOUR = 3600.0


def a_life(vulnerable: bool = False, number: int = 0) -> Life:
    customer = build_population(3, 10, histories(), tenures())[number]
    life = Life(replace(customer, vulnerable=vulnerable))
    life.mood = Mood(at=START)
    return life


def felt(life: Life, code: str, channel: str = "desktop", at: float = START) -> list[str]:
    return [moment for moment, _ in receive(life, Contact(code, channel, at)).felt]


def test_help_that_fits_the_moment_lands_and_relieves_pain() -> None:
    life = a_life()
    life.mood = life.mood.felt("complaint", START)
    life.remember("complaint", START)
    reception = receive(life, Contact("complaints.own_it", "desktop", START + HOUR))
    assert reception.fits and reception.welcome and reception.relieves
    assert reception.chance == 1.0 and reception.felt == ()

    simulation = Simulation(3, [life.customer], START)
    simulation.lives[life.customer.id] = life
    simulation.now = START + HOUR
    before = hazard_per_day(0.002, life.mood, START + HOUR)
    for number in range(50):  # until one is taken up (their propensity decides)
        outcome, _ = simulation.contact(
            life.customer.id, f"rec-{number}", "complaints.own_it", "desktop"
        )
        if outcome == "accepted":
            break
        life.offers.clear()  # so the next one is not a repeat
    assert outcome == "accepted"
    assert hazard_per_day(0.002, life.mood, START + HOUR) < before


def test_an_offer_that_fits_nothing_they_lived_through_irritates_and_relieves_nothing() -> None:
    life = a_life()
    life.remember("complaint", START)
    assert fits(life, "complaints.own_it", START)
    assert not fits(life, "care.thank_you", START)  # a thank-you after a complaint
    reception = receive(life, Contact("care.thank_you", "desktop", START))
    assert not reception.fits and not reception.relieves and reception.chance == 0.5
    assert felt(life, "care.thank_you") == ["misfit"]
    # a moment fits for FIT_DAYS, not for ever
    assert not fits(life, "complaints.own_it", START + 15 * DAY)
    # a life event fits the action for its own kind, not another kind's
    life.remember("life_event", START, "divorce")
    assert fits(life, "care.separation_support", START)
    assert not fits(life, "care.bereavement_support", START)
    assert fits(life, "care.life_events_team", START)


def test_retention_fits_a_customer_who_asked_to_leave() -> None:
    life = a_life()
    assert not fits(life, "retention.ask_what_changed", START)
    life.leaving_at = START + 14 * DAY
    assert fits(life, "retention.ask_what_changed", START)
    assert fits(life, "retention.life_changed", START)  # the family's needs


def test_contact_beyond_what_the_customer_welcomes_is_felt_as_nagging() -> None:
    life = a_life()
    life.remember("complaint", START)
    for number in range(WELCOME_PER_DAY):
        assert "nagged" not in felt(life, "complaints.own_it", at=START + number)
        life.offered(Offered(f"care.code_{number}", "desktop", START + number, "declined"))
    assert "nagged" in felt(life, "complaints.own_it", at=START + HOUR)
    # spread over the week: welcome up to WELCOME_PER_WEEK, then nagging
    spread = a_life()
    spread.remember("complaint", START + 6 * DAY)
    for number in range(WELCOME_PER_WEEK):
        spread.offered(Offered(f"care.code_{number}", "desktop", START + number * DAY, "accepted"))
    assert "nagged" in felt(spread, "complaints.own_it", at=START + 6 * DAY)
    assert "nagged" not in felt(spread, "complaints.own_it", at=START + 9 * DAY)


def test_the_same_offer_again_soon_is_felt_and_worse_after_a_decline() -> None:
    life = a_life()
    life.remember("complaint", START)
    life.offered(Offered("complaints.own_it", "desktop", START, "accepted"))
    reception = receive(life, Contact("complaints.own_it", "desktop", START + 2 * DAY))
    assert ("repeated_offer", 1.0) in reception.felt and reception.chance == 0.5
    declined = a_life()
    declined.remember("complaint", START)
    declined.offered(Offered("complaints.own_it", "desktop", START, "declined"))
    again = receive(declined, Contact("complaints.own_it", "desktop", START + 2 * DAY))
    assert ("repeated_offer", 2.0) in again.felt
    assert "repeated_offer" not in felt(declined, "complaints.own_it", at=START + 15 * DAY)


def test_the_same_help_for_a_new_need_is_welcome_and_for_an_answered_one_relieves_nothing() -> None:
    life = a_life()
    life.remember("failed_self_service", START)
    life.offered(Offered("digital.finish_for_them", "desktop", START, "accepted"))
    answered = receive(life, Contact("digital.finish_for_them", "desktop", START + DAY))
    assert answered.fits and not answered.relieves  # that journey was finished already
    life.remember("failed_self_service", START + 3 * DAY)  # another journey fails
    fresh = receive(life, Contact("digital.finish_for_them", "desktop", START + 3 * DAY))
    assert fresh.welcome and fresh.relieves


def test_a_sale_to_a_customer_in_pain_is_pushy() -> None:
    happy, hurting = a_life(), a_life()
    for life in (happy, hurting):
        life.remember("praise", START)
    hurting.mood = hurting.mood.felt("complaint", START)
    assert felt(happy, "sales.loyalty_upgrade", "email") == []
    assert felt(hurting, "sales.loyalty_upgrade", "email") == ["sold_to_in_pain"]
    assert receive(hurting, Contact("sales.loyalty_upgrade", "email", START)).chance < 0.5


def test_a_vulnerable_customer_reached_by_anything_but_a_person_is_harmed() -> None:
    life = a_life(vulnerable=True)
    life.remember("missed_payment", START)
    assert felt(life, "collections.breathing_space", "desktop") == []
    for channel in ("sms", "email", "push"):
        assert felt(life, "sms.payment_help", channel) == ["harmed"]
    other = a_life()
    other.remember("missed_payment", START)
    assert felt(other, "sms.payment_help", "sms") == []


def test_what_lands_badly_raises_the_churn_hazard() -> None:
    calm = Mood(at=START)
    for moment in ("misfit", "nagged", "repeated_offer", "sold_to_in_pain", "harmed"):
        assert MOMENTS[moment] > 0
        assert hazard_per_day(0.002, calm.felt(moment, START), START) > hazard_per_day(
            0.002, calm, START
        )
    assert MOMENTS["harmed"] > MOMENTS["nagged"] > MOMENTS["misfit"]

    simulation = Simulation(3, [a_life().customer], START)
    life = simulation.lives[next(iter(simulation.lives))]
    life.remember("complaint", START)
    before = life.mood.pain
    for number in range(6):  # the same offer six times in a day, declined or not
        simulation.now = START + number * HOUR
        simulation.contact(life.customer.id, f"rec-{number}", "care.thank_you", "sms")
    assert life.mood.pain > before + 6 * MOMENTS["misfit"]


def test_every_need_is_a_moment_the_customer_can_live_through() -> None:
    known = set(MOMENTS) | {"leaving"}
    for code, needs in NEEDS.items():
        for need in needs:
            assert need.split(":")[0] in known, (code, need)
    assert needs_of("care.something_new") == PAINS  # unknown: fits any painful moment
    assert needs_of("retention.anything") == NEEDS["retention."]


def test_contact_answers_the_same_way_twice_and_wins_back_a_leaving_customer() -> None:
    population = build_population(4, 20, histories(), tenures())
    one, two = Simulation(4, population, START), Simulation(4, population, START)
    answers = []
    for simulation in (one, two):
        life = simulation.lives[population[0].id]
        life.leaving_at = START + 14 * DAY
        answers.append(
            [
                simulation.contact(
                    population[0].id, f"rec-{n}", "retention.ask_what_changed", "desktop"
                )[0]
                for n in range(10)
            ]
        )
    assert answers[0] == answers[1]
    assert "accepted" in answers[0]
    assert one.lives[population[0].id].won_back


def test_with_own_streams_a_customer_no_one_contacts_lives_the_same_life() -> None:
    population = build_population(5, 40, histories(), tenures())
    left_alone, contacted = population[1].id, population[0].id

    def lives(contact: bool) -> list[tuple[float, str, dict[str, object]]]:
        simulation = Simulation(5, population, START, own_streams=True)
        seen = []
        for event in simulation.events():
            if event.at > START + 60 * DAY:
                break
            if contact and event.customer_id == contacted:
                simulation.contact(contacted, f"rec-{event.number}", "sales.loyalty_upgrade", "sms")
            if event.customer_id == left_alone:
                seen.append((event.at, event.type, event.data))
        return seen

    assert lives(contact=False) == lives(contact=True)
    assert len(lives(contact=False)) > 5
