"""Relationship health: a 0-100 score of how a customer relationship stands, explained.

The model (README, "Relationship health", has the worked example):

    score = clamp(BASELINE + sum of factor points + value points + tenure points, 0, 100)

Each moment the customer lives through adds signed points to its factor's ledger row
(a complaint -6/-10/-15 by severity, a resolved contact +2, a purchase +4, ...: see
`FACTORS` and `impacts_of` in domain/moments.py). A row's points fade with the factor's
half-life, so a row is one decaying sum: [points at `at`, `at`, moments counted, label
of the latest]. That keeps the state small and the score cheap (one power per factor)
however long the history. Value tier and tenure add standing points.

Every factor with at least half a point becomes a `HealthReason` in plain words; the
largest few are the score's reasons. The trend is the end-of-day score of each day with
an event (kept in the state by `CustomerState.record_day`) plus today's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from schemas.health import HealthPoint, HealthReason, RelationshipHealth

BASELINE = 70.0
DAY_S = 86400.0
REASON_LIMIT = 4
REASON_FLOOR = 0.5  # points below which a factor is not worth saying
TREND_DAYS = 90
VALUE_POINTS = {"low": 0.0, "medium": 2.0, "high": 4.0, "top": 6.0}
TENURE_POINTS = 6.0  # earned linearly over the first TENURE_FULL_DAYS
TENURE_FULL_DAYS = 730.0
_EPOCH = date(1970, 1, 1).toordinal()
BANDS = ((40.0, "at_risk"), (60.0, "strained"), (80.0, "steady"), (101.0, "strong"))


@dataclass(frozen=True)
class Factor:
    kind: str  # HealthReason.kind
    half_life_days: float
    one: str  # plain words for one moment; {label} is the latest moment's detail
    many: str  # for several; {n} is how many


# code: (kind, half-life in days, words for one moment, words for several)
FACTORS: dict[str, Factor] = {
    "cp": Factor(
        "complaint", 45, "A complaint about {label}", "{n} complaints, the latest about {label}"
    ),
    "cr": Factor(
        "complaint", 45, "A complaint about {label} put right", "{n} complaints put right"
    ),
    "un": Factor(
        "effort",
        21,
        "A contact about {label} ended without a fix",
        "{n} contacts ended without a fix, the latest about {label}",
    ),
    "rc": Factor(
        "effort",
        21,
        "Had to contact us again about {label}",
        "Contacted us again and again about {label} ({n} repeats)",
    ),
    "fs": Factor(
        "effort", 14, "Could not {label}", "{n} failed attempts online, the latest to {label}"
    ),
    "wt": Factor("effort", 21, "Waited {label} on a contact", "{n} long waits, the latest {label}"),
    "ab": Factor("effort", 21, "Gave up on a {label} contact", "Gave up on {n} contacts"),
    "rs": Factor("resolution", 30, "A contact about {label} resolved", "{n} contacts resolved"),
    "cx": Factor(
        "cancellation",
        60,
        "Asked to cancel {label}",
        "Spoke of leaving {n} times, the latest about {label}",
    ),
    "ps": Factor("price", 60, "Renewal price up {label}", "{n} renewal rises, the latest {label}"),
    "pm": Factor("payment", 60, "Missed a payment ({label})", "{n} missed payments"),
    "ng": Factor("sentiment", 30, "Unhappy: {label}", "Unhappy {n} times, the latest: {label}"),
    "po": Factor("sentiment", 45, "Happy: {label}", "Happy {n} times, the latest: {label}"),
    "pu": Factor("purchase", 60, "Bought {label}", "{n} purchases, the latest {label}"),
    "le": Factor("life_event", 60, "Going through {label}", "Going through {label} and more"),
    "lp": Factor("lost", 120, "Cancelled {label}", "Cancelled {n} products, the latest {label}"),
}


def decayed(row: Sequence[Any], code: str, now: float) -> float:
    """A ledger row's points at `now`."""
    points, at = float(row[0]), float(row[1])
    elapsed = max(0.0, now - at)
    return points * 0.5 ** (elapsed / (FACTORS[code].half_life_days * DAY_S))


def feel(ledger: dict[str, list[Any]], code: str, points: float, at: float, label: str) -> None:
    """Add one moment's points to its factor's row, faded to `at` first."""
    row = ledger.get(code)
    before = decayed(row, code, at) if row else 0.0
    count = int(row[2]) + 1 if row and abs(before) >= REASON_FLOOR else 1
    # a late event (older than the row) adds its points as of the row's time
    when = max(int(at), int(row[1])) if row else int(at)
    ledger[code] = [round(before + points, 2), when, count, label[:48]]


def soften(ledger: dict[str, list[Any]], code: str, share: float) -> None:
    """Take `share` of a factor's remaining points away (a complaint put right).

    Decay is a factor, so scaling the stored points is the same as scaling them now, and
    the row keeps the time of its latest moment."""
    row = ledger.get(code)
    if row:
        row[0] = round(float(row[0]) * (1 - share), 2)


def _ago(seconds: float) -> str:
    days = int(seconds // DAY_S)
    return "today" if days <= 0 else ("yesterday" if days == 1 else f"{days} days ago")


def _tenure_words(days: float) -> str:
    months = round(days / 30.44)
    if months < 1:
        return "New customer (first seen this month)"
    if months < 24:
        return f"Customer for {months} month{'s' if months > 1 else ''}"
    return f"Customer for {months // 12} years"


Contribution = tuple[float, str, Any]  # points now, factor code (or value, tenure), its row


def contributions(
    ledger: Mapping[str, Sequence[Any]],
    value_tier: str | None,
    first_seen: float | None,
    now: float,
) -> list[Contribution]:
    """Every factor worth saying, with its points now; not sorted or cut."""
    found: list[Contribution] = []
    for code, row in ledger.items():
        if code in FACTORS:
            points = decayed(row, code, now)
            if abs(points) >= REASON_FLOOR:
                found.append((points, code, row))
    value = VALUE_POINTS.get(value_tier or "", 0.0)
    if value:
        found.append((value, "value", value_tier))
    if first_seen is not None:
        days = max(0.0, now - first_seen) / DAY_S
        tenure = TENURE_POINTS * min(1.0, days / TENURE_FULL_DAYS)
        if tenure >= REASON_FLOOR:
            found.append((tenure, "tenure", days))
    return found


def reason(contribution: Contribution, now: float) -> HealthReason:
    """A contribution in plain words (only the few shown are ever put into words)."""
    points, code, row = contribution
    if code == "value":
        text, kind = f"{str(row).title()}-value customer", "value"
    elif code == "tenure":
        text, kind = _tenure_words(row), "tenure"
    else:
        factor = FACTORS[code]
        n, label = int(row[2]), str(row[3])
        words = (factor.one if n == 1 else factor.many).format(n=n, label=label)
        text, kind = f"{words}, {_ago(now - float(row[1]))}", factor.kind
    return HealthReason(text=text, impact=round(points, 1), kind=kind)


def band(score: float) -> str:
    return next(name for ceiling, name in BANDS if score < ceiling)


def score_of(found: Sequence[Contribution]) -> float:
    return round(min(100.0, max(0.0, BASELINE + sum(points for points, _, _ in found))), 1)


def current_score(
    ledger: Mapping[str, Sequence[Any]],
    value_tier: str | None,
    first_seen: float | None,
    now: float,
) -> float:
    """The score alone, for a customer at any moment (no reasons, no trend)."""
    return score_of(contributions(ledger, value_tier, first_seen, now))


def relationship_health(
    ledger: Mapping[str, Sequence[Any]],
    value_tier: str | None,
    first_seen: float | None,
    history: Sequence[int],
    now: datetime,
) -> RelationshipHealth:
    """The score at `now`, its top reasons and its trend.

    `history` is [day, score, ...] (days since 1970-01-01 UTC, oldest first) of the
    days before `now` on which something happened; today's point is the score itself.
    change_30d compares with the latest day at least 30 days back, or, for a customer
    younger than that, with the first day we knew them.
    """
    at = now.timestamp()
    found = contributions(ledger, value_tier, first_seen, at)
    score = score_of(found)
    today = int(at // DAY_S)
    days: list[tuple[int, float]] = [
        (history[i], float(history[i + 1])) for i in range(0, len(history) - 1, 2)
    ]
    days = [(d, s) for d, s in days if d < today] + [(today, score)]
    past = [s for d, s in days if d <= today - 30]
    reference = past[-1] if past else days[0][1]
    found.sort(key=lambda f: -abs(f[0]))
    return RelationshipHealth(
        score=score,
        band=band(score),
        reasons=[reason(f, at) for f in found[:REASON_LIMIT]],
        trend=[
            HealthPoint(day=date.fromordinal(_EPOCH + d), score=s)
            for d, s in days
            if d > today - TREND_DAYS
        ],
        change_30d=round(score - reference, 1),
        computed_at=now.astimezone(UTC),
    )
