"""One `moments simulate` run, from the parsed arguments to the summary.

`run(args)` builds the population (`make_simulation`) and the sender (`make_sender`:
HTTP, Kafka or a file), then plays the simulation's events in batches, paced by
`senders.Pace`, with at most `--concurrency` batches in flight, a live progress line,
and optionally the responder answering desktop recommendations; `report` prints the
totals and the treated-versus-holdout table at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from moments.simulate.domain.population import build_population
from moments.simulate.domain.simulation import SimulatedEvent, Simulation
from moments.simulate.responder import DesktopResponder
from moments.simulate.senders import (
    Delivered,
    EventSender,
    FileSender,
    HttpSender,
    KafkaSender,
    Pace,
)
from services.actions.domain.policy import in_holdout

# A file is a record to compare, so its default clock is fixed; live traffic is current.
FILE_START = datetime(2026, 1, 1, tzinfo=UTC)


def load_credentials(path: str) -> dict[str, Any]:
    file = Path(path)
    return json.loads(file.read_text()) if file.is_file() else {}


def make_simulation(args: argparse.Namespace) -> Simulation:
    from moments.simulate.datasets import purchase_histories, tenure_records

    population = build_population(
        args.seed, args.customers, purchase_histories(), tenure_records(), args.customer_prefix
    )
    return Simulation(args.seed, population, start_time(args).timestamp())


def start_time(args: argparse.Namespace) -> datetime:
    if args.start:
        return datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    return FILE_START if args.out else datetime.now(UTC).replace(microsecond=0)


def make_sender(args: argparse.Namespace, credentials: dict[str, Any]) -> EventSender:
    if args.out:
        return FileSender(Path(args.out))
    if args.target == "kafka":
        return KafkaSender(args.bootstrap_servers, args.topic_prefix)
    key = credentials.get("ingest_api_key")
    if not key:
        raise SystemExit(f"moments simulate: no ingest_api_key in {args.credentials}")
    url = args.ingest_url or credentials.get("ingest_url", "http://127.0.0.1:8080")
    return HttpSender(url, key, args.concurrency)


def batches(events: Iterator[SimulatedEvent], size: int) -> Iterator[list[SimulatedEvent]]:
    batch: list[SimulatedEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Rates:
    """Live events/s over the last few seconds, for the progress line."""

    def __init__(self, window_s: float = 5.0):
        self.window_s = window_s
        self.marks: deque[tuple[float, int]] = deque()

    def add(self, total: int) -> float:
        now = time.monotonic()
        self.marks.append((now, total))
        while self.marks and now - self.marks[0][0] > self.window_s:
            self.marks.popleft()
        first_at, first = self.marks[0]
        return (total - first) / (now - first_at) if now > first_at else 0.0


async def run(args: argparse.Namespace) -> int:
    credentials = load_credentials(args.credentials)
    source_prefix = credentials.get("source_prefix", "/channels")
    simulation = make_simulation(args)
    sender = make_sender(args, credentials)
    limit: int | None = args.events
    end_at = simulation.start + args.days * 86400 if args.days else None
    console = Console(stderr=True)
    if not args.quiet:
        console.print(
            f"[bold]moments simulate[/]: {args.customers} customers, seed {args.seed}, "
            f"start {start_time(args).isoformat()}, to "
            f"{args.out or args.target}"
        )
    responder: DesktopResponder | None = None
    tasks: list[asyncio.Task[Any]] = []
    if args.respond and not args.out:
        token = credentials.get("agent_token")
        actions_url = args.actions_url or credentials.get("actions_url")
        if not token or not actions_url:
            raise SystemExit(
                "moments simulate --respond: credentials need agent_token and actions_url"
            )
        responder = DesktopResponder(simulation, actions_url, token)
        tasks.append(asyncio.create_task(responder.run()))

    totals = Delivered()
    in_flight: set[asyncio.Task[Delivered]] = set()
    slots = asyncio.Semaphore(max(1, args.concurrency))
    pace = Pace(None if args.out and not args.rate else args.rate, args.speed, simulation.start)
    if args.out and not args.rate:
        pace.speed = float("inf")  # a file is written as fast as it can be
    rates = Rates()
    sent = 0
    sim_now = simulation.start

    def finished(task: asyncio.Task[Delivered]) -> None:
        in_flight.discard(task)
        slots.release()
        if task.cancelled() or task.exception() is not None:
            result = Delivered(0, 0, [repr(task.exception())])
        else:
            result = task.result()
        totals.accepted += result.accepted
        totals.refused += result.refused
        if result.problems and not args.quiet:
            console.print(f"[red]refused[/]: {result.problems[0]}")

    progress = Progress(
        SpinnerColumn(),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
        refresh_per_second=4,
    )
    await sender.start()
    try:
        with progress:
            bar = progress.add_task("sending", total=limit, stats="")
            last_refresh = 0.0
            stream = simulation.events()
            for batch in batches(stream, args.batch):
                if limit is not None and sent >= limit:
                    break
                if limit is not None:
                    batch = batch[: limit - sent]
                if end_at is not None and batch[0].at > end_at:
                    break
                await pace.wait(batch[0].at, len(batch))
                await slots.acquire()
                cloudevents = [e.cloudevent(args.seed, source_prefix) for e in batch]
                task = asyncio.create_task(sender.send(cloudevents))
                in_flight.add(task)
                task.add_done_callback(finished)
                sent += len(batch)
                sim_now = batch[-1].at
                if time.monotonic() - last_refresh > 0.25:
                    last_refresh = time.monotonic()
                    answered = responder.answered if responder else None
                    progress.update(
                        bar,
                        completed=sent,
                        stats=(
                            f"{rates.add(totals.accepted):7.0f} ev/s  accepted {totals.accepted}"
                            f"  refused {totals.refused}  sim "
                            f"{datetime.fromtimestamp(sim_now, UTC):%Y-%m-%d %H:%M}"
                            + (
                                f"  recs {answered.seen} taken up {answered.accepted}"
                                if answered
                                else ""
                            )
                            + (
                                f"  behind {pace.behind_s(batch[0].at):.1f}s"
                                if pace.behind_s(batch[0].at) > 1
                                else ""
                            )
                        ),
                    )
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            progress.update(bar, completed=sent)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await sender.close()
    if not args.quiet:
        report(console, simulation, args, totals, sent)
        if responder is not None:
            answered = responder.answered
            console.print(
                f"answered {answered.seen} recommendations: {answered.accepted} accepted, "
                f"{answered.declined} declined, {answered.failed} not recorded"
            )
    return 0 if totals.refused == 0 else 1


def report(
    console: Console, simulation: Simulation, args: argparse.Namespace, totals: Delivered, sent: int
) -> None:
    console.print(
        f"sent {sent} events: {totals.accepted} accepted, {totals.refused} refused; simulated "
        f"{(simulation.now - simulation.start) / 86400:.1f} days"
    )
    held = [i for i in simulation.lives if in_holdout(i, args.holdout_percent, args.holdout_salt)]
    treated = [i for i in simulation.lives if i not in set(held)]
    table = Table("group", "customers", "asked to cancel", "left", "won back")
    for name, ids in (("treated", treated), ("holdout", held)):
        tally = simulation.tally(ids)
        table.add_row(
            name,
            str(tally.customers),
            str(tally.asked_to_cancel),
            f"{tally.left} ({tally.left / max(1, tally.customers):.1%})",
            str(tally.won_back),
        )
    console.print(table)
