"""The uplift statistics against known cases: published intervals, planted effects, no
effect, small samples, and a report that is looked at again and again."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from schemas.reports import Verdict
from services.actions.domain.uplift import (
    OUTCOMES,
    DecidedCustomer,
    compare,
    confidence_sequence,
    newcombe_interval,
    uplift_report,
    wilson_interval,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
RETAINED, COMPLAINT, REPEAT, HEALTH = OUTCOMES


def population(
    treated: int,
    holdout: int,
    retained: tuple[float, float],
    health: tuple[float, float] = (60.0, 60.0),
    action: str = "retention.ask_what_changed",
    seed: int = 1,
) -> list[DecidedCustomer]:
    """Customers whose outcomes are drawn with (treated, holdout) rates and mean health."""
    rng = random.Random(seed)
    made = []
    for index in range(treated + holdout):
        held = index >= treated
        made.append(
            DecidedCustomer(
                customer_id=f"c{index}",
                action_code=action,
                holdout=held,
                retained=rng.random() < retained[held],
                complained=rng.random() < 0.1,
                repeat_contact=rng.random() < 0.2,
                health=min(100.0, max(0.0, rng.gauss(health[held], 12))),
            )
        )
    return made


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
    ],
)
def test_newcombe_interval_matches_the_published_examples(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    interval = newcombe_interval(x1, n1, x2, n2)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_interval_stays_inside_0_and_1() -> None:
    assert wilson_interval(0, 20) == (0.0, pytest.approx(0.1611, abs=1e-4))
    low, high = wilson_interval(20, 20)
    assert high == 1.0 and low == pytest.approx(0.8389, abs=1e-4)


def test_a_planted_retention_effect_is_found() -> None:
    report = uplift_report(population(4000, 1000, retained=(0.90, 0.80)), NOW)
    retained = next(c for c in report.overall.comparisons if c.metric == "retained")
    assert retained.treated.customers == 4000 and retained.holdout.customers == 1000
    assert retained.difference == pytest.approx(0.10, abs=0.03)
    assert retained.interval is not None and retained.interval.low > 0
    assert retained.always_valid is not None and retained.always_valid.low > 0
    # The always-valid interval is the wider one: it pays for every look.
    assert retained.always_valid.low < retained.interval.low
    assert retained.verdict is Verdict.effect_shown
    assert retained.summary.startswith("Effect shown: ")
    assert "percentage points more when treated" in retained.summary


def test_a_planted_health_effect_is_found_by_the_bootstrap() -> None:
    customers = population(3000, 600, retained=(0.8, 0.8), health=(66.0, 60.0))
    health = compare(
        HEALTH,
        [c.health for c in customers if not c.holdout and c.health is not None],
        [c.health for c in customers if c.holdout and c.health is not None],
    )
    assert health.difference == pytest.approx(6.0, abs=1.5)
    assert health.interval is not None and 4.0 < health.interval.low < health.interval.high < 8.0
    assert health.verdict is Verdict.effect_shown
    assert "health points more when treated" in health.summary


def test_no_effect_gives_intervals_that_cover_0() -> None:
    """20 populations with no effect: the single-look interval covers 0 about 95% of the
    time (by design it misses 1 in 20), the always-valid one nearly always, and the
    verdict is never 'effect shown' where it covers 0."""
    comparisons = [
        comparison
        for seed in range(20)
        for comparison in uplift_report(
            population(2000, 500, retained=(0.85, 0.85), seed=seed), NOW
        ).overall.comparisons
    ]
    assert len(comparisons) == 80
    single = [c for c in comparisons if c.interval and c.interval.low < 0 < c.interval.high]
    always = [
        c for c in comparisons if c.always_valid and c.always_valid.low < 0 < c.always_valid.high
    ]
    assert len(single) >= 0.85 * len(comparisons)
    assert len(always) >= 0.97 * len(comparisons)
    assert all(c.verdict is Verdict.no_effect_shown for c in always)
    assert all(c.summary.startswith("No effect shown: ") for c in always)


def test_small_samples_say_not_enough_data_yet() -> None:
    report = uplift_report(population(400, 12, retained=(0.95, 0.5)), NOW)
    assert report.overall.holdout == 12
    for comparison in report.overall.comparisons:
        assert comparison.verdict is Verdict.not_enough_data
        assert comparison.summary == (
            f"Not enough data yet: 400 treated and 12 held-out customers; at least "
            f"{report.min_group_size} in each group are needed."
        )
    empty = uplift_report([], NOW)
    assert empty.overall.treated == 0 and empty.actions == []
    assert all(c.verdict is Verdict.not_enough_data for c in empty.overall.comparisons)
    assert all(c.difference is None for c in empty.overall.comparisons)


def test_an_effect_the_wrong_way_says_so() -> None:
    treated = [1.0] * 300 + [0.0] * 700  # 30% complained when treated
    holdout = [1.0] * 100 + [0.0] * 900  # 10% when held out
    comparison = compare(COMPLAINT, treated, holdout)
    assert comparison.verdict is Verdict.effect_shown
    assert comparison.summary.startswith("Effect shown, the wrong way: 20.0 percentage points")


def test_a_single_look_interval_that_excludes_0_is_not_taken_as_an_effect() -> None:
    # 4 points on 5,000 v 800: the fixed-sample interval excludes 0, the sequence not yet.
    treated = [1.0] * 4200 + [0.0] * 800  # 84%
    holdout = [1.0] * 640 + [0.0] * 160  # 80%
    comparison = compare(RETAINED, treated, holdout)
    assert comparison.interval is not None and comparison.interval.low > 0
    assert comparison.always_valid is not None and comparison.always_valid.low < 0
    assert comparison.verdict is Verdict.no_effect_shown
    assert "single-look interval" in comparison.summary and "keep collecting" in comparison.summary


def test_the_confidence_sequence_stays_valid_when_looked_at_after_every_100_customers() -> None:
    """400 experiments with no effect, each looked at 40 times: the always-valid interval
    ever excludes 0 in at most 5% of them; the single-look interval in far more."""
    rng = np.random.default_rng(7)
    experiments, looks, step = 400, 40, 100
    held = rng.random((experiments, looks * step)) < 0.2
    retained = rng.random((experiments, looks * step)) < 0.8
    ever_sequence = ever_single = 0
    for e in range(experiments):
        fooled_sequence = fooled_single = False
        for look in range(1, looks + 1):
            h, r = held[e, : look * step], retained[e, : look * step]
            nt, nh = int((~h).sum()), int(h.sum())
            xt, xh = int(r[~h].sum()), int(r[h].sum())
            d = xt / nt - xh / nh
            v = (xt / nt) * (1 - xt / nt) / nt + (xh / nh) * (1 - xh / nh) / nh
            sequence = confidence_sequence(d, v, 0.95, 0.05)
            single = newcombe_interval(xt, nt, xh, nh)
            fooled_sequence |= not sequence.low < 0 < sequence.high
            fooled_single |= not single.low < 0 < single.high
        ever_sequence += fooled_sequence
        ever_single += fooled_single
    assert ever_sequence / experiments <= 0.05
    assert ever_single / experiments > 0.15


def test_the_report_is_per_action_and_overall_and_reproducible() -> None:
    customers = population(900, 100, (0.9, 0.8), action="a.big") + population(
        300, 40, (0.8, 0.8), action="b.small", seed=2
    )
    report = uplift_report(customers, NOW, seed=5)
    assert [a.action_code for a in report.actions] == ["a.big", "b.small"]
    assert (report.overall.treated, report.overall.holdout) == (1200, 140)
    assert (report.actions[1].treated, report.actions[1].holdout) == (300, 40)
    assert report.overall.action_code is None
    assert [c.metric for c in report.overall.comparisons] == [
        "retained",
        "complaint",
        "repeat_contact",
        "health",
    ]
    assert "salted hash" in report.method and "confidence sequence" in report.method
    again = uplift_report(customers, NOW, seed=5)
    assert again == report


def test_customers_without_a_health_record_are_left_out_of_health_only() -> None:
    customers = [
        DecidedCustomer(f"c{i}", "a", holdout=i % 2 == 0, retained=True, complained=False,
                        repeat_contact=False, health=None if i < 10 else 50.0)
        for i in range(100)
    ]  # fmt: skip
    overall = uplift_report(customers, NOW).overall
    by_metric = {c.metric: c for c in overall.comparisons}
    assert by_metric["retained"].treated.customers + by_metric["retained"].holdout.customers == 100
    assert by_metric["health"].treated.customers + by_metric["health"].holdout.customers == 90
    assert by_metric["health"].difference == 0.0


def test_intervals_never_reach_past_what_is_possible() -> None:
    share = compare(RETAINED, [1.0, 0.0, 1.0], [0.0, 1.0])
    assert share.always_valid is not None and share.interval is not None
    assert share.always_valid.low == -1.0 and share.always_valid.high == 1.0  # cut to the range
    assert -1.0 <= share.interval.low <= share.interval.high <= 1.0
    health = compare(HEALTH, [90.0, 10.0, 50.0], [0.0, 100.0])
    assert health.always_valid is not None
    assert health.always_valid.low == -100.0 and health.always_valid.high == 100.0
