"""Turning measurements into results: percentiles, the machine, and the files.

Every pipeline figure is shown beside the raw broker's figure from the same run and
their ratio (bench.figures). `write_results` writes `latest.json`, a dated copy and the
PNG charts (bench.charts) into the results folder.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.markdown import Markdown

from bench.charts import charts
from bench.figures import markdown, targets


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"),
                "max": float("nan"), "mean": float("nan")}  # fmt: skip
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "count": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    with_name = Path("/proc/cpuinfo")
    if with_name.exists():
        for line in with_name.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def write_results(results: dict[str, Any], folder: Path, console: Console) -> None:
    """`latest.json` (committed: the README's figures come from it), a dated copy (not
    committed), the charts; and the figures printed as the README will show them."""
    folder.mkdir(parents=True, exist_ok=True)
    results["targets"] = targets(results)
    stamp = results.get("finished_at", "unfinished").replace(":", "").split(".")[0]
    text = json.dumps(results, indent=2, default=str) + "\n"
    (folder / f"bench-{stamp}.json").write_text(text)
    (folder / "latest.json").write_text(text)
    console.print(Markdown(markdown(results)))
    for path in charts(results, folder):
        console.print(f"chart: {path}")
    console.print(f"results: {folder / 'latest.json'}")
