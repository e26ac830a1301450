"""`python -m bench.profile`: where each service spends its CPU under a steady load.

Starts the stack as `make bench` does (1 signals worker, 6 partitions), offers batched
simulated traffic at `--rate` events/s, and meanwhile samples every service with py-spy
(`pip install py-spy`; it is not needed by `make bench`). Writes a flame graph and a
summary of the busiest functions per service to bench/results/profiles/, and prints the
summary. Idle time (waiting on the event loop's selector) is left out of the shares.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench.load import DesktopListener, IngestLoad, prepare
from bench.run import RESULTS, Bench, Plan
from bench.stack import Pipeline, PipelineConfig
from bench.traffic import SEED

# py-spy from the PATH, or beside this interpreter (the project's .venv, not activated).
_BESIDE = Path(sys.executable).with_name("py-spy")
PY_SPY = shutil.which("py-spy") or (str(_BESIDE) if _BESIDE.exists() else None)

# Frames that mean "waiting for work", not "working".
# uvloop's loop is C: py-spy shows its waiting as time in `Runner.run` itself.
IDLE = ("select (selectors.py", "poll (selectors.py", "Runner.run (asyncio/runners.py")


def summarise(raw: Path, top: int = 25) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Self and inclusive shares of busy samples per function, from py-spy's raw output."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in IDLE):
            continue
        count = int(count_text)
        busy += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    total = max(1, busy)
    return (
        [(name, 100 * n / total) for name, n in own.most_common(top)],
        [(name, 100 * n / total) for name, n in inclusive.most_common(top * 2)],
    )


async def profile(bench: Bench, rate: float, seconds: float, folder: Path) -> None:
    await bench.infrastructure.start()
    bench.credentials = await bench.infrastructure.stack.issue_dev_credentials()
    pipeline = Pipeline(bench.infrastructure, PipelineConfig("profile", 6, 1))
    listener = DesktopListener(pipeline.actions_url, bench.credentials["agent_token"])
    stream = bench.simulation("prof").events()
    try:
        await pipeline.start(bench.credentials)
        await listener.start()
        await bench.warm_up(pipeline, stream, listener)
        requests = prepare(stream, SEED, int(rate * (seconds + 4)), bench.plan.batch, "/channels")
        recorders = []
        for name, processes in pipeline.processes().items():
            for kind in ("raw", "flamegraph"):
                suffix = "txt" if kind == "raw" else "svg"
                recorders.append(
                    subprocess.Popen(  # noqa: ASYNC220 - py-spy runs beside the load
                        [
                            PY_SPY or "py-spy", "record", "--pid", str(processes[0].pid),
                            "--duration",
                            str(int(seconds)), "--rate", "50", "--nonblocking", "--format", kind,
                            "--output", str(folder / f"{name}.{kind}.{suffix}"),
                        ],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip
        bench.status(f"profiling at {rate:.0f} events/s for {seconds:.0f} s")
        async with IngestLoad(pipeline.ingest_url, bench.credentials["ingest_api_key"], 32) as load:
            await load.run(requests, rate)
        for recorder in recorders:
            await asyncio.to_thread(recorder.wait, 60)
    finally:
        await listener.stop()
        pipeline.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--rate", type=float, default=250.0, help="offered events/s (batched)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to sample")
    parser.add_argument("--results", type=Path, default=RESULTS / "profiles")
    args = parser.parse_args(argv)
    if PY_SPY is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    args.results.mkdir(parents=True, exist_ok=True)
    console = Console()
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    bench = Bench(Plan.quick(), console, progress)
    try:
        with progress:
            asyncio.run(profile(bench, args.rate, args.seconds, args.results))
    finally:
        bench.close(args.results / "logs")
    for raw in sorted(args.results.glob("*.raw.txt")):
        own, inclusive = summarise(raw)
        lines = [f"{raw.name.split('.')[0]}: busiest functions (self time, % of busy samples)"]
        lines += [f"  {share:5.1f}%  {name}" for name, share in own]
        lines += ["  inclusive (time in the function and what it calls):"]
        lines += [f"  {share:5.1f}%  {name}" for name, share in inclusive]
        text = "\n".join(lines)
        (args.results / f"{raw.name.split('.')[0]}.summary.txt").write_text(text + "\n")
        console.print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
