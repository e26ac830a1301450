"""The figures of a run: its targets, and the Markdown the README's Performance section
shows (between the `bench:figures` markers; tests/unit/test_bench_figures.py fails when
the README's figures are not what `markdown(latest.json)` writes).

`python -m bench.figures [results/latest.json]` prints that Markdown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

P99_TARGET_MS = 100.0  # at 500 events/s, held for 30 s
P99_RAW_RATIO_TARGET = 1.5  # at 250 events/s, against the raw broker's p99
THROUGHPUT_SHARE_TARGET = 0.25  # of the raw broker's 3-hop rate, 1 worker x 6 partitions
CPU_TARGET_US = 500.0  # per event, all processes, at the sustained rate
SCALING_TARGET = 0.8  # events per signals CPU-second, 2 workers against 1
STATE_TARGET_BYTES = 2048
PROCESSES = ("ingest", "signals", "actions", "broker", "postgres")
QUANTILES = ("p50", "p95", "p99", "max")


def pipelines(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results.get("pipelines", {}).items() if "throughput" in v}


def first(results: dict[str, Any]) -> dict[str, Any]:
    """The configuration the targets are stated for: the first, 1 worker x 6 partitions."""
    return next(iter(pipelines(results).values()), {})


def signals_cpu_per_event(entry: dict[str, Any]) -> float:
    cpu = entry["throughput"].get("sustained_cpu_us_per_event", {})
    return sum(v for k, v in cpu.items() if k.startswith("signals"))


def events_per_signals_cpu_s(entry: dict[str, Any]) -> float | None:
    """What tells a user how many workers a load needs: events per CPU-second of signals."""
    us = signals_cpu_per_event(entry)
    return 1e6 / us if us else None


def _target(value: float | None, target: float, at_least: bool = False) -> dict[str, Any]:
    """A target and whether `value` met it: at most `target`, or at least it."""
    met = value is not None and (value >= target if at_least else value <= target)
    return {"value": value, "target": target, "met": met}


def targets(results: dict[str, Any]) -> dict[str, Any]:
    main = first(results)
    latency = main.get("latency", {})
    raw = results.get("raw_broker", {})
    p99 = latency.get("500", {}).get("end_to_end_ms", {}).get("p99")
    p99_250 = latency.get("250", {}).get("end_to_end_ms", {}).get("p99")
    raw_250 = raw.get("6", {}).get("latency", {}).get("250", {}).get("p99")
    ratio = p99_250 / raw_250 if p99_250 is not None and raw_250 else None
    raw_rate = raw.get(str(main.get("partitions", 6)), {}).get("throughput_msgs_per_s")
    share = main["throughput"]["sustained_events_per_s"] / raw_rate if main and raw_rate else None
    cpu = main["throughput"].get("sustained_cpu_us_per_event", {}).get("total") if main else None
    by_workers = {v["workers"]: v for v in pipelines(results).values() if v["partitions"] == 12}
    scaling = None
    if 1 in by_workers and 2 in by_workers:
        one, two = (events_per_signals_cpu_s(by_workers[w]) for w in (1, 2))
        scaling = two / one if one and two else None
    memory = results.get("memory", {})
    per_customer = None
    if memory:
        readings = memory["signals"]
        largest = readings[-1]
        per_customer = (largest["rss_bytes"] - readings[0]["rss_bytes"]) / largest["customers"]
    return {
        "p99_ms_at_500_for_30s": _target(p99, P99_TARGET_MS),
        "p99_at_250_over_raw_broker": _target(ratio, P99_RAW_RATIO_TARGET),
        "throughput_share_of_raw": _target(share, THROUGHPUT_SHARE_TARGET, at_least=True),
        "cpu_us_per_event": _target(cpu, CPU_TARGET_US),
        "scaling_2_over_1_workers": _target(scaling, SCALING_TARGET, at_least=True),
        "signals_bytes_per_customer": _target(per_customer, STATE_TARGET_BYTES),
    }


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def process_cpu(cpu: dict[str, float], process: str) -> float:
    """A process's CPU, all its replicas together (`signals`, `signals-2`, ...)."""
    return sum(v for k, v in cpu.items() if k == process or k.startswith(f"{process}-"))


def _cpu_cells(cpu: dict[str, float]) -> list[str]:
    cells = [f"{process_cpu(cpu, p):,.0f}" for p in PROCESSES]
    return [*cells, f"{cpu.get('total', 0):,.0f}"]


def _latency(results: dict[str, Any]) -> list[str]:
    latency = first(results).get("latency", {})
    raw_latency = results.get("raw_broker", {}).get("6", {}).get("latency", {})
    lines = [
        "End-to-end latency, POST start to desktop, single-event POSTs, steady state (ms):",
        "",
        _row(
            [
                "offered (achieved) events/s",
                "held s",
                *QUANTILES,
                "recommendations",
                "raw broker p50 / p99",
                "p99 ratio",
            ]
        ),
        _row(["---"] * 9),
    ]
    for load, entry in latency.items():
        e2e, base = entry["end_to_end_ms"], raw_latency.get(load, {})
        lines.append(
            _row(
                [
                    f"{load} ({entry['achieved_events_per_s']:.0f})",
                    f"{entry.get('seconds', 0):.0f}",
                    *(f"{e2e[q]:.1f}" for q in QUANTILES),
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
                  _row(["hop", *QUANTILES]), _row(["---"] * 5)]  # fmt: skip
        for hop, stats in latency[load]["hops_ms"].items():
            lines.append(_row([hop, *(f"{stats[q]:.1f}" for q in QUANTILES)]))
        base = raw_latency.get(load)
        if base:
            lines.append(_row(["raw broker, all 3 hops", *(f"{base[q]:.1f}" for q in QUANTILES)]))
    return lines


def _cpu(results: dict[str, Any]) -> list[str]:
    main = first(results)
    raw = results.get("raw_broker", {})
    lines = [
        "",
        "CPU per event, µs of CPU time per event accepted, by process (every signals worker"
        " together; the bench's own load generator left out):",
        "",
        _row(["measured at", *PROCESSES, "all"]),
        _row(["---"] * 7),
    ]
    for load, entry in main.get("latency", {}).items():
        if "cpu_us_per_event" in entry:
            lines.append(
                _row([f"{load} events/s, single POSTs", *_cpu_cells(entry["cpu_us_per_event"])])
            )
    for name, entry in pipelines(results).items():
        cpu = entry["throughput"].get("sustained_cpu_us_per_event")
        if cpu:
            rate = entry["throughput"]["sustained_events_per_s"]
            lines.append(
                _row([f"{name} sustained ({rate:,.0f}/s, batches of 50)", *_cpu_cells(cpu)])
            )
    for partitions, entry in raw.items():
        cpu = entry.get("cpu_us_per_msg")
        if cpu:
            lines.append(
                _row(
                    [
                        f"raw broker, {partitions} partitions, per message over 3 hops",
                        "-",
                        "-",
                        "-",
                        f"{cpu.get('broker', 0):,.0f}",
                        "-",
                        f"{cpu.get('total', 0):,.0f} (relays and client included)",
                    ]
                )
            )
    return lines


def _throughput(results: dict[str, Any]) -> list[str]:
    raw = results.get("raw_broker", {})
    lines = ["", "Sustained throughput (batched POSTs of 50; backlogs flat):", "",
             _row(["signals workers", "partitions", "events/s", "signals/s", "desktop recs/s",
                   "raw broker msgs/s (3 hops)", "ratio", "events per signals CPU-s"]),
             _row(["---"] * 8)]  # fmt: skip
    for entry in pipelines(results).values():
        base = raw.get(str(entry["partitions"]), {}).get("throughput_msgs_per_s", 0.0)
        found = entry["throughput"]
        events = found["sustained_events_per_s"]
        efficiency = events_per_signals_cpu_s(entry)
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
                    f"{efficiency:,.0f}" if efficiency else "-",
                ]
            )
        )
    failed = [k for k, v in results.get("pipelines", {}).items() if "throughput" not in v]
    if failed:
        lines += ["", f"Configurations that failed to run: {', '.join(failed)}."]
    return lines


def _memory_and_decisions(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    memory = results.get("memory")
    if memory:
        readings = memory["signals"]
        empty = readings[0]["rss_bytes"]
        lines += ["", "signals worker memory (state restored from its changelog):", "",
                  _row(["customers held", "RSS MiB", "RSS bytes per customer"]),
                  _row(["---"] * 3)]  # fmt: skip
        for reading in readings:
            customers = reading["customers"]
            per = f"{(reading['rss_bytes'] - empty) / customers:,.0f}" if customers else "-"
            lines.append(_row([f"{customers:,}", f"{reading['rss_bytes'] / 2**20:,.0f}", per]))
    decisions = results.get("decisions")
    if decisions:
        lines += [
            "",
            f"Decisions (the decision code in-process, {decisions['moments']:,} customer moments"
            f" of {decisions['customers']:,} simulated customers): "
            f"{decisions['decisions_per_s']:,.0f} decisions/s on one core, "
            f"p50 {decisions['p50_ms']} ms, p99 {decisions['p99_ms']} ms "
            f"(median of {decisions['repeats']} timings each:"
            f" p99 {decisions['steady_p99_ms']} ms).",
        ]
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown, for the Performance section of the README."""
    machine = results.get("machine", {})
    lines = [
        f"Run `make bench` on {results.get('finished_at', '?')[:10]}: {machine.get('cores')}"
        f" cores ({machine.get('cpu', '?')}), {machine.get('memory_gib')} GiB, Python"
        f" {machine.get('python')}; {results.get('duration_s', 0) / 60:.0f} minutes.",
        "",
        *_latency(results),
        *_cpu(results),
        *_throughput(results),
        *_memory_and_decisions(results),
        "",
        "Targets:",
        "",
        _row(["target", "measured", "goal", ""]),
        _row(["---"] * 4),
    ]
    for name, target in targets(results).items():
        value = target["value"]
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        lines.append(
            _row([name, shown, str(target["target"]), "met" if target["met"] else "missed"])
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results")
    path = source / "latest.json" if source.is_dir() else source
    print(markdown(json.loads(path.read_text())), end="")
