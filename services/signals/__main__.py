"""`python -m services.signals`: run the signals Faust worker (`worker` is implied)."""

import asyncio
import sys
from pathlib import Path

from services.plumbing.kafka import wait_for_broker
from services.plumbing.logs import configure_logging
from services.signals.settings import Settings
from services.signals.worker import create_app

# Faust's --loglevel takes its own names, not Python's.
FAUST_LEVELS = {"CRITICAL": "crit", "ERROR": "error", "WARNING": "warn", "WARN": "warn"}


def main() -> None:
    settings = Settings()
    level = settings.log_level.upper()
    configure_logging("signals", settings.log_level, settings.log_json)
    Path(settings.signals_data_dir).mkdir(parents=True, exist_ok=True)
    # Start in any order: wait for the broker as long as it takes (Faust would exit), on
    # the loop the worker then runs on.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(wait_for_broker(settings.kafka_bootstrap_servers, deadline_s=None))
    app = create_app(settings)
    if len(sys.argv) == 1:
        sys.argv += ["worker", "--loglevel", FAUST_LEVELS.get(level, level.lower())]
    app.main()


if __name__ == "__main__":
    main()
