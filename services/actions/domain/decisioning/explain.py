"""A decision in plain words: what the moment was, what was strengthened, what won."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.decisions import Candidate
from services.actions.domain.decisioning.context import Moment, issue_of
from services.actions.domain.decisioning.repeats import Strengthened


def explain(
    moment: Moment,
    candidates: Sequence[Candidate],
    strengthened: Sequence[Strengthened],
    holdout: bool,
) -> list[str]:
    by_issue: dict[str, int] = {}
    for signal in moment.signals:
        by_issue[issue_of(signal)] = max(by_issue.get(issue_of(signal), 0), signal.occurrences)
    issues = ", ".join(f"{i} ({n} times)" if n > 1 else i for i, n in by_issue.items())
    lines = [f"{len(moment.signals)} signal(s) at {moment.at:%Y-%m-%d %H:%M} UTC: {issues}"]
    for update in strengthened:
        rec = update.recommendation
        lines.append(
            f"Strengthened the open {rec.action.code} ({rec.id}) rather than add another: "
            f"now {rec.occurrences} times"
        )
    won = [c for c in candidates if c.verdict.value == "won"]
    for candidate in won:
        lines.append(
            f"{candidate.channel.value}: {candidate.action_code} for "
            f"{', '.join(candidate.issues)}: {candidate.reason}"
        )
    if not won and not strengthened:
        first = next(iter(candidates), None)
        lines.append(
            "Nothing to recommend"
            + (f": {first.action_code}: {first.reason}" if first else ": no action answers it")
        )
    if holdout and won:
        lines.append("The customer is in the holdout group: recorded, never shown")
    return lines
