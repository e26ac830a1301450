"""`services.actions.domain.catalogue`: the shipped catalogue, and how bad entries are named."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.actions
from schemas.recommendations import ActionChannel
from schemas.signals import SignalType
from services.actions.domain.catalogue import (
    CatalogueInvalid,
    load_catalogue,
    parse_catalogue,
    queues,
)

SHIPPED = Path(services.actions.__file__).parent / "catalogue.toml"

GOOD = """
[[action]]
code = "care.thank_you"
title = "Thank them"
script = "Thank them."
triggers = ["positive_moment"]
queue = "care"
priority = 30
expires_in_minutes = 240

[[action]]
code = "sms.payment_help"
title = "We can help"
script = "Text a link."
triggers = ["payment_difficulty", "price_shock"]
channel = "sms"
queue = "collections"
priority = 50
expires_in_minutes = 1440
skip_if_vulnerable = true
"""


def third(**fields: object) -> str:
    """GOOD plus a third entry with these fields (TOML-encoded by hand)."""
    lines = ["", "[[action]]"]
    for name, value in fields.items():
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, str):
            rendered = f'"{value}"'
        elif isinstance(value, list):
            rendered = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            rendered = str(value)
        lines.append(f"{name} = {rendered}")
    return GOOD + "\n".join(lines) + "\n"


VALID_THIRD = {
    "code": "retention.call_back",
    "title": "Call them back",
    "script": "Call back today.",
    "triggers": ["cancellation_risk"],
    "queue": "retention",
    "priority": 90,
    "expires_in_minutes": 60,
}


def refusal(text: str) -> str:
    with pytest.raises(CatalogueInvalid) as caught:
        parse_catalogue(text, origin="test.toml")
    return str(caught.value)


def test_the_shipped_catalogue_loads() -> None:
    entries = load_catalogue(SHIPPED)
    assert len({e.code for e in entries}) == len(entries)
    assert all(e.title and e.script and e.queue for e in entries)


def test_every_signal_type_has_a_desktop_action_in_the_shipped_catalogue() -> None:
    entries = load_catalogue(SHIPPED)
    answered = {t for e in entries if e.channel is ActionChannel.desktop for t in e.triggers}
    assert answered == set(SignalType)


def test_shipped_desktop_actions_need_service_contact_consent_by_default() -> None:
    entries = load_catalogue(SHIPPED)
    assert all(
        e.requires_consent == "service_contact"
        for e in entries
        if e.channel is ActionChannel.desktop
    )


def test_a_valid_catalogue_parses_with_defaults_filled_in() -> None:
    thank_you, sms = parse_catalogue(GOOD)
    assert thank_you.channel is ActionChannel.desktop
    assert thank_you.requires_consent == "service_contact"
    assert thank_you.min_strength == 0.0
    assert thank_you.skip_if_vulnerable is False
    assert sms.channel is ActionChannel.sms
    assert sms.triggers == [SignalType.payment_difficulty, SignalType.price_shock]
    assert sms.skip_if_vulnerable is True
    assert queues([thank_you, sms]) == ["care", "collections"]


def test_a_valid_third_entry_is_accepted() -> None:
    assert [e.code for e in parse_catalogue(third(**VALID_THIRD))][-1] == "retention.call_back"


def test_unknown_trigger_names_the_entry_code_and_field() -> None:
    message = refusal(third(**{**VALID_THIRD, "triggers": ["churn"]}))
    assert message.startswith("test.toml: action #3 ('retention.call_back') is invalid:")
    assert "triggers.0:" in message
    assert "'cancellation_risk'" in message  # what would have been accepted


def test_missing_queue_names_the_entry_code_and_field() -> None:
    fields = {k: v for k, v in VALID_THIRD.items() if k != "queue"}
    message = refusal(third(**fields))
    assert "action #3 ('retention.call_back')" in message
    assert "queue: Field required" in message


def test_extra_field_names_the_entry_code_and_field() -> None:
    message = refusal(third(**VALID_THIRD, colour="red"))
    assert "action #3 ('retention.call_back')" in message
    assert "colour: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("priority", 101, "priority: Input should be less than or equal to 100"),
        ("expires_in_minutes", 0, "expires_in_minutes: Input should be greater than 0"),
        ("channel", "fax", "channel: Input should be"),
        ("requires_consent", "profiling", "requires_consent: Input should be"),
        ("code", "NoDots", "code: String should match pattern"),
    ],
)
def test_bad_values_name_the_field(field: str, value: object, words: str) -> None:
    message = refusal(third(**{**VALID_THIRD, field: value}))
    assert "action #3 (" in message
    assert words in message


def test_an_entry_without_a_code_is_still_named_by_number() -> None:
    fields = {k: v for k, v in VALID_THIRD.items() if k != "code"}
    message = refusal(third(**fields))
    assert "action #3 ('?')" in message
    assert "code: Field required" in message


def test_duplicate_codes_name_both_entries_and_the_code() -> None:
    message = refusal(third(**{**VALID_THIRD, "code": "care.thank_you"}))
    assert message.startswith("test.toml: action #3 ('care.thank_you') is invalid:")
    assert "code:" in message
    assert "action #1" in message


def test_bad_toml_says_where() -> None:
    message = refusal('[[action]]\ncode = "care.x"\ntitle = \n')
    assert message.startswith("test.toml: not valid TOML:")
    assert "line 3" in message


def test_a_catalogue_without_actions_is_refused() -> None:
    assert "needs at least one [[action]] table" in refusal("# nothing here\n")
    assert "needs at least one [[action]] table" in refusal('action = "retention.call"\n')


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(third(**{**VALID_THIRD, "triggers": ["churn"]}))
    with pytest.raises(CatalogueInvalid) as caught:
        load_catalogue(path)
    assert str(caught.value).startswith(f"{path}: action #3")
