"""Reading what customers write: cancellation intent and life events by rule.

Sentiment itself comes from VADER, passed in by the caller as a `Sentiment` function
(compound score, -1..1), so these rules stay pure and testable. VADER scores grief as
neutral, which is why life events have their own phrase rules here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Sentiment = Callable[[str], float]

_CANCEL = re.compile(
    r"\b(cancel+(ing|ed|ation)?|close my account|terminate|end my (contract|plan|policy)|"
    r"switch(ing)? (provider|supplier|bank|to)|leave you|leaving you|move to another)\b",
    re.IGNORECASE,
)

_LIFE_EVENTS: dict[str, re.Pattern[str]] = {
    "bereavement": re.compile(
        r"\b(passed away|death of|funeral|bereave\w*|widow\w*|late (husband|wife|"
        r"mother|father|partner)|"
        # a person died, not a phone or a battery
        r"(husband|wife|partner|mother|father|mum|mom|dad|parent|son|daughter|brother|sister|"
        r"gran|grandad|grandmother|grandfather) ((has|had|just|recently|sadly) )*died)\b",
        re.IGNORECASE,
    ),
    "divorce": re.compile(
        r"\b(divorc\w*|separat(ed|ing|ion) from|"
        r"split up(?! (the|this|that|my|our|it|payments?|bills?)\b))\b",
        re.IGNORECASE,
    ),
    "relocation": re.compile(
        r"\b(moving (house|home|abroad|to)|relocat\w*|new address|moved house)\b", re.IGNORECASE
    ),
    "new_child": re.compile(
        r"\b(new ?born|new baby|had a baby|having a baby|maternity|paternity)\b", re.IGNORECASE
    ),
    "job_loss": re.compile(
        r"\b(lost my job|made redundant|laid off|redundancy|unemployed|out of work)\b",
        re.IGNORECASE,
    ),
    "illness": re.compile(
        r"\b(diagnos(ed|is)|in hospital|chemo\w*|cancer|seriously ill|surgery)\b", re.IGNORECASE
    ),
    "retirement": re.compile(r"\b(retir(ed|ing|ement))\b", re.IGNORECASE),
    "marriage": re.compile(
        r"\b(got married|getting married|our wedding|my wedding)\b", re.IGNORECASE
    ),
}


def mentions_cancellation(text: str) -> bool:
    return bool(_CANCEL.search(text))


def life_events_in(text: str) -> list[str]:
    """Life-event kinds the text speaks of, in the contract's names."""
    return [kind for kind, pattern in _LIFE_EVENTS.items() if pattern.search(text)]
