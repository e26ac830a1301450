"""The benchmark's sustained-rate search (bench/search.py) as pure functions: which rate
comes next, when the search stops, and what counts as a flat step."""

from __future__ import annotations

import math

import pytest

from bench.search import backlogs_flat, next_rate, slope


def search(
    capacity: float, first: float = 250.0, factor: float = 1.6, steps: int = 6
) -> list[float]:
    """The rates offered to a pipeline that keeps up with exactly `capacity` events/s."""
    judged: list[tuple[float, bool]] = []
    while (rate := next_rate(judged, first, factor, steps)) is not None:
        judged.append((rate, rate <= capacity))
    return [rate for rate, _ in judged]


def test_the_search_climbs_by_the_factor_then_bisects_geometrically_until_close() -> None:
    offered = search(capacity=404)

    assert offered[:3] == [250.0, 400.0, 640.0]
    assert offered[3] == pytest.approx(math.sqrt(400 * 640))
    assert offered[4] == pytest.approx(math.sqrt(400 * math.sqrt(400 * 640)))
    assert len(offered) == 5  # 450 is not flat and within 1.2x of 400: done
    assert max(r for r in offered if r <= 404) == 400.0


def test_a_first_step_that_is_not_flat_steps_down_by_the_factor_squared() -> None:
    assert next_rate([(250.0, False)], 250.0, 1.6, 6) == pytest.approx(250 / 1.6**2)
    assert next_rate([(250.0, False), (97.65625, False)], 250.0, 1.6, 6) == pytest.approx(
        97.65625 / 1.6**2
    )


def test_the_search_starts_at_the_first_rate_and_never_exceeds_its_steps() -> None:
    assert next_rate([], 300.0, 1.6, 6) == 300.0
    assert next_rate([], 300.0, 1.6, 0) is None
    assert len(search(capacity=1e9, steps=4)) == 4  # always flat: climbs until the steps run out


def test_the_best_flat_and_lowest_growing_rates_bound_the_next_one() -> None:
    judged = [(250.0, True), (400.0, True), (640.0, False), (300.0, True)]

    assert next_rate(judged, 250.0, 1.6, 6) == pytest.approx(math.sqrt(400 * 640))
    assert next_rate([(400.0, True), (470.0, False)], 250.0, 1.6, 6) is None


def test_slope_is_the_least_squares_growth_per_second() -> None:
    assert slope([(0.0, 5.0), (1.0, 7.0), (2.0, 9.0), (3.0, 11.0)]) == pytest.approx(2.0)
    assert slope([(0.0, 0.0), (1.0, 100.0)]) == 0.0  # too few points to judge
    assert slope([(1.0, 3.0), (1.0, 4.0), (1.0, 5.0)]) == 0.0  # no spread in time


def test_a_step_is_flat_only_if_ingest_took_it_and_neither_backlog_grew() -> None:
    assert backlogs_flat(400, 399, 120, 5.0, 2.0, failed_requests=0)
    assert not backlogs_flat(400, 371, 120, 5.0, 2.0, failed_requests=0)  # under 93% taken
    assert not backlogs_flat(400, 400, 120, 5.0, 2.0, failed_requests=1)
    assert not backlogs_flat(1000, 1000, 300, 31.0, 2.0, failed_requests=0)  # 3.1% growth
    assert backlogs_flat(100, 100, 30, 19.0, 9.0, failed_requests=0)  # under the floors
    assert not backlogs_flat(100, 100, 30, 19.0, 11.0, failed_requests=0)
