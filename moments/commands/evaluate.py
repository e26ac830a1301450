"""`moments evaluate`: decision policies compared offline on the seeded simulator.

    moments evaluate --seed 1                                  # 1,000 customers, 120 days
    moments evaluate --seed 1 --customers 300 --days 60 --json
    moments evaluate --seed 1 --chart docs/evaluate-policies.png

The same seeded population lives the same simulated days under each policy ("do
nothing", today's "default", the naive "always offer"), with the real signals and
decision code and simulated customers answering what reaches them (see
moments/simulate/compare/). Printed per policy: retention, contacts per retained
customer, answers, complaints, breaches of consent, caps and care (counted from what
was sent, apart from the decision code: each must be 0) and relationship health at the
end. Nothing is sent anywhere: the same arguments give the same figures.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from moments.simulate.compare import Evaluation, compare
from moments.simulate.compare.policies import policies

TABLE_WIDTH = 130


def table(evaluation: Evaluation) -> Table:
    shown = Table(
        title=f"Policies on the same simulated customers (seed {evaluation.seed}, "
        f"{evaluation.customers} customers, {evaluation.days:g} days)"
    )
    for column in (
        "policy",
        "retained",
        "contacts per\nretained",
        "declined",
        "complaints",
        "consent\nbreaches",
        "cap\nbreaches",
        "vulnerable,\nnot by a\nperson",
        "health\nat the end",
    ):
        left = column in ("policy", "retained")
        shown.add_column(
            column,
            justify="left" if left else "right",
            no_wrap=left,
            min_width=max(len(word) for word in column.split()),
        )
    for r in evaluation.results:
        shown.add_row(
            r.policy,
            f"{r.retention:.1%} ({r.retained})",
            f"{r.contacts_per_retained:.2f}",
            f"{r.declined} of {r.contacts}",
            str(r.complaints),
            str(r.consent_breaches),
            str(r.cap_breaches),
            str(r.vulnerable_not_human),
            f"{r.health:.1f}",
        )
    shown.caption = (
        "retained: still with us at the end; contacts: recommendations that reached a "
        "customer; vulnerable: customers flagged so, reached other than by an agent; "
        "sales to vulnerable customers: "
        + ", ".join(f"{r.sales_to_vulnerable} ({r.policy})" for r in evaluation.results)
    )
    return shown


def handle(args: argparse.Namespace) -> int:
    console = Console(stderr=True)  # progress and timings: stdout stays the result
    names = [p.name for p in policies()]
    progress = Progress(
        TextColumn("{task.description:>13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("simulated days"),
        TimeElapsedColumn(),
        console=console,
        disable=args.quiet,
    )
    started = time.monotonic()
    with progress:
        bars = {name: progress.add_task(name, total=args.days, start=False) for name in names}

        def tick(policy: str, day: float) -> None:
            if day == 0:  # its clock starts when its run does
                progress.start_task(bars[policy])
            progress.update(bars[policy], completed=min(day, args.days))

        evaluation = compare(args.seed, args.customers, args.days, tick)
    took = time.monotonic() - started
    if args.json:
        print(json.dumps(asdict(evaluation), indent=2))
    else:
        out = Console()
        # the table's figures are the point: never squeezed to a narrow terminal's width
        (out if out.width >= TABLE_WIDTH else Console(width=TABLE_WIDTH)).print(table(evaluation))
    if args.chart:
        from moments.simulate.compare.chart import draw

        draw(evaluation, Path(args.chart))
    if not args.quiet:
        console.print(f"took {took:.0f} s" + (f"; chart: {args.chart}" if args.chart else ""))
    return 0


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="compare decision policies offline on the seeded simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=1, help="population and stories")
    parser.add_argument("--customers", type=int, default=1000, help="population size")
    parser.add_argument("--days", type=float, default=120.0, help="simulated days to play")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    parser.add_argument("--chart", default=None, help="also draw the figures to this PNG")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or timing")
    parser.set_defaults(handler=handle)
