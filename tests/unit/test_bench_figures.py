"""The README's performance figures are the committed run's: the block between the
`bench:figures` markers is exactly what `bench.figures.markdown` writes from
bench/results/latest.json, and every chart the README shows is committed beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.figures import markdown, targets

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
START, END = "<!-- bench:figures:start -->", "<!-- bench:figures:end -->"


def latest() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((RESULTS / "latest.json").read_text())
    return loaded


def test_the_readme_shows_the_figures_of_the_committed_run() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.count(START) == 1 and readme.count(END) == 1
    shown = readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert shown == markdown(latest()), "run `python -m bench.figures` and paste its output"


def test_the_committed_targets_are_what_the_figures_say() -> None:
    results = latest()
    assert results["targets"] == json.loads(json.dumps(targets(results)))


def test_every_chart_the_readme_shows_is_committed() -> None:
    readme = (ROOT / "README.md").read_text()
    charts = re.findall(r"\(bench/results/([\w-]+\.png)\)", readme)
    assert charts, "the README shows the run's charts"
    for chart in charts:
        assert (RESULTS / chart).is_file(), chart
