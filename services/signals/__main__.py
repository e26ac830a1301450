"""`python -m services.signals`: run the signals Faust worker (`worker` is implied)."""

import sys
from pathlib import Path

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
    app = create_app(settings)
    if len(sys.argv) == 1:
        sys.argv += ["worker", "--loglevel", FAUST_LEVELS.get(level, level.lower())]
    app.main()


if __name__ == "__main__":
    main()
