"""`moments`: the command line for running and operating Small Moments.

moments run                      the whole local stack, with demo traffic
moments keys create|list|revoke  channel systems' API keys
moments agents create|list|revoke agents and their desktop tokens
moments operators create         operators (reports, erasure) and their tokens
moments migrate                  apply database migrations
moments topics                   create the Kafka topics (KAFKA_* from the environment)
moments simulate                 a simulated customer population sending events
moments evaluate-health          relationship health against the simulator's churn hazard
moments evaluate                 decision policies compared offline on the simulator
moments customers erase ID       erase a customer everywhere (operator credential)
moments report uplift            treated customers against the holdout, with intervals
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from moments.commands import (
    agents,
    customers,
    evaluate,
    keys,
    migrate,
    operators,
    report,
    run,
    topics,
)
from moments.simulate import cli as simulate
from moments.simulate import evaluate as evaluate_health

# Each command is a module with `add_parser(commands)`; this is the order `--help` lists.
COMMANDS = (
    run,
    keys,
    agents,
    operators,
    migrate,
    topics,
    simulate,
    evaluate_health,
    evaluate,
    customers,
    report,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moments", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
