"""`moments report uplift`: treated customers against the holdout, from PostgreSQL.

Reads actions' database directly (DATABASE_URL, or the embedded server under .moments/,
as the other `moments` commands do) with the same adapter and statistics that serve
`GET /v1/reports/uplift`, so it answers while actions is down and needs no operator
token: database access is already an operator's. `--json` prints what the API answers.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from moments.commands.database import with_pool
from schemas.reports import ActionUplift, Comparison, Interval, UpliftReport
from services.actions.adapters.reports import ReportStore
from services.actions.domain.uplift import MIN_GROUP_SIZE, uplift_report
from services.actions.domain.verdicts import shown_value


def _difference(c: Comparison, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.1f} pts" if c.kind == "proportion" else f"{value:+.1f}"


def _interval(c: Comparison, interval: Interval | None) -> str:
    if interval is None:
        return "-"
    return f"{_difference(c, interval.low)} to {_difference(c, interval.high)}"


def table(report: UpliftReport) -> Table:
    shown = Table(title="Uplift against the holdout (treated minus held out)")
    shown.add_column("action", overflow="fold")
    for column in ("outcome", "treated", "held out", "difference"):
        shown.add_column(column)
    shown.add_column("95% single look")
    shown.add_column("95% always valid")
    shown.add_column("verdict")
    uplifts: list[ActionUplift] = [report.overall, *report.actions]
    for uplift in uplifts:
        for index, c in enumerate(uplift.comparisons):
            shown.add_row(
                (uplift.action_code or "all actions") if index == 0 else "",
                c.metric.replace("_", " "),
                f"{shown_value(c.kind, c.treated.value)} of {c.treated.customers}",
                f"{shown_value(c.kind, c.holdout.value)} of {c.holdout.customers}",
                _difference(c, c.difference),
                _interval(c, c.interval),
                _interval(c, c.always_valid),
                c.verdict.value.replace("_", " "),
                end_section=index == len(uplift.comparisons) - 1,
            )
    return shown


def cmd_report(args: argparse.Namespace) -> int:

    async def work(pool: Any) -> int:
        customers = await ReportStore(pool).decided_customers()
        report = await asyncio.to_thread(
            uplift_report, customers, datetime.now(UTC), 0.95, args.min_group_size, args.seed
        )
        if args.json:
            print(report.model_dump_json(indent=2))
            return 0
        console = Console()
        console.print(table(report))
        console.print("\n[bold]All actions[/bold]")
        for c in report.overall.comparisons:
            console.print(f"  {c.metric.replace('_', ' ')}: {c.summary}", highlight=False)
        console.print(f"\n{report.method}", style="dim", highlight=False)
        return 0

    return asyncio.run(with_pool(work))


def add_parser(commands: Any) -> None:
    report = commands.add_parser("report", help="reports for operators")
    kinds = report.add_subparsers(dest="report_command", required=True)
    uplift = kinds.add_parser(
        "uplift",
        help="treated customers against the holdout, with confidence intervals",
        description=__doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else None,
    )
    uplift.add_argument("--json", action="store_true", help="print the report as JSON")
    uplift.add_argument(
        "--min-group-size",
        type=int,
        default=MIN_GROUP_SIZE,
        help=f"fewer customers in a group: not enough data yet (default {MIN_GROUP_SIZE})",
    )
    uplift.add_argument("--seed", type=int, default=0, help="the bootstrap's seed (default 0)")
    report.set_defaults(handler=cmd_report)
