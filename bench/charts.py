"""The charts of a run, as PNG files beside latest.json (the README shows them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.figures import (
    CPU_TARGET_US,
    P99_TARGET_MS,
    PROCESSES,
    STATE_TARGET_BYTES,
    THROUGHPUT_SHARE_TARGET,
    first,
)
from bench.figures import pipelines as successful


def charts(results: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []

    def save(figure: Any, name: str) -> None:
        figure.tight_layout()
        written.append(folder / name)
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)

    pipelines = successful(results)
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
        save(figure, "latency.png")

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
        save(figure, "hops.png")

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
        save(figure, "throughput.png")

        figure, axis = plt.subplots(figsize=(8, 4.5))
        names = list(pipelines)
        axis.bar(
            names, [pipelines[n]["throughput"]["sustained_events_per_s"] for n in names],
            label="pipeline events/s",
        )  # fmt: skip
        axis.plot(
            names,
            [raw.get(str(pipelines[n]["partitions"]), {}).get("throughput_msgs_per_s", 0)
             * THROUGHPUT_SHARE_TARGET for n in names],
            "k^--", label=f"{THROUGHPUT_SHARE_TARGET:.0%} of raw broker msgs/s",
        )  # fmt: skip
        axis.set_xlabel("signals workers x partitions")
        axis.set_ylabel("events/s")
        axis.set_yscale("log")
        axis.set_title("Scaling: sustained throughput")
        axis.legend(fontsize=8)
        save(figure, "scaling.png")

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
        save(figure, "memory.png")
    main = first(results)
    rows: list[tuple[str, dict[str, float]]] = [
        (f"{load}/s", entry["cpu_us_per_event"])
        for load, entry in main.get("latency", {}).items()
        if "cpu_us_per_event" in entry
    ]
    if main.get("throughput", {}).get("sustained_cpu_us_per_event"):
        rows.append(("sustained", main["throughput"]["sustained_cpu_us_per_event"]))
    raw_cpu = raw.get("6", {}).get("cpu_us_per_msg")
    if rows:
        figure, axis = plt.subplots(figsize=(8, 4.5))
        labels = [label for label, _ in rows]
        bottom = [0.0] * len(rows)
        for process in PROCESSES:
            heights = [cpu.get(process, 0.0) for _, cpu in rows]
            axis.bar(labels, heights, bottom=bottom, label=process)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        if raw_cpu:
            axis.axhline(raw_cpu["total"], color="k", linestyle="--",
                         label="raw broker, 3 hops, per message")  # fmt: skip
        axis.axhline(CPU_TARGET_US, color="red", linestyle=":", label="target per event")
        axis.set_ylabel("µs of CPU per event")
        axis.set_title("Where the CPU goes, per event (1 worker x 6 partitions)")
        axis.legend(fontsize=8)
        save(figure, "cpu.png")
    return written
