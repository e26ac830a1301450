"""What a detector finds, and how a repeat of one underlying issue is told apart.

Every finding names its issue: a stable key such as `complaint:billing`,
`failed_self_service:web:payment` or `life_event:divorce`. The customer's state
remembers, per issue, when it last came up and how many times in a row it came up
within the issue's cool-down window (`ISSUE_WINDOWS_S`, a sliding window: each repeat
restarts it). A repeat inside the window is not dropped: it yields a signal with the
same `issue`, a higher `occurrences` and, for complaints and self-service failures, a
higher strength, so actions can strengthen what is open instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC

from schemas.events import InteractionEvent
from schemas.signals import SignalType
from services.signals.domain.state import CustomerState

DAY_S = 86400.0
ISSUE_WINDOWS_S: dict[SignalType, float] = {
    SignalType.complaint: 30 * DAY_S,
    SignalType.failed_self_service: 3 * DAY_S,
    SignalType.repeat_contact: 7 * DAY_S,
    SignalType.cancellation_risk: 30 * DAY_S,
    SignalType.price_shock: 30 * DAY_S,
    SignalType.payment_difficulty: 30 * DAY_S,
    SignalType.life_event: 90 * DAY_S,
    SignalType.negative_sentiment: 7 * DAY_S,
    SignalType.abandoned_contact: 7 * DAY_S,
    SignalType.positive_moment: 7 * DAY_S,
}
WINDOWS_BY_NAME = {t.value: w for t, w in ISSUE_WINDOWS_S.items()}
# How much each repeat inside the window adds to a complaint's or failure's strength.
REPEAT_STRENGTH_STEP = 0.15
STRENGTHENED_BY_REPEATS = (SignalType.complaint, SignalType.failed_self_service)


@dataclass(frozen=True)
class Finding:
    type: SignalType
    strength: float
    reasons: list[str]
    evidence: list[list[str]]  # [source, id, type, iso time], newest last
    details: dict[str, str | float | int | bool | None] = field(default_factory=dict)
    issue: str = ""  # the underlying issue's key; "" means the type alone
    occurrences: int | None = None  # set by the detector when it counts them itself


def ref(event: InteractionEvent) -> list[str]:
    """[source, id, type, time in UTC]: times in UTC, so a ref rebuilt from state is equal."""
    at = event.time.astimezone(UTC).isoformat()
    return [event.envelope.source, event.envelope.id, event.type, at]


def issue_key(*parts: str | None) -> str:
    """`type:part:part`, lower-case, with spaces as underscores and `any` for a gap."""
    return ":".join((p or "any").strip().lower().replace(" ", "_") for p in parts)


def open_issue(state: CustomerState, prefix: str, at: float, window: float) -> str | None:
    """The latest issue key starting with `prefix` still inside `window`, if any."""
    for key, (last, _) in reversed(state.issues.items()):
        if key.startswith(prefix) and at - last <= window:
            return key
    return None


def _times(n: int) -> str:
    return {2: "twice"}.get(n, f"{n} times")


def settle(finding: Finding, state: CustomerState, at: float) -> Finding:
    """Count this finding against its issue's window and strengthen a repeat."""
    key = finding.issue or finding.type.value
    window = ISSUE_WINDOWS_S[finding.type]
    last = state.issues.get(key)
    repeated = last is not None and at - last[0] <= window
    count = finding.occurrences or (int(last[1]) + 1 if last is not None and repeated else 1)
    state.remember_issue(key, at, count)
    if finding.type not in STRENGTHENED_BY_REPEATS or count == 1:
        return replace(finding, issue=key, occurrences=count)
    days = round(window / DAY_S)
    return replace(
        finding,
        issue=key,
        occurrences=count,
        strength=min(1.0, finding.strength + REPEAT_STRENGTH_STEP * (count - 1)),
        reasons=[*finding.reasons, f"The same issue {_times(count)} in {days} days"],
    )
