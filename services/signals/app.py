"""signals' entrypoint: composition only.

`create_app(settings)` wires the runtime (the `interactions` loop, its changelogged
customer table and the broker; see `runtime.py`) to the operations routes: `/healthz`,
`/readyz` and `/metrics`. `bootstrap()` is what `python -m services.signals` serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.plumbing.http import add_operations_routes
from services.plumbing.logs import configure_logging
from services.plumbing.problems import install_problem_handlers
from services.signals.runtime import Runtime
from services.signals.settings import Settings


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
        title="Small Moments signals",
        version="1.0",
        description="Pain points and small moments, found per customer as they happen.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    add_operations_routes(app, runtime.ready)
    return app


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("signals", settings.log_level, settings.log_json)
    return create_app(settings)
