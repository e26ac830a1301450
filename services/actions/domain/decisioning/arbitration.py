"""Arbitration: score each eligible candidate and choose the winners per channel.

    score = propensity x relevance x value x lever
    value = w_customer x value_to_customer + (1 - w_customer) x value_to_business

`propensity` is drawn from the learned posterior (learning.py); `relevance` is how
strongly the moment calls for the action: 1 - (1 - s1)(1 - s2)... over the strongest
signal of each issue it answers, so an action that answers more of the moment counts
for more; `lever` is the catalogue's priority / 100. Winners are chosen best score
first: on each channel a candidate wins when it answers an issue no better candidate on
that channel answers, and no cap stops it. So one issue gets one action per channel, and
an action that answers several issues at once is one recommendation, not several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.decisions import Candidate, ScoreParts, Verdict
from schemas.signals import Signal
from services.actions.domain.decisioning.catalogue import CatalogueEntry
from services.actions.domain.decisioning.contact_policy import ContactPolicy, Made, cap_refusal
from services.actions.domain.decisioning.context import issue_of


def relevance(signals: Sequence[Signal]) -> float:
    strongest: dict[str, float] = {}
    for signal in signals:
        issue = issue_of(signal)
        strongest[issue] = max(strongest.get(issue, 0.0), signal.strength)
    miss = 1.0
    for strength in strongest.values():
        miss *= 1.0 - strength
    return 1.0 - miss


def value(entry: CatalogueEntry, weight_customer: float) -> float:
    return weight_customer * entry.value_to_customer + (1 - weight_customer) * (
        entry.value_to_business
    )


def lever(entry: CatalogueEntry) -> float:
    return entry.priority / 100


def score(parts: ScoreParts) -> float:
    return parts.propensity * parts.relevance * parts.value * parts.lever


@dataclass(frozen=True)
class Contender:
    """A catalogue action the moment made relevant, eligible (`refusal` None) or not."""

    entry: CatalogueEntry
    signals: tuple[Signal, ...]  # the moment's new signals that trigger it
    refusal: str | None = None
    parts: ScoreParts | None = None

    @property
    def issues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(issue_of(s) for s in self.signals))

    @property
    def score(self) -> float:
        return score(self.parts) if self.parts is not None else 0.0


@dataclass(frozen=True)
class Win:
    contender: Contender
    issues: tuple[str, ...]  # those it answers first on its channel
    candidate: Candidate


def _words(parts: ScoreParts) -> str:
    return (
        f"{score(parts):.3f} = propensity {parts.propensity:.2f} x relevance "
        f"{parts.relevance:.2f} x value {parts.value:.2f} x lever {parts.lever:.2f}"
    )


def arbitrate(
    contenders: Sequence[Contender], at: datetime, made: Sequence[Made], policy: ContactPolicy
) -> tuple[list[Candidate], list[Win]]:
    """Every contender as a ranked candidate with its verdict, and the winners."""
    eligible = sorted(
        (c for c in contenders if c.refusal is None),
        key=lambda c: (-c.score, -c.entry.priority, c.entry.code),
    )
    answered: dict[tuple[str, str], Contender] = {}  # (channel, issue) -> its winner
    counted = list(made)
    verdicts: dict[str, tuple[Verdict, str, tuple[str, ...]]] = {}
    wins: list[tuple[Contender, tuple[str, ...]]] = []
    for contender in eligible:
        entry, channel = contender.entry, contender.entry.channel.value
        fresh = tuple(i for i in contender.issues if (channel, i) not in answered)
        if not fresh:
            winner = answered[(channel, contender.issues[0])]
            verdicts[entry.code] = (
                Verdict.lost,
                f"Lost on {channel} to {winner.entry.code} ({winner.score:.3f}), which "
                f"answers {', '.join(contender.issues)}",
                contender.issues,
            )
            continue
        capped = cap_refusal(entry, at, counted, policy)
        if capped is not None:
            verdicts[entry.code] = (Verdict.ineligible, capped, contender.issues)
            continue
        for issue in fresh:
            answered[(channel, issue)] = contender
        counted.append(Made(entry.code, channel, at))
        wins.append((contender, fresh))
    candidates, chosen = [], []
    for contender in eligible:
        entry = contender.entry
        if entry.code in verdicts:
            verdict, reason, issues = verdicts[entry.code]
        else:
            issues = next(f for c, f in wins if c is contender)
            runner_up = next(
                (
                    c
                    for c in eligible
                    if c is not contender
                    and c.entry.channel == entry.channel
                    and set(c.issues) & set(issues)
                    and verdicts.get(c.entry.code, (None,))[0] is Verdict.lost
                ),
                None,
            )
            beat = f"; beat {runner_up.entry.code} ({runner_up.score:.3f})" if runner_up else ""
            assert contender.parts is not None  # every eligible contender is scored
            verdict = Verdict.won
            reason = f"Won on {entry.channel.value} with {_words(contender.parts)}{beat}"
        candidate = _candidate(contender, verdict, reason, issues)
        candidates.append(candidate)
        if verdict is Verdict.won:
            chosen.append(Win(contender, issues, candidate))
    candidates += [
        _candidate(c, Verdict.ineligible, c.refusal or "", c.issues)
        for c in contenders
        if c.refusal is not None
    ]
    return candidates, chosen


def _candidate(
    contender: Contender, verdict: Verdict, reason: str, issues: tuple[str, ...]
) -> Candidate:
    entry = contender.entry
    return Candidate(
        action_code=entry.code,
        title=entry.title,
        channel=entry.channel,
        queue=entry.queue,
        verdict=verdict,
        reason=reason,
        score=round(contender.score, 6) if contender.parts is not None else None,
        parts=contender.parts,
        issues=list(issues),
    )
