"""The contact policy: every rule on its own, then its invariants as properties over
customers played through random moments with the shipped catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.recommendations import ActionChannel, DeclineReason, OutcomeKind
from schemas.signals import CustomerSnapshot, SignalType
from services.actions.domain.decisioning.catalogue import ActionKind
from services.actions.domain.decisioning.contact_policy import (
    ChannelCap,
    Made,
    Offer,
    cap_refusal,
    consent_refusal,
    in_quiet_hours,
    loyalty_refusal,
    quiet_hours_refusal,
    suppression_refusal,
    vulnerability_refusal,
)
from services.actions.domain.decisioning.context import Moment, PastOutcome
from services.actions.domain.decisioning.offers import offer_for
from tests.unit.decisions import (
    POLICY,
    SHIPPED,
    T0,
    Customer,
    codes,
    days,
    entry,
    renewal,
    signal,
    verdicts,
)

# --- consent by purpose ---------------------------------------------------------------


def test_service_contact_is_assumed_until_withdrawn_and_marketing_must_be_given() -> None:
    service, offer = entry("care.a"), entry("sales.b", requires_consent="marketing")
    assert consent_refusal(service, CustomerSnapshot()) is None
    assert consent_refusal(service, CustomerSnapshot(consent_service_contact=False)) == (
        "The customer withdrew consent to service contact"
    )
    assert "marketing consent" in (consent_refusal(offer, CustomerSnapshot()) or "")
    assert consent_refusal(offer, CustomerSnapshot(consent_marketing=True)) is None
    assert (
        consent_refusal(
            entry("legal.c", requires_consent=None), CustomerSnapshot(consent_service_contact=False)
        )
        is None
    )


# --- vulnerability ----------------------------------------------------------------------


def test_vulnerable_customers_get_human_channels_only_and_never_a_sales_action() -> None:
    vulnerable = CustomerSnapshot(vulnerable=True)
    for channel in (ActionChannel.email, ActionChannel.sms, ActionChannel.push):
        refusal = vulnerability_refusal(entry("x.out", channel=channel), vulnerable)
        assert refusal is not None and "only a person contacts them" in refusal
    sales = entry("sales.up", kind=ActionKind.sales)
    assert vulnerability_refusal(sales, vulnerable) == (
        "The customer needs extra care: never a sales action"
    )
    assert vulnerability_refusal(sales, CustomerSnapshot()) is None
    assert vulnerability_refusal(entry("care.a"), vulnerable) is None
    assert vulnerability_refusal(entry("care.b", only_if_vulnerable=True), CustomerSnapshot())


# --- quiet hours --------------------------------------------------------------------------


def test_quiet_hours_are_the_customers_own_local_hours_for_outbound_channels() -> None:
    at = datetime(2025, 3, 3, 21, 30, tzinfo=UTC)  # 21:30 in London, 22:30 in Berlin
    assert quiet_hours_refusal("email", at, "Europe/Berlin", POLICY) == (
        "Quiet hours: 22:30 in Europe/Berlin, so no email before 08:00"
    )
    morning = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)  # 07:30 in Dublin, 08:30 in Berlin
    assert quiet_hours_refusal("sms", morning, "Europe/Dublin", POLICY) is not None
    assert quiet_hours_refusal("sms", morning, "Europe/Berlin", POLICY) is None
    assert quiet_hours_refusal("desktop", at, "Europe/Berlin", POLICY) is None  # a person
    assert quiet_hours_refusal("push", at, None, POLICY) is not None  # default zone: UTC
    assert quiet_hours_refusal("push", at, "Mars/Olympus", POLICY) is not None


@given(st.times(), st.times(), st.times())
def test_quiet_hours_hold_exactly_inside_the_window(local: time, start: time, end: time) -> None:
    quiet = in_quiet_hours(local, start, end)
    if start == end:
        assert not quiet
    elif start < end:
        assert quiet == (start <= local < end)
    else:
        assert quiet == (local >= start or local < end)


# --- suppression after declines -------------------------------------------------------------


def declined(code: str, at: datetime, reason: DeclineReason | None = None) -> PastOutcome:
    return PastOutcome("rec_x", code, OutcomeKind.declined, reason, at)


def test_two_declines_within_thirty_days_suppress_until_the_window_passes() -> None:
    action = entry("care.a")
    one = [declined("care.a", T0)]
    two = [*one, declined("care.a", T0 + days(10))]
    assert suppression_refusal(action, one, T0 + days(11), POLICY) is None
    refusal = suppression_refusal(action, two, T0 + days(11), POLICY)
    assert refusal == ("Declined 2 times in the last 30 days: not offered again before 2025-04-02")
    assert suppression_refusal(action, two, T0 + days(31), POLICY) is None
    assert suppression_refusal(entry("care.other"), two, T0 + days(11), POLICY) is None


def test_suppression_is_configurable_per_action_and_already_done_does_not_count() -> None:
    strict = entry("care.a", suppress_after_declines=1, suppress_for_days=7)
    assert suppression_refusal(strict, [declined("care.a", T0)], T0 + days(6), POLICY)
    assert suppression_refusal(strict, [declined("care.a", T0)], T0 + days(8), POLICY) is None
    done = [declined("care.a", T0, DeclineReason.already_done)] * 3
    assert suppression_refusal(entry("care.a"), done, T0 + days(1), POLICY) is None


@given(st.lists(st.floats(min_value=0, max_value=60), max_size=6), st.integers(1, 4))
def test_suppressed_exactly_when_enough_declines_fall_in_the_window(
    ages: list[float], after: int
) -> None:
    now = T0 + days(60)
    outcomes = [declined("care.a", now - days(a)) for a in ages]
    refusal = suppression_refusal(
        entry("care.a", suppress_after_declines=after), outcomes, now, POLICY
    )
    assert (refusal is not None) == (sum(a <= 30 for a in ages) >= after)


# --- caps -------------------------------------------------------------------------------------


def test_caps_per_customer_per_channel_per_day_and_week_and_per_action() -> None:
    email = entry("email.a", channel=ActionChannel.email)
    assert cap_refusal(email, T0, [], POLICY) is None
    today = [Made("email.other", "email", T0 - timedelta(hours=3))]
    assert cap_refusal(email, T0, today, POLICY) == (
        "Cap: 1 email a day per customer, already reached"
    )
    week = [Made("email.x", "email", T0 - days(d)) for d in (1.5, 3, 5)]
    assert cap_refusal(email, T0, week, POLICY) == (
        "Cap: 3 email a week per customer, already reached"
    )
    assert cap_refusal(email, T0, [Made("email.x", "email", T0 - days(8))] * 5, POLICY) is None
    desk = entry("care.a", max_per_day=1)
    assert "this action at most 1 a day" in (
        cap_refusal(desk, T0, [Made("care.a", "desktop", T0 - timedelta(hours=1))], POLICY) or ""
    )
    busy = [Made(f"c.{n}", "other", T0 - timedelta(hours=n)) for n in range(6)]
    assert cap_refusal(desk, T0, busy, POLICY) == (
        "Contact limit: 6 recommendations in 24 hours already"
    )


# --- the loyalty penalty -------------------------------------------------------------------


def test_no_offer_is_priced_above_what_a_new_customer_pays() -> None:
    assert loyalty_refusal(Offer("broadband", "EUR", 500.0, 420.0, 500.0)) == (
        "Would price broadband at 500.00 EUR, above the 420.00 a new customer pays"
    )
    assert loyalty_refusal(Offer("broadband", "EUR", 420.0, 420.0, 500.0)) is None
    assert loyalty_refusal(Offer("boat", "EUR", 999.0, None, 999.0)) is None  # price unknown
    decision = Customer().moment(renewal(400.0, 520.0))
    assert verdicts(decision)["renewal.confirm_quote"] == (
        "ineligible",
        "Would price broadband at 520.00 EUR, above the 420.00 a new customer pays",
    )
    [fair] = [
        m.recommendation for m in decision.made if m.recommendation.channel.value == "desktop"
    ]
    assert fair.action.code == "retention.fair_renewal_price"
    assert "Offer broadband at 400.00 EUR (quoted 520.00)" in fair.why.reasons


def test_below_the_new_customer_price_the_quote_may_be_confirmed() -> None:
    moment = Moment.of([renewal(300.0, 345.0)])
    confirm = SHIPPED.entry("renewal.confirm_quote")
    assert confirm is not None
    offer = offer_for(confirm, moment, SHIPPED)
    assert offer is not None and offer.price == 345.0 and loyalty_refusal(offer) is None


# --- one open recommendation per issue --------------------------------------------------------


def test_a_new_issue_gets_its_own_card_while_another_is_open() -> None:
    customer = Customer()
    customer.moment(signal(SignalType.complaint, T0))
    other = customer.moment(
        signal(SignalType.complaint, T0 + timedelta(minutes=5), issue="complaint:network")
    )
    assert codes(other) == ["complaints.own_it"]
    assert other.made[0].recommendation.issues == ["complaint:network"]


def test_a_repeat_after_the_card_closed_makes_a_new_card() -> None:
    customer = Customer()
    first = customer.moment(signal(SignalType.complaint, T0))
    customer.answer(first.made[0].recommendation.id, "completed")
    again = customer.moment(signal(SignalType.complaint, T0 + timedelta(hours=1), occurrences=2))
    assert codes(again) == ["complaints.own_it"]
    assert again.made[0].recommendation.id != first.made[0].recommendation.id


def test_with_one_open_per_issue_off_a_repeat_adds_a_card_and_the_caps_still_hold() -> None:
    """The naive policy `moments evaluate` measures: no strengthening, every repeat is a
    new card, until the per-action cap (2 a day) stops it."""
    customer = Customer(policy=replace(POLICY, one_open_per_issue=False))
    first = customer.moment(signal(SignalType.complaint, T0))
    again = customer.moment(signal(SignalType.complaint, T0 + timedelta(minutes=5), occurrences=2))
    assert codes(first) == codes(again) == ["complaints.own_it"]
    assert again.strengthened == ()
    assert again.made[0].recommendation.id != first.made[0].recommendation.id
    third = customer.moment(signal(SignalType.complaint, T0 + timedelta(minutes=9), occurrences=3))
    assert third.made == ()
    assert "at most 2 a day" in verdicts(third)["complaints.own_it"][1]
    # on, the shipped default: the repeat strengthens the open card instead
    assert POLICY.one_open_per_issue
    shipped = Customer()
    shipped.moment(signal(SignalType.complaint, T0))
    repeat = shipped.moment(signal(SignalType.complaint, T0 + timedelta(minutes=5)))
    assert repeat.made == () and len(repeat.strengthened) == 1


# --- the invariants, over random customers ----------------------------------------------------

KINDS = [t for t in SignalType if t is not SignalType.life_event]
PROFILES = st.fixed_dictionaries(
    {
        "vulnerable": st.booleans(),
        "consent_service_contact": st.booleans(),
        "consent_marketing": st.booleans(),
        "consent_profiling": st.booleans(),
        "timezone": st.sampled_from([None, "Europe/Dublin", "Europe/Berlin", "America/New_York"]),
    }
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.floats(min_value=0.01, max_value=40),  # hours since the previous moment
        st.sampled_from(["declined", "accepted", None]),  # what the agent does with it
        st.booleans(),  # a priced renewal
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROFILES, STEPS, st.integers(0, 2**16))
def test_no_played_customer_is_ever_nagged_harmed_or_overcharged(
    profile: dict[str, object], steps: list[tuple[SignalType, float, str | None, bool]], seed: int
) -> None:
    customer = Customer(seed=seed)
    at = T0
    for kind, gap, answer, priced in steps:
        at += timedelta(hours=gap)
        if kind is SignalType.price_shock and priced:
            found = renewal(300.0, 460.0, at, **profile)
        else:
            found = signal(kind, at, **profile)
        decision = customer.moment(found)
        moment = Moment.of([found.model_copy(update={"customer_id": customer.id})])
        for made in decision.made:
            rec = made.recommendation
            catalogue_entry = SHIPPED.entry(rec.action.code)
            assert catalogue_entry is not None
            # consent by purpose
            assert consent_refusal(catalogue_entry, moment.profile) is None
            # vulnerable: human channels only, never sales
            if profile["vulnerable"]:
                assert rec.channel is ActionChannel.desktop
                assert catalogue_entry.kind is not ActionKind.sales
            # quiet hours
            assert (
                quiet_hours_refusal(rec.channel.value, at, moment.profile.timezone, POLICY) is None
            )
            # no loyalty penalty
            offer = offer_for(catalogue_entry, moment, SHIPPED)
            assert loyalty_refusal(offer) is None
            # suppression
            assert suppression_refusal(catalogue_entry, customer.outcomes, at, POLICY) is None
        if answer and decision.made:
            customer.answer(decision.made[0].recommendation.id, answer)
        # one live recommendation per issue per channel, at every moment
        live = customer.open_cards(at)
        seen = [(r.channel, i) for r in live for i in r.issues]
        assert len(seen) == len(set(seen))
    # caps, in every window, over the whole history
    made = [(r.moment_at, r.channel, r.action_code) for r in customer.recommendations]
    for when, _, _ in made:
        day = [m for m in made if when - timedelta(days=1) < m[0] <= when]
        week = [m for m in made if when - timedelta(days=7) < m[0] <= when]
        assert len(day) <= POLICY.max_per_customer_per_day
        for channel, cap in POLICY.channel_caps.items():
            assert sum(m[1] == channel for m in day) <= cap.day
            assert sum(m[1] == channel for m in week) <= cap.week
        for code in {m[2] for m in made}:
            catalogue_entry = SHIPPED.entry(code)
            assert catalogue_entry is not None
            assert sum(m[2] == code for m in day) <= (
                catalogue_entry.max_per_day or POLICY.action_max_per_day
            )
            assert sum(m[2] == code for m in week) <= (
                catalogue_entry.max_per_week or POLICY.action_max_per_week
            )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3))
def test_a_tight_channel_cap_holds_however_many_moments_come(per_day: int, per_week: int) -> None:
    policy = replace(POLICY, channel_caps={"desktop": ChannelCap(per_day, per_week)})
    customer = Customer(policy=policy)
    at = T0
    for n in range(20):
        at += timedelta(hours=3)
        customer.moment(signal(SignalType.complaint, at, issue=f"complaint:c{n}"))
    times = [r.moment_at for r in customer.recommendations]
    for when in times:
        assert sum(when - timedelta(days=1) < t <= when for t in times) <= per_day
        assert sum(when - timedelta(days=7) < t <= when for t in times) <= per_week
