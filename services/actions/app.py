"""actions' entrypoint: composition only.

`create_app(settings)` wires the runtime (consumer loops, database, broker; see
`runtime.py`), the route modules (`routes/`), one problem-document dialect and the
operations routes. `bootstrap()` is what `python -m services.actions` serves.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.actions.routes import (
    customers,
    desktop,
    desktop_page,
    erasure,
    next_best_action,
    ops,
    outcomes,
    recommendations,
    reports,
    tickets,
)
from services.actions.runtime import Runtime
from services.actions.settings import Settings
from services.plumbing.http import service_app
from services.plumbing.logs import configure_logging
from services.plumbing.tracing import configure_tracing


def create_app(settings: Settings) -> FastAPI:
    return service_app(
        "Small Moments actions",
        "Next best actions for agents' desktops, and what came of them.",
        Runtime(settings),
        [
            desktop.router,
            desktop_page.router,
            tickets.router,
            customers.router,
            recommendations.router,
            outcomes.router,
            next_best_action.router,
            erasure.router,
            reports.router,
            ops.router,
        ],
    )


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("actions", settings.log_level, settings.log_json)
    configure_tracing("actions", settings)
    return create_app(settings)
