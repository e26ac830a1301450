"""One decision per customer moment: `decide(moment, history, ...)` -> `Decision`.

1. A signal whose issue already has a live recommendation strengthens that one (same id,
   its new signal, reasons and count added, its life extended) instead of adding another.
2. Every catalogue action a new signal triggers is a contender; the rules rule some out,
   in order: consent, vulnerability, its `eligible_when`, suppression after declines,
   quiet hours, the loyalty penalty.
3. The rest are scored and arbitrated (arbitration.py); caps are applied as winners are
   chosen. The winners become recommendations, held out (recorded, never shown) when
   the customer is in the holdout group.

Pure: the caller passes the time the decision is made, the random draws and the data.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from schemas.decisions import Candidate, NextBestAction, ScoreParts
from schemas.recommendations import Action, Recommendation, SignalRef, Why
from schemas.signals import Signal
from services.actions.domain.decisioning import arbitration, learning
from services.actions.domain.decisioning.catalogue import Catalogue, CatalogueEntry
from services.actions.domain.decisioning.contact_policy import (
    ContactPolicy,
    Made,
    consent_refusal,
    loyalty_refusal,
    quiet_hours_refusal,
    suppression_refusal,
    vulnerability_refusal,
)
from services.actions.domain.decisioning.context import (
    CustomerHistory,
    Moment,
    PastRecommendation,
    Tallies,
    issue_of,
)
from services.actions.domain.decisioning.eligibility import facts, holds
from services.actions.domain.decisioning.explain import explain
from services.actions.domain.decisioning.holdout import in_holdout
from services.actions.domain.decisioning.offers import (
    offer_for,
    offer_words,
    renewal_above_new_customer_price,
)
from services.actions.domain.decisioning.repeats import (
    EXTRA_CARE,
    Strengthened,
    earlier_life_event,
    strengthen,
)
from services.plumbing.ids import keyed_id


@dataclass(frozen=True)
class NewRecommendation:
    recommendation: Recommendation
    signal_id: str  # the first signal it answers
    moment_at: datetime
    open_until: datetime  # event time until which it answers its issues
    segment: str | None  # the learning segment its outcome teaches (None: only "all")


@dataclass(frozen=True)
class Decision:
    id: str
    customer_id: str
    at: datetime
    holdout: bool
    candidates: tuple[Candidate, ...]
    made: tuple[NewRecommendation, ...]
    strengthened: tuple[Strengthened, ...]
    explanation: tuple[str, ...]

    def next_best_action(self) -> NextBestAction:
        winners: dict[str, list[str]] = {}
        for made in self.made:
            rec = made.recommendation
            winners.setdefault(rec.channel.value, []).append(rec.action.code)
        return NextBestAction(
            customer_id=self.customer_id,
            at=self.at,
            winners=winners,
            candidates=list(self.candidates),
            explanation=list(self.explanation),
        )


def _contender(
    entry: CatalogueEntry,
    triggering: list[Signal],
    live_issues: dict[str, list[PastRecommendation]],
    moment: Moment,
    history: CustomerHistory,
    catalogue: Catalogue,
    policy: ContactPolicy,
    values: Mapping[str, Any],
) -> arbitration.Contender:
    fresh = tuple(s for s in triggering if issue_of(s) not in live_issues)
    profile = moment.profile
    if not fresh:
        issue = issue_of(triggering[0])
        answering = live_issues[issue]
        # name the one on this action's own channel, if there is one
        open_one = next((r for r in answering if r.channel == entry.channel.value), answering[0])
        refusal: str | None = (
            f"Its issue {issue} already has an open recommendation"
            f" ({open_one.action_code} on {open_one.channel}), which this moment strengthens"
        )
        return arbitration.Contender(entry, tuple(triggering), refusal)
    condition = catalogue.conditions.get(entry.code)
    refusal = (
        consent_refusal(entry, profile)
        or vulnerability_refusal(entry, profile)
        or (
            f"Its condition does not hold: {entry.eligible_when}"
            if condition is not None and not holds(condition, values)
            else None
        )
        or suppression_refusal(entry, history.outcomes, moment.at, policy)
        or quiet_hours_refusal(entry.channel.value, moment.at, profile.timezone, policy)
        or loyalty_refusal(offer_for(entry, moment, catalogue))
    )
    return arbitration.Contender(entry, fresh, refusal)


def decide(
    moment: Moment,
    history: CustomerHistory,
    catalogue: Catalogue,
    policy: ContactPolicy,
    tallies: Tallies,
    rng: random.Random,
    decided_at: datetime,
    counted: Sequence[Made] = (),
) -> Decision:
    """`counted`: recommendations to count against the caps besides the history's."""
    at, profile = moment.at, moment.profile
    live = [r for r in history.recommendations if r.live_at(at) and policy.one_open_per_issue]
    # While a recommendation (on any channel) answers an issue, a repeat adds no other.
    live_issues: dict[str, list[PastRecommendation]] = {}
    for past in live:
        for issue in past.issues:
            live_issues.setdefault(issue, []).append(past)
    strengthened = []
    for past in live:
        repeats = [s for s in moment.signals if issue_of(s) in past.issues]
        if repeats:
            entry = catalogue.entry(past.action_code)
            strengthened.append(strengthen(past, repeats, entry, at, decided_at))
    values = facts(moment, history, renewal_above_new_customer_price(moment, catalogue))
    segment = learning.segment_of(profile)
    contenders = []
    for entry in catalogue:
        triggering = [
            s
            for s in moment.signals
            if s.type in entry.triggers and s.strength >= entry.min_strength
        ]
        if not triggering:
            continue
        contender = _contender(
            entry, triggering, live_issues, moment, history, catalogue, policy, values
        )
        if contender.refusal is None:
            belief = learning.posterior(
                entry.code, entry.propensity, entry.prior_weight, segment, tallies
            )
            parts = ScoreParts(
                propensity=learning.thompson(belief, rng, policy.exploration),
                relevance=arbitration.relevance(contender.signals),
                value=arbitration.value(entry, policy.weight_customer),
                lever=arbitration.lever(entry),
            )
            contender = replace(contender, parts=parts)
        contenders.append(contender)
    made = [Made(r.action_code, r.channel, r.moment_at) for r in history.recommendations]
    made += counted
    candidates, wins = arbitration.arbitrate(contenders, at, made, policy)
    holdout = in_holdout(moment.customer_id, policy.holdout_percent, policy.holdout_salt)
    new = [
        _recommendation(win, moment, history, catalogue, policy, holdout, segment, decided_at)
        for win in wins
    ]
    by_code = {n.recommendation.action.code: n.recommendation.id for n in new}
    candidates = [
        c.model_copy(update={"recommendation_id": by_code[c.action_code]})
        if c.action_code in by_code
        else c
        for c in candidates
    ]
    return Decision(
        id=keyed_id(policy.id_secret, "dec", *(s.id for s in moment.signals)),
        customer_id=moment.customer_id,
        at=at,
        holdout=holdout,
        candidates=tuple(candidates),
        made=tuple(new),
        strengthened=tuple(strengthened),
        explanation=tuple(explain(moment, candidates, strengthened, holdout)),
    )


def _recommendation(
    win: arbitration.Win,
    moment: Moment,
    history: CustomerHistory,
    catalogue: Catalogue,
    policy: ContactPolicy,
    holdout: bool,
    segment: str | None,
    decided_at: datetime,
) -> NewRecommendation:
    entry, profile = win.contender.entry, moment.profile
    answering = [s for s in win.contender.signals if issue_of(s) in win.issues]
    reasons: list[str] = []
    for signal in answering:
        reasons += [r for r in signal.reasons if r not in reasons]
    condition = catalogue.conditions.get(entry.code)
    if condition is not None and "life_events" in condition.context.symbols:
        earlier = earlier_life_event(history, moment)
        if earlier:
            reasons.append(earlier)
    offer = offer_for(entry, moment, catalogue)
    words = offer_words(offer) if offer is not None else None
    if words:
        reasons.append(words)
    if profile.vulnerable:
        reasons.append(EXTRA_CARE)
    life = timedelta(minutes=entry.expires_in_minutes)
    rec = Recommendation(
        id=keyed_id(policy.id_secret, "rec", answering[0].id, entry.code),
        customer_id=moment.customer_id,
        action=Action(
            code=entry.code, title=entry.title, script=entry.opening, guide=entry.conversation
        ),
        why=Why(
            signals=[SignalRef(id=s.id, type=s.type) for s in answering],
            reasons=reasons,
            decision=win.candidate.reason,
        ),
        priority=entry.priority,
        channel=entry.channel,
        queue=entry.queue,
        agent_id=profile.live_agent_id if entry.channel.value == "desktop" else None,
        holdout=holdout,
        created_at=decided_at,
        expires_at=decided_at + life,
        issues=list(win.issues),
        occurrences=max(s.occurrences for s in answering),
        score=win.candidate.score,
    )
    return NewRecommendation(rec, answering[0].id, moment.at, moment.at + life, segment)
