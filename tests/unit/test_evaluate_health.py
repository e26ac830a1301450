"""`moments evaluate-health`: relationship health against the simulator's latent hazard."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from moments.cli import main as moments_main
from moments.simulate.evaluate import evaluate, quintiles


def test_health_ranks_customers_against_their_hidden_hazard_and_repeats_exactly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = evaluate(seed=1, customers=150, days=60)

    assert result.events > 1000
    assert result.scored > 100
    # the likelier a customer is to leave, the lower their score
    assert result.spearman < -0.2
    assert result.p_value < 0.01
    # against the part of the hazard that moments drive (not the contract), far closer
    assert result.spearman_moment_driven < -0.6
    assert result.quintiles[0].mean_health > result.quintiles[-1].mean_health
    assert sum(q.customers for q in result.quintiles) == result.scored

    assert (
        moments_main(
            ["evaluate-health", "--seed", "1", "--customers", "150", "--days", "60", "--json"]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(asdict(result)))


def test_quintiles_cut_by_rising_hazard() -> None:
    pairs = [(h / 100, 100 - h) for h in range(10)]
    groups = quintiles(pairs)
    assert [g.customers for g in groups] == [2] * 5
    assert [g.mean_health for g in groups] == [99.5, 97.5, 95.5, 93.5, 91.5]
    assert groups[0].hazard_from == 0.0 and groups[-1].hazard_to == 0.09
