"""`python -m bench.history_parsing`: both parsers are timed on the same real rows."""

from __future__ import annotations

import pytest

from bench.history_parsing import history_rows, main, measure, via_dicts, via_json
from schemas.recommendations import Recommendation
from schemas.signals import Signal


def test_the_rows_are_a_simulated_populations_history_and_both_parsers_read_them_alike() -> None:
    rows = history_rows(customers=40, days=20)
    assert len(rows[Signal]) > 20 and len(rows[Recommendation]) > 5
    for model, texts in rows.items():
        for text in texts[:50]:
            assert via_dicts(model, text) == via_json(model, text)


def test_it_reports_a_time_and_a_ratio_per_kind_of_row(capsys: pytest.CaptureFixture[str]) -> None:
    figures = measure(customers=40, days=20, rounds=1)
    assert set(figures) == {"Signal", "Recommendation", "CustomerRecord"}
    for row in figures.values():
        assert row["rows"] > 0
        assert row["loads_and_validate_us_per_row"] > 0 and row["validate_json_us_per_row"] > 0
        assert row["ratio"] == pytest.approx(
            row["loads_and_validate_us_per_row"] / row["validate_json_us_per_row"], rel=0.05
        )
    assert main(["--customers", "40", "--days", "20", "--rounds", "1"]) == 0
    assert "Recommendation:" in capsys.readouterr().out
