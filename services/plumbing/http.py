"""What every HTTP service is built from, exposes to operators, and how it is served.

`service_app(title, description, runtime, routers)` is a service's whole FastAPI app: a
lifespan that starts and stops its runtime, the one problem-document dialect
(`problems.install_problem_handlers`), its routers, and the operations routes:
`/healthz` (alive), `/readyz` (200 only while every check passes, else 503) and
`/metrics` (Prometheus). The runtime is on `app.state.runtime`, where route
dependencies find it. `serve` runs an app factory with uvicorn.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.plumbing.consuming import exit_status
from services.plumbing.docs import serve_docs
from services.plumbing.metrics import ReadinessCheck, record_readiness, watch_readiness
from services.plumbing.problems import install_problem_handlers
from services.plumbing.tracing import shutdown_tracing


class Runtime(Protocol):
    """What a service connects and runs: `start` returns at once, `ready` answers /readyz."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> dict[str, bool]: ...


def service_app(
    title: str, description: str, runtime: Runtime, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """A service's app around its runtime; see the module docstring."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            shutdown_tracing()  # what is buffered for the exporter goes out

    app = FastAPI(
        title=title,
        version="1.0",
        description=description,
        lifespan=lifespan,
        docs_url=None,  # served from the stack by serve_docs, not from a CDN
        redoc_url=None,
    )
    serve_docs(app)
    app.state.runtime = runtime
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    add_operations_routes(app, runtime.ready)
    return app


def add_operations_routes(app: FastAPI, ready: ReadinessCheck) -> None:
    # The same checks feed `moments_ready` in every scrape and ops.metrics snapshot.
    watch_readiness(ready)

    @app.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="200 while the broker and database are reachable, 503 otherwise",
        responses={503: {"description": "Something it needs is unreachable"}},
    )
    async def readyz() -> JSONResponse:
        checks = await ready()
        record_readiness(checks)
        return JSONResponse(checks, status_code=200 if all(checks.values()) else 503)

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def serve(factory: str, host: str, port: int, log_level: str) -> None:
    """Run `module:function` (which returns the app) with uvicorn until stopped.

    Exits non-zero when a supervised background task ended unexpectedly (see
    `plumbing.consuming.supervise`), so a process supervisor restarts the service.
    """
    uvicorn.run(
        factory, factory=True, host=host, port=port, log_level=log_level.lower(), access_log=False
    )
    sys.exit(exit_status())
