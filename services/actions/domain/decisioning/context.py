"""What a decision knows: the moment, the customer's history, the learned tallies.

Plain values, loaded by the store in a few batched queries (one per table for a whole
poll) and handed to `decide`. Times are event times: a moment happens when its latest
signal's event happened, and a past recommendation counts at the moment it answered,
so a replayed or simulated stream is decided the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.customers import CustomerRecord
from schemas.recommendations import DeclineReason, OutcomeKind, Recommendation
from schemas.signals import CustomerSnapshot, Signal

# A recommendation in one of these states still answers its issues: a repeat of one of
# them strengthens it rather than adding another.
LIVE_STATUSES = frozenset({"open", "accepted", "snoozed"})


def issue_of(signal: Signal) -> str:
    """The signal's underlying issue; a signal without one is its own type's issue."""
    return signal.issue or signal.type.value


@dataclass(frozen=True)
class PastRecommendation:
    """A recommendation made earlier (held out or shown), as the store keeps it."""

    recommendation: Recommendation
    status: str  # open, accepted, snoozed, declined, completed
    moment_at: datetime  # event time of the moment it answered
    open_until: datetime  # event time until which it answers its issues

    @property
    def action_code(self) -> str:
        return self.recommendation.action.code

    @property
    def channel(self) -> str:
        return self.recommendation.channel.value

    @property
    def issues(self) -> tuple[str, ...]:
        return tuple(self.recommendation.issues)

    def live_at(self, at: datetime) -> bool:
        return self.status in LIVE_STATUSES and self.open_until > at


@dataclass(frozen=True)
class PastOutcome:
    """What an agent or the customer did with a past recommendation."""

    recommendation_id: str
    action_code: str
    outcome: OutcomeKind
    reason: DeclineReason | None
    at: datetime  # the moment time of the recommendation it answers


@dataclass(frozen=True)
class Tally:
    """Outcomes learned for one action in one segment: accepted or completed, declined."""

    successes: float = 0.0
    failures: float = 0.0


# (action code, segment) -> tally; the segment "all" holds every customer's outcomes.
Tallies = Mapping[tuple[str, str], Tally]


@dataclass(frozen=True)
class CustomerHistory:
    """Everything known about a customer before this moment, within the look-back."""

    record: CustomerRecord | None = None
    signals: tuple[Signal, ...] = ()  # acted on, oldest first (the moment's included)
    recommendations: tuple[PastRecommendation, ...] = ()
    outcomes: tuple[PastOutcome, ...] = ()


@dataclass(frozen=True)
class Moment:
    """The new signals of one customer that are decided together."""

    customer_id: str
    signals: tuple[Signal, ...]
    at: datetime = field(default=datetime.min)

    @classmethod
    def of(cls, signals: tuple[Signal, ...] | list[Signal], at: datetime | None = None) -> Moment:
        """The moment of these signals (one customer's), at the latest of their times."""
        ordered = tuple(signals)
        if not ordered:
            raise ValueError("a moment needs at least one signal")
        latest = max(s.occurred_at for s in ordered)
        return cls(ordered[0].customer_id, ordered, at or latest)

    @property
    def profile(self) -> CustomerSnapshot:
        """The newest profile: consents, vulnerability and the live contact as of now."""
        return max(self.signals, key=lambda s: (s.occurred_at, s.detected_at)).customer

    @property
    def issues(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(issue_of(s) for s in self.signals))
