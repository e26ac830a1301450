"""actions' entrypoint: composition only.

`create_app(settings)` wires the runtime (consumer loops, database, broker; see
`runtime.py`), the route modules (`routes/`), one problem-document dialect and the
operations routes. `bootstrap()` is what `python -m services.actions` serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.actions.routes import desktop, next_best_action, outcomes, recommendations
from services.actions.runtime import Runtime
from services.actions.settings import Settings
from services.plumbing.http import add_operations_routes
from services.plumbing.logs import configure_logging
from services.plumbing.problems import install_problem_handlers


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Small Moments actions",
        version="1.0",
        description="Next best actions for agents' desktops, and what came of them.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.include_router(desktop.router)
    app.include_router(recommendations.router)
    app.include_router(outcomes.router)
    app.include_router(next_best_action.router)
    add_operations_routes(app, runtime.ready)
    return app


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("actions", settings.log_level, settings.log_json)
    return create_app(settings)
