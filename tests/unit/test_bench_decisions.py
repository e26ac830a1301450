"""`python -m bench.decisions`: the decision micro-benchmark runs the real decide code."""

from __future__ import annotations

import json

import pytest

from bench.decisions import main, measure


def test_the_micro_benchmark_times_real_decisions_over_a_simulated_population(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = measure(seed=3, customers=40, days=20, repeats=2)
    assert figures.events > 100 and figures.moments > 20
    assert 0 < figures.recommendations <= figures.moments * 4
    assert figures.mean_signals_in_history >= 1
    assert figures.decisions_per_s > 0
    assert 0 < figures.p50_ms <= figures.p99_ms <= figures.max_ms
    assert 0 < figures.steady_p50_ms <= figures.steady_p99_ms
    assert main(["--seed", "3", "--customers", "40", "--days", "20", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["moments"] == figures.moments  # the same seed, the same decisions
    assert printed["recommendations"] == figures.recommendations
