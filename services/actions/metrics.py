"""What actions counts: signals, decisions, recommendations, outcomes, what was learned.

Served on `/metrics` and in the `ops.metrics` snapshots (all start with `moments_`).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SIGNALS = Counter("moments_actions_signals", "Signals received", ["outcome"])
RECOMMENDATIONS = Counter(
    "moments_actions_recommendations", "Recommendations made", ["channel", "holdout"]
)
STRENGTHENED = Counter(
    "moments_actions_recommendations_strengthened", "Open recommendations a repeat strengthened"
)
OUTCOMES = Counter("moments_actions_outcomes", "Outcomes recorded", ["outcome"])
SNOOZES_WOKEN = Counter(
    "moments_actions_snoozes_woken", "Snoozed recommendations open again at their time"
)
LEARNED = Counter("moments_actions_outcomes_learned", "Outcomes learned from", ["kind"])
DECISION_SECONDS = Histogram(
    "moments_actions_decision_seconds",
    "Time to decide one customer moment (the pure decision, history already loaded)",
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
)
