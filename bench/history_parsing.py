"""`python -m bench.history_parsing`: what it costs actions to turn a history's rows into models.

actions reads each decided customer's history from PostgreSQL (adapters/deciding.py
`load_histories`): asyncpg decodes the jsonb into dicts, and pydantic validates them.
This times that path against pydantic's own JSON parser (`model_validate_json`) on the
same text, for the real signals, recommendations and customer records of a simulated
population (the one `bench.decisions` decides), as the median of 15 rounds in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from bench.decisions import DEFAULT_CATALOGUE, SECRET, ContactPolicy, _inputs, load_catalogue
from schemas.customers import CustomerRecord
from schemas.recommendations import Recommendation
from schemas.signals import Signal


def history_rows(customers: int, days: float) -> dict[type[BaseModel], list[str]]:
    """The distinct history rows of a simulated population, as PostgreSQL's jsonb text."""
    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    recorded, _ = _inputs(1, customers, days, catalogue, ContactPolicy(6, 5.0, "bench", SECRET))
    signals: dict[str, Signal] = {}
    recommendations: dict[str, Recommendation] = {}
    records: dict[str, CustomerRecord] = {}
    for _, history, _ in recorded:
        signals.update((s.id, s) for s in history.signals)
        recommendations.update(
            (r.recommendation.id, r.recommendation) for r in history.recommendations
        )
        if history.record is not None:
            records[history.record.customer_id] = history.record
    found: dict[type[BaseModel], Sequence[BaseModel]] = {
        Signal: list(signals.values()),
        Recommendation: list(recommendations.values()),
        CustomerRecord: list(records.values()),
    }
    return {
        m: [json.dumps(row.model_dump(mode="json")) for row in rows] for m, rows in found.items()
    }


def via_dicts(model: type[BaseModel], text: str) -> BaseModel:
    """What load_histories does: asyncpg's jsonb codec (json.loads), then pydantic."""
    return model.model_validate(json.loads(text))


def via_json(model: type[BaseModel], text: str) -> BaseModel:
    return model.model_validate_json(text)


def _median_s(
    parse: Callable[[type[BaseModel], str], BaseModel],
    model: type[BaseModel],
    texts: Sequence[str],
    rounds: int,
) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        kept = [parse(model, text) for text in texts]  # kept, as a history keeps them
        timings.append(time.perf_counter() - started)
        del kept
    return statistics.median(timings)


def measure(customers: int = 300, days: float = 30.0, rounds: int = 15) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for model, texts in history_rows(customers, days).items():
        if any(via_dicts(model, t) != via_json(model, t) for t in texts):
            raise RuntimeError(f"{model.__name__}: the two parsers disagree")
        as_dicts = _median_s(via_dicts, model, texts, rounds)
        as_json = _median_s(via_json, model, texts, rounds)
        figures[model.__name__] = {
            "rows": len(texts),
            "loads_and_validate_us_per_row": round(1e6 * as_dicts / len(texts), 1),
            "validate_json_us_per_row": round(1e6 * as_json / len(texts), 1),
            "ratio": round(as_dicts / as_json, 2),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history_parsing", description=__doc__)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    for name, row in measure(args.customers, args.days, args.rounds).items():
        print(
            f"{name}: {row['rows']} rows, json.loads + model_validate"
            f" {row['loads_and_validate_us_per_row']} µs a row, model_validate_json"
            f" {row['validate_json_us_per_row']} µs a row: {row['ratio']}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
