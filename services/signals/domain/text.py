"""Reading what customers write: cancellation intent, life events and negation, by rule.

Sentiment itself comes from VADER, passed in by the caller as a `Sentiment` function
(compound score, -1..1), so these rules stay pure and testable. VADER scores grief as
neutral, which is why life events have their own phrase rules here.

Every phrase rule respects negation: "I don't want to cancel" is not cancellation intent
and "we're not moving house" is not a relocation. A phrase counts as negated when a
negating word stands at most three words before it in the same clause (a comma, a full
stop or "but" ends a clause). "Can't" and "cannot" are not negations here: "I can't
cancel online" is someone trying to leave. `negated_praise` finds "not happy", "not
satisfied" and the like, which VADER scores only mildly negative.
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

_PRAISE = re.compile(
    r"\b(happy|satisfied|pleased|impressed|good enough|acceptable|ok|okay|great|good|"
    r"helpful|fair)\b",
    re.IGNORECASE,
)

# The words that negate what follows. "can't" and "cannot" are deliberately absent.
_NEGATION = re.compile(
    r"\b(not|never|no|nor|without|(do|does|did|is|are|was|were|have|has|had|wo|would|"
    r"should|could|ai|am)n'?t|dont|doesnt|didnt|wont|wouldnt|isnt|arent|havent|hasnt)\b"
    r"|\bno (intention|plans?|wish|desire)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[.,;:!?]|\bbut\b|\bhowever\b", re.IGNORECASE)
NEGATION_REACH_WORDS = 3


def negated(text: str, start: int) -> bool:
    """Whether the phrase starting at `start` is negated within its own clause."""
    before = text[:start].replace("\u2019", "'")
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    words = clause.split()
    # the negating word, plus up to NEGATION_REACH_WORDS words between it and the phrase
    window = " ".join(words[-(NEGATION_REACH_WORDS + 1) :])
    return bool(_NEGATION.search(window))


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    return any(not negated(text, m.start()) for m in pattern.finditer(text))


def mentions_cancellation(text: str) -> bool:
    return _affirmed(_CANCEL, text)


def life_events_in(text: str) -> list[str]:
    """Life-event kinds the text speaks of (and does not deny), in the contract's names."""
    return [kind for kind, pattern in _LIFE_EVENTS.items() if _affirmed(pattern, text)]


def negated_praise(text: str) -> bool:
    """'I'm not happy', 'not good enough': praise words the customer negates."""
    return any(negated(text, m.start()) for m in _PRAISE.finditer(text))
