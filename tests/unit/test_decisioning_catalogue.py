"""Catalogue v2: conditions, guides and prices validated on load, errors that name the
action, the field and the reason; the shipped catalogue; guides walked by agents."""

from __future__ import annotations

import pytest

from schemas.recommendations import ActionChannel, OutcomeKind, Script, ScriptChoice
from services.actions.domain.decisioning.catalogue import CatalogueInvalid, parse_catalogue
from services.actions.domain.decisioning.eligibility import VOCABULARY
from services.actions.domain.decisioning.scripts import PathInvalid, plain_guide, walk
from tests.unit.decisions import SHIPPED

HEAD = """
[[action]]
code = "care.first"
title = "First"
script = "Do the first thing."
triggers = ["complaint"]
queue = "care"
priority = 50
expires_in_minutes = 60
"""

GUIDE = """
[[action]]
code = "care.guided"
title = "Guided"
triggers = ["complaint"]
queue = "care"
priority = 50
expires_in_minutes = 60
[action.guide]
start = "ask"
[[action.guide.steps]]
id = "ask"
say = "Ask."
answers = [{ label = "Yes", next = "yes" }, { label = "No", next = "no" }]
[[action.guide.steps]]
id = "yes"
say = "Do it."
outcome = "accepted"
follow_on = "care.first"
[[action.guide.steps]]
id = "no"
say = "Leave it."
outcome = "declined"
"""


def refusal(text: str) -> str:
    with pytest.raises(CatalogueInvalid) as caught:
        parse_catalogue(text, origin="v2.toml")
    return str(caught.value)


def test_a_guided_entry_loads_and_its_opening_is_the_first_step() -> None:
    catalogue = parse_catalogue(HEAD + GUIDE)
    guided = catalogue.entry("care.guided")
    assert guided is not None and guided.guide is not None
    assert guided.opening == "Ask."
    assert [s.id for s in guided.conversation.steps] == ["ask", "yes", "no"]
    plain = catalogue.entry("care.first")
    assert plain is not None and plain.conversation == plain_guide("Do the first thing.")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('next = "no"', 'next = "nowhere"'), "guide.steps[0] ('ask').answers[1].next: no step"),
        (('start = "ask"', 'start = "begin"'), "guide.start: no step 'begin'"),
        (
            ('outcome = "declined"\n', ""),
            "guide.steps[2] ('no'): a leaf must record an outcome (a dead end otherwise)",
        ),
        (
            ('follow_on = "care.first"', 'follow_on = "care.nope"'),
            "follow_on: no action 'care.nope'",
        ),
        (
            ('follow_on = "care.first"', 'follow_on = "care.guided"'),
            "an action cannot follow on from itself",
        ),
        (
            ('{ label = "No", next = "no" }', '{ label = "Yes", next = "no" }'),
            "two answers have the same label",
        ),
    ],
)
def test_a_broken_guide_names_the_action_the_step_and_the_reason(
    change: tuple[str, str], words: str
) -> None:
    message = refusal(HEAD + GUIDE.replace(*change))
    assert message.startswith("v2.toml: action #2 ('care.guided') is invalid: guide.")
    assert words in message


def test_unreachable_steps_and_loops_are_refused() -> None:
    unreachable = (
        GUIDE + '[[action.guide.steps]]\nid = "orphan"\nsay = "Lost."\noutcome = "completed"\n'
    )
    assert "guide.steps[3] ('orphan'): not reachable from 'ask'" in refusal(HEAD + unreachable)
    loop = GUIDE.replace(
        'say = "Leave it."\noutcome = "declined"',
        'say = "Really?"\nanswers = [{ label = "Back", next = "ask" }]',
    )
    assert "the answers go round in a loop: ask -> no -> ask" in refusal(HEAD + loop)


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("life_event(90)", "unknown name 'life_event' (did you mean 'life_events'?)"),
        ('signals("complaint", 30) >', "syntax error"),
        ('health + "x"', "data type mismatch"),
    ],
)
def test_a_bad_condition_names_the_action_the_field_and_the_reason(
    condition: str, words: str
) -> None:
    text = HEAD.replace('queue = "care"', f"eligible_when = '{condition}'\nqueue = \"care\"")
    message = refusal(text)
    assert message.startswith("v2.toml: action #1 ('care.first') is invalid: eligible_when: ")
    assert words in message


def test_an_action_without_triggers_must_be_a_follow_on() -> None:
    lonely = HEAD.replace('triggers = ["complaint"]\n', "")
    assert "triggers: none given, and no guide leads to it as a follow-on" in refusal(lonely)
    assert parse_catalogue(HEAD.replace('triggers = ["complaint"]\n', "") + GUIDE).entry(
        "care.first"
    )


def test_an_action_needs_words_and_prices_are_checked() -> None:
    wordless = HEAD.replace('script = "Do the first thing."\n', "")
    assert "script or guide: an action needs one of them" in refusal(wordless)
    priced = HEAD + '[[new_customer_price]]\nproduct = "broadband"\nprice = -3\ncurrency = "EUR"\n'
    assert "new_customer_price #1 is invalid: price: Input should be greater than 0" in refusal(
        priced
    )
    twice = HEAD + 2 * '[[new_customer_price]]\nproduct = "TV"\nprice = 3\ncurrency = "EUR"\n'
    assert "a product is priced twice" in refusal(twice)


def test_the_shipped_catalogue_has_a_sound_guide_for_every_desktop_action() -> None:
    for action in SHIPPED:
        if action.channel is ActionChannel.desktop:
            assert action.guide is not None, action.code
        leaves = [s for s in action.conversation.steps if not s.answers]
        assert leaves and all(s.outcome is not None for s in leaves), action.code


def test_the_shipped_catalogue_has_an_action_for_every_kind_of_life_event() -> None:
    kinds = ["bereavement", "divorce", "relocation", "new_child", "job_loss", "illness"]
    kinds += ["retirement", "marriage"]
    conditions = [a.eligible_when or "" for a in SHIPPED if "life_event" in a.triggers]
    for kind in kinds:
        assert any(f'"{kind}" in life_events_now' in c for c in conditions), kind
    assert SHIPPED.new_customer_price("Broadband", "EUR") == 420.0
    assert SHIPPED.new_customer_price("broadband", "USD") is None


def test_the_vocabulary_documents_every_name() -> None:
    assert all(words for _, words in VOCABULARY.values())


# --- walking a guide --------------------------------------------------------------------------


def guide() -> Script:
    entry = parse_catalogue(HEAD + GUIDE).entry("care.guided")
    assert entry is not None and entry.guide is not None
    return entry.guide


def test_a_path_to_a_leaf_returns_the_leaf() -> None:
    leaf = walk(guide(), [ScriptChoice(step="ask", answer="Yes"), ScriptChoice(step="yes")])
    assert leaf is not None and leaf.outcome is OutcomeKind.accepted
    assert leaf.follow_on == "care.first"
    also = walk(guide(), [ScriptChoice(step="ask", answer="No")])
    assert also is not None and also.id == "no"


def test_a_path_that_stops_part_way_returns_no_leaf() -> None:
    assert walk(guide(), [ScriptChoice(step="ask")]) is None
    assert walk(guide(), []) is None


@pytest.mark.parametrize(
    ("path", "field", "words"),
    [
        ([ScriptChoice(step="yes")], "path[0].step", "expected step 'ask'"),
        ([ScriptChoice(step="ask", answer="Maybe")], "path[0].answer", "offers 'Yes', 'No'"),
        (
            [ScriptChoice(step="ask", answer="Yes"), ScriptChoice(step="no")],
            "path[1].step",
            "expected step 'yes'",
        ),
        (
            [ScriptChoice(step="ask"), ScriptChoice(step="yes")],
            "path[0].answer",
            "only the last step may have none",
        ),
    ],
)
def test_a_path_off_the_guide_is_refused_naming_the_choice(
    path: list[ScriptChoice], field: str, words: str
) -> None:
    with pytest.raises(PathInvalid) as caught:
        walk(guide(), path)
    assert caught.value.field == field and words in caught.value.reason


def test_the_simulated_customers_have_a_propensity_for_every_catalogue_action() -> None:
    from moments.simulate.domain.population import ADDED_PROPENSITY, BASE_PROPENSITY

    known = {*BASE_PROPENSITY, *ADDED_PROPENSITY}
    assert {action.code for action in SHIPPED} <= known
    assert not set(BASE_PROPENSITY) & set(ADDED_PROPENSITY)


def test_the_readme_documents_every_name_a_condition_may_use() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Writing a catalogue entry", 1)[1].split("\n## ", 1)[0]
    for name in VOCABULARY:
        assert f"| `{name}` |" in section, name


def test_the_readme_catalogue_entry_example_loads() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Writing a catalogue entry", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    team = HEAD.replace("care.first", "care.life_events_team").replace(
        'triggers = ["complaint"]\n', ""
    )
    catalogue = parse_catalogue(example + team, origin="README")
    moving = catalogue.entry("care.moving_home")
    assert moving is not None and moving.guide is not None
    assert moving.eligible_when == '"relocation" in life_events_now'
