"""signals' entrypoint: composition only.

`create_app(settings)` wires the runtime (the `interactions` loop, its changelogged
customer table and the broker; see `runtime.py`) into the app every service has
(`plumbing.http.service_app`): `/healthz`, `/readyz` and `/metrics`. `bootstrap()` is
what `python -m services.signals` serves.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.plumbing.http import service_app
from services.plumbing.logs import configure_logging
from services.plumbing.tracing import configure_tracing
from services.signals.runtime import Runtime
from services.signals.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    return service_app(
        "Small Moments signals",
        "Pain points and small moments, found per customer as they happen.",
        Runtime(settings),
    )


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("signals", settings.log_level, settings.log_json)
    configure_tracing("signals", settings)
    return create_app(settings)
