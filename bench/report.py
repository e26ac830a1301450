"""Turning measurements into figures: percentiles, the printed tables, JSON and charts.

Every pipeline figure is shown beside the raw broker's figure from the same run and
their ratio. `write_results` writes `bench-<time>.json`, `latest.json` and the PNG
charts into the results folder.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

P99_TARGET_MS = 100.0
THROUGHPUT_SHARE_TARGET = 0.5
STATE_TARGET_BYTES = 2048


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


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def tables(results: dict[str, Any]) -> list[Table]:
    raw = results.get("raw_broker", {})
    pipelines = results.get("pipelines", {})
    out = []

    latency: dict[str, Any] = next((p["latency"] for p in pipelines.values() if "latency" in p), {})
    raw_latency = raw.get("6", {}).get("latency", {})
    table = Table(title="End-to-end latency, POST start to desktop (ms)")
    for column in ("load", "p50", "p95", "p99", "max", "recs", "raw p99", "p99 ratio"):
        table.add_column(column, justify="right")
    for load, entry in latency.items():
        e2e = entry["end_to_end_ms"]
        base = raw_latency.get(load, {}).get("p99", 0.0)
        table.add_row(
            f"{load}/s (got {entry['achieved_events_per_s']:.0f})",
            f"{e2e['p50']:.1f}", f"{e2e['p95']:.1f}", f"{e2e['p99']:.1f}", f"{e2e['max']:.1f}",
            str(e2e["count"]), f"{base:.1f}", _ratio(e2e["p99"], base),
        )  # fmt: skip
    out.append(table)

    if "500" in latency:
        table = Table(title="Per-hop latency at 500 events/s (ms)")
        for column in ("hop", "p50", "p95", "p99", "max"):
            table.add_column(column, justify="right")
        for hop, stats in latency["500"]["hops_ms"].items():
            table.add_row(
                hop, f"{stats['p50']:.1f}", f"{stats['p95']:.1f}", f"{stats['p99']:.1f}",
                f"{stats['max']:.1f}",
            )  # fmt: skip
        one_hop = raw_latency.get("500", {})
        if one_hop:
            table.add_row(
                "raw broker, 3 hops", f"{one_hop['p50']:.1f}", f"{one_hop['p95']:.1f}",
                f"{one_hop['p99']:.1f}", f"{one_hop['max']:.1f}",
            )  # fmt: skip
        out.append(table)

    table = Table(title="Sustained throughput (backlogs flat)")
    for column in ("signals workers", "partitions", "events/s", "desktop recs/s",
                   "raw broker msgs/s", "ratio"):  # fmt: skip
        table.add_column(column, justify="right")
    for entry in pipelines.values():
        base = raw.get(str(entry["partitions"]), {}).get("throughput_msgs_per_s", 0.0)
        if "throughput" not in entry:
            table.add_row(str(entry["workers"]), str(entry["partitions"]), "failed", "-",
                          f"{base:,.0f}", "-")  # fmt: skip
            continue
        events = entry["throughput"]["sustained_events_per_s"]
        table.add_row(
            str(entry["workers"]), str(entry["partitions"]), f"{events:,.0f}",
            f"{entry['throughput']['sustained_recommendations_per_s']:,.1f}", f"{base:,.0f}",
            _ratio(events, base),
        )  # fmt: skip
    out.append(table)

    memory = results.get("memory")
    if memory:
        readings = memory["signals"]
        empty = readings[0]["rss_bytes"]
        table = Table(title="signals worker memory")
        for column in ("customers", "RSS MiB", "bytes per customer", "state bytes (mean)"):
            table.add_column(column, justify="right")
        for reading in readings:
            customers = reading["customers"]
            per = (reading["rss_bytes"] - empty) / customers if customers else 0.0
            table.add_row(
                f"{customers:,}", f"{reading['rss_bytes'] / 2**20:,.0f}",
                f"{per:,.0f}" if customers else "-", f"{memory['state_bytes_mean']:,.0f}",
            )  # fmt: skip
        out.append(table)
        table = Table(title="ingest and actions memory (no per-customer state in process)")
        for column in ("pipeline", "customers seen", "ingest MiB", "actions MiB",
                       "signals MiB", "PostgreSQL bytes/customer"):  # fmt: skip
            table.add_column(column, justify="right")
        for name, entry in pipelines.items():
            if "throughput" not in entry:
                continue
            rss = entry.get("rss_bytes", {})
            database = entry.get("database", {})
            stored = sum(v for k, v in database.items() if k != "customers")
            table.add_row(
                name, f"{entry.get('customers_seen', 0):,}",
                f"{rss.get('ingest', 0) / 2**20:,.0f}", f"{rss.get('actions', 0) / 2**20:,.0f}",
                f"{rss.get('signals', 0) / 2**20:,.0f}",
                f"{stored / max(1, database.get('customers', 0)):,.0f}",
            )  # fmt: skip
        out.append(table)
    return out


def targets(results: dict[str, Any]) -> dict[str, Any]:
    pipelines = {k: v for k, v in results.get("pipelines", {}).items() if "throughput" in v}
    main: dict[str, Any] = next(iter(pipelines.values()), {})
    p99 = main.get("latency", {}).get("500", {}).get("end_to_end_ms", {}).get("p99")
    raw = results.get("raw_broker", {}).get(str(main.get("partitions", 6)), {})
    share = (
        main["throughput"]["sustained_events_per_s"] / raw["throughput_msgs_per_s"]
        if main and raw.get("throughput_msgs_per_s")
        else None
    )
    memory = results.get("memory", {})
    per_customer = None
    if memory:
        readings = memory["signals"]
        largest = readings[-1]
        per_customer = (largest["rss_bytes"] - readings[0]["rss_bytes"]) / largest["customers"]
    return {
        "p99_ms_at_500": {"value": p99, "target": P99_TARGET_MS,
                          "met": p99 is not None and p99 <= P99_TARGET_MS},
        "throughput_share_of_raw": {"value": share, "target": THROUGHPUT_SHARE_TARGET,
                                    "met": share is not None and share >= THROUGHPUT_SHARE_TARGET},
        "signals_bytes_per_customer": {"value": per_customer, "target": STATE_TARGET_BYTES,
                                       "met": per_customer is not None
                                       and per_customer <= STATE_TARGET_BYTES},
    }  # fmt: skip


def charts(results: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    pipelines = {k: v for k, v in results.get("pipelines", {}).items() if "throughput" in v}
    raw = results.get("raw_broker", {})
    latency: dict[str, Any] = next((p["latency"] for p in pipelines.values() if "latency" in p), {})
    if latency:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        loads = list(latency)
        width = 0.2
        for offset, quantile in enumerate(("p50", "p95", "p99", "max")):
            axis.bar(
                [i + offset * width for i in range(len(loads))],
                [latency[load]["end_to_end_ms"][quantile] for load in loads],
                width,
                label=f"pipeline {quantile}",
            )
        raw_p99 = [raw.get("6", {}).get("latency", {}).get(load, {}).get("p99") for load in loads]
        axis.plot(
            [i + 1.5 * width for i in range(len(loads))],
            [v if v is not None else float("nan") for v in raw_p99],
            "k^--",
            label="raw broker p99 (3 hops)",
        )
        axis.axhline(P99_TARGET_MS, color="red", linestyle=":", label="p99 target at 500/s")
        axis.set_xticks([i + 1.5 * width for i in range(len(loads))], [f"{x} ev/s" for x in loads])
        axis.set_yscale("log")
        axis.set_ylabel("ms, POST start to desktop")
        axis.set_title("End-to-end latency, single-event POSTs")
        axis.legend(fontsize=8)
        figure.tight_layout()
        written.append(folder / "latency.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)

        hops = [
            h for h in next(iter(latency.values()))["hops_ms"] if not h.startswith("ingest accept")
        ]
        figure, axes = plt.subplots(1, len(loads), figsize=(4 * len(loads), 4.5), squeeze=False)
        for axis, load in zip(axes[0], loads, strict=True):
            stats = latency[load]["hops_ms"]
            names = [h.split(" (")[0] for h in hops]
            axis.barh(names, [stats.get(h, {}).get("p99", 0.0) for h in hops], color="#f4a582",
                      label="p99")  # fmt: skip
            axis.barh(names, [stats.get(h, {}).get("p50", 0.0) for h in hops], color="#2166ac",
                      label="p50")  # fmt: skip
            axis.invert_yaxis()
            axis.set_title(f"{load} events/s")
            axis.set_xlabel("ms")
            if axis is not axes[0][0]:
                axis.set_yticklabels([])
        axes[0][0].legend(fontsize=8)
        figure.suptitle("Where an event's time goes, per hop (p50 and p99)")
        figure.tight_layout()
        written.append(folder / "hops.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)

    if pipelines:
        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
        for entry in pipelines.values():
            steps = sorted(entry["throughput"]["steps"], key=lambda s: s["offered"])
            label = f"{entry['workers']} worker(s), {entry['partitions']} partitions"
            offered = [s["offered"] for s in steps]
            left.plot(offered, [s["consumed_per_s"] for s in steps], "o-", label=label)
            line = right.plot(offered, [s["signals_per_s"] for s in steps], ":", alpha=0.6)
            right.plot(offered, [s.get("decided_per_s", 0.0) for s in steps], "o-",
                       color=line[0].get_color(), label=label)  # fmt: skip
            for s in steps:
                if not s["flat"]:
                    left.plot(s["offered"], s["consumed_per_s"], "kx")
                    right.plot(s["offered"], s.get("decided_per_s", 0.0), "kx")
        top = max((s["offered"] for p in pipelines.values() for s in p["throughput"]["steps"]),
                  default=1.0)  # fmt: skip
        left.plot([0, top], [0, top], color="grey", linestyle=":", label="consumed = offered")
        left.set_xlabel("offered events/s (batched POSTs)")
        left.set_ylabel("events/s consumed by signals")
        left.set_title("signals (x: a backlog grew)")
        left.legend(fontsize=8)
        right.set_xlabel("offered events/s (batched POSTs)")
        right.set_ylabel("signals/s")
        right.set_ylim(bottom=0)
        right.set_title("actions: signals decided (dotted: signals emitted)")
        figure.tight_layout()
        written.append(folder / "throughput.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)

        figure, axis = plt.subplots(figsize=(8, 4.5))
        names = list(pipelines)
        axis.bar(
            names, [pipelines[n]["throughput"]["sustained_events_per_s"] for n in names],
            label="pipeline events/s",
        )  # fmt: skip
        axis.plot(
            names,
            [raw.get(str(pipelines[n]["partitions"]), {}).get("throughput_msgs_per_s", 0) * 0.5
             for n in names],
            "k^--", label="50% of raw broker msgs/s",
        )  # fmt: skip
        axis.set_xlabel("signals workers x partitions")
        axis.set_ylabel("events/s")
        axis.set_yscale("log")
        axis.set_title("Scaling: sustained throughput")
        axis.legend(fontsize=8)
        figure.tight_layout()
        written.append(folder / "scaling.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)

    memory = results.get("memory")
    if memory:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        readings = memory["signals"]
        axis.plot(
            [r["customers"] for r in readings],
            [r["rss_bytes"] / 2**20 for r in readings],
            "o-",
            label="signals worker RSS",
        )
        base = readings[0]["rss_bytes"] / 2**20
        largest = readings[-1]["customers"]
        axis.plot(
            [0, largest], [base, base + largest * STATE_TARGET_BYTES / 2**20], "r:",
            label="2 KB per customer target",
        )  # fmt: skip
        axis.set_xlabel("customers held")
        axis.set_ylabel("MiB")
        axis.set_title("signals memory by customers held")
        axis.legend(fontsize=8)
        figure.tight_layout()
        written.append(folder / "memory.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)
    return written


def write_results(results: dict[str, Any], folder: Path, console: Console) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    results["targets"] = targets(results)
    stamp = results.get("finished_at", "unfinished").replace(":", "").split(".")[0]
    text = json.dumps(results, indent=2, default=str)
    (folder / f"bench-{stamp}.json").write_text(text)
    (folder / "latest.json").write_text(text)
    for table in tables(results):
        console.print(table)
    for name, target in results["targets"].items():
        value = target["value"]
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        mark = "[green]met[/]" if target["met"] else "[red]missed[/]"
        console.print(f"target {name}: {shown} (target {target['target']}): {mark}")
    for path in charts(results, folder):
        console.print(f"chart: {path}")
    console.print(f"results: {folder / 'latest.json'}")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


QUANTILES = ("p50", "p95", "p99", "max")


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown tables, for the Performance section of the README."""
    raw = results.get("raw_broker", {})
    pipelines = {k: v for k, v in results.get("pipelines", {}).items() if "throughput" in v}
    lines: list[str] = []
    latency: dict[str, Any] = next((p["latency"] for p in pipelines.values() if "latency" in p), {})
    raw_latency = raw.get("6", {}).get("latency", {})
    lines += [
        "End-to-end latency, POST start to desktop, single-event POSTs (ms):",
        "",
        _row(
            [
                "offered (achieved) events/s",
                "p50",
                "p95",
                "p99",
                "max",
                "recommendations",
                "raw broker p50 / p99",
                "p99 ratio",
            ]
        ),
        _row(["---"] * 8),
    ]
    for load, entry in latency.items():
        e2e = entry["end_to_end_ms"]
        base = raw_latency.get(load, {})
        lines.append(
            _row(
                [
                    f"{load} ({entry['achieved_events_per_s']:.0f})",
                    f"{e2e['p50']:.1f}",
                    f"{e2e['p95']:.1f}",
                    f"{e2e['p99']:.1f}",
                    f"{e2e['max']:.1f}",
                    str(e2e["count"]),
                    f"{base.get('p50', 0):.1f} / {base.get('p99', 0):.1f}",
                    _ratio(e2e["p99"], base.get("p99", 0.0)),
                ]
            )
        )
    for load in ("100", "500"):
        if load not in latency:
            continue
        lines += ["", f"Per hop at {load} events/s (ms):", "",
                  _row(["hop", "p50", "p95", "p99", "max"]), _row(["---"] * 5)]  # fmt: skip
        for hop, stats in latency[load]["hops_ms"].items():
            lines.append(_row([hop, *(f"{stats[q]:.1f}" for q in QUANTILES)]))
        base = raw_latency.get(load)
        if base:
            lines.append(_row(["raw broker, all 3 hops", *(f"{base[q]:.1f}" for q in QUANTILES)]))
    lines += ["", "Sustained throughput (batched POSTs of 50; backlogs flat):", "",
              _row(["signals workers", "partitions", "events/s", "signals/s", "desktop recs/s",
                    "raw broker msgs/s (3 hops)", "ratio"]),
              _row(["---"] * 7)]  # fmt: skip
    for entry in pipelines.values():
        base = raw.get(str(entry["partitions"]), {}).get("throughput_msgs_per_s", 0.0)
        found = entry["throughput"]
        events = found["sustained_events_per_s"]
        lines.append(
            _row(
                [
                    str(entry["workers"]),
                    str(entry["partitions"]),
                    f"{events:,.0f}",
                    f"{found['sustained_signals_per_s']:,.0f}",
                    f"{found['sustained_recommendations_per_s']:,.0f}",
                    f"{base:,.0f}",
                    _ratio(events, base),
                ]
            )
        )
    memory = results.get("memory")
    if memory:
        readings = memory["signals"]
        empty = readings[0]["rss_bytes"]
        lines += ["", "signals worker memory (state recovered from its changelog):", "",
                  _row(["customers held", "RSS MiB", "RSS bytes per customer"]),
                  _row(["---"] * 3)]  # fmt: skip
        for reading in readings:
            customers = reading["customers"]
            per = f"{(reading['rss_bytes'] - empty) / customers:,.0f}" if customers else "-"
            lines.append(_row([f"{customers:,}", f"{reading['rss_bytes'] / 2**20:,.0f}", per]))
    lines += ["", "Targets:", ""]
    for name, target in targets(results).items():
        value = target["value"]
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        lines.append(
            f"- {name}: {shown} (target {target['target']}): {'met' if target['met'] else 'missed'}"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results")
    print(markdown(json.loads((source / "latest.json" if source.is_dir() else source).read_text())))
