"""The policy comparison as a chart: one panel per figure, one bar per policy.

`draw(evaluation, path)` writes a PNG (matplotlib, no display needed): retention,
contacts per retained customer, complaints and mean relationship health at the end,
with each policy's breaches under its name, so a chart never hides a breach.
"""

from __future__ import annotations

from pathlib import Path

from moments.simulate.compare import Evaluation, PolicyResult

COLOURS = {"do nothing": "#9e9e9e", "default": "#2166ac", "always offer": "#d6604d"}
PANELS = (
    ("retention", "Still with us at the end", "{:.1%}"),
    ("contacts_per_retained", "Contacts per retained customer", "{:.2f}"),
    ("complaints", "Complaints filed", "{:.0f}"),
    ("health", "Relationship health at the end (mean)", "{:.1f}"),
)


def breaches(result: PolicyResult) -> int:
    return (
        result.consent_breaches
        + result.cap_breaches
        + result.vulnerable_not_human
        + result.sales_to_vulnerable
    )


def draw(evaluation: Evaluation, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = evaluation.results
    names = [f"{r.policy}\n{breaches(r)} breaches" for r in results]
    colours = [COLOURS.get(r.policy, "#4d4d4d") for r in results]
    figure, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    for axis, (field, title, words) in zip(axes.flat, PANELS, strict=True):
        values = [float(getattr(r, field)) for r in results]
        bars = axis.bar(names, values, color=colours)
        axis.bar_label(bars, labels=[words.format(v) for v in values], fontsize=9)
        axis.set_title(title, fontsize=10)
        axis.tick_params(axis="x", labelsize=8)
        low, high = min(values), max(values)
        if field in ("retention", "health") and high > 0:  # the differences are the point
            axis.set_ylim(max(0.0, low - (high - low) * 1.5 - 0.01 * high), high * 1.02)
            axis.set_ylabel("axis not from 0", fontsize=8, color="#666666")
        else:
            axis.set_ylim(0, high * 1.15 or 1)
        if field == "retention":
            axis.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
        axis.spines[["top", "right"]].set_visible(False)
    figure.suptitle(
        f"moments evaluate --seed {evaluation.seed} --customers {evaluation.customers} "
        f"--days {evaluation.days:g}: the same simulated customers under each policy",
        fontsize=11,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)
    return path
