"""`services.signals.domain.text`: cancellation intent and life events in customers' words."""

from __future__ import annotations

import pytest

from services.signals.domain.text import life_events_in, mentions_cancellation, negated_praise


@pytest.mark.parametrize(
    "text",
    [
        "I want to cancel my broadband",
        "Please CANCEL the policy today",
        "I'm cancelling at the end of the month",
        "I already cancelled the direct debit",
        "How do I request a cancellation?",
        "I would like to close my account",
        "Can you terminate my contract",
        "I want to end my contract early",
        "We are switching provider next week",
        "I'm going to switch to another bank",
        "I'm leaving you for a cheaper deal",
        "I will move to another supplier",
    ],
)
def test_cancellation_intent_is_recognised(text: str) -> None:
    assert mentions_cancellation(text)


@pytest.mark.parametrize(
    "text",
    [
        "Can you tell me my balance?",
        "My cancer treatment starts Monday",
        "I lit a candle",
        "Thanks, that solved it",
        "Please close the ticket, it works now",
        "The switch on the router is broken",
        "I'd like to extend my contract",
    ],
)
def test_other_words_are_not_cancellation_intent(text: str) -> None:
    assert not mentions_cancellation(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My husband passed away last month", "bereavement"),
        ("My mother died on Sunday", "bereavement"),
        ("My dad has just died", "bereavement"),
        ("I need to pay for the funeral", "bereavement"),
        ("since the death of my partner", "bereavement"),
        ("I'm recently widowed", "bereavement"),
        ("We are getting divorced", "divorce"),
        ("I separated from my wife in May", "divorce"),
        ("My partner and I split up", "divorce"),
        ("We're moving house next month", "relocation"),
        ("I am relocating to Cork", "relocation"),
        ("Please note my new address", "relocation"),
        ("We just had a baby!", "new_child"),
        ("I'm on maternity leave", "new_child"),
        ("I was made redundant on Friday", "job_loss"),
        ("I lost my job", "job_loss"),
        ("I've been diagnosed with diabetes", "illness"),
        ("I'm in hospital this week", "illness"),
        ("I retired in June", "retirement"),
        ("We got married in Galway", "marriage"),
    ],
)
def test_life_event_phrases_name_their_kind(text: str, kind: str) -> None:
    assert life_events_in(text) == [kind]


def test_several_life_events_in_one_text_are_all_named() -> None:
    text = "After my wife passed away I was made redundant, so I'm moving house."
    assert set(life_events_in(text)) == {"bereavement", "job_loss", "relocation"}


@pytest.mark.parametrize(
    "text",
    [
        "Where is my parcel?",
        "My phone died halfway through the call",
        "The battery died again",
        "Can I split up the payment into three instalments?",
        "Please run a diagnostic on my router",
        "The router diagnostics page shows an error",
        "I want to update my email address",
        "I'm happy with the service",
    ],
)
def test_everyday_service_talk_is_not_a_life_event(text: str) -> None:
    assert life_events_in(text) == []


# --- negation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to cancel",
        "I don\u2019t want to cancel, just to pay later",
        "I do not want to cancel my plan",
        "I'm not cancelling",
        "I won't be switching provider",
        "We would never leave you",
        "I have no intention of cancelling",
        "No plans to cancel",
    ],
)
def test_denied_cancellation_is_not_intent(text: str) -> None:
    assert not mentions_cancellation(text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't cancel online, the page breaks",  # trying to leave and failing is intent
        "I don't like this, I want to cancel",  # the negation is in another clause
        "I'm not happy. Cancel it.",
        "Not happy at all but I will cancel tomorrow",
    ],
)
def test_negation_elsewhere_leaves_cancellation_intent(text: str) -> None:
    assert mentions_cancellation(text)


@pytest.mark.parametrize(
    "text",
    [
        "We are not moving house after all",
        "I haven't lost my job, I just changed banks",
        "We're not getting married until next year",
    ],
)
def test_denied_life_events_are_not_life_events(text: str) -> None:
    assert life_events_in(text) == []


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("I'm not happy", True),
        ("I am not at all satisfied with this", True),
        ("Honestly not good enough", True),
        ("This isn't acceptable", True),
        ("I'm happy with it", False),
        ("Not bad, I'm happy", False),
    ],
)
def test_negated_praise(text: str, negative: bool) -> None:
    assert negated_praise(text) is negative
