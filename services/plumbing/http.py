"""What every HTTP service exposes to operators, and how it is served.

`add_operations_routes` adds `/healthz` (alive), `/readyz` (200 only while every check
passes, else 503) and `/metrics` (Prometheus). `serve` runs an app factory with uvicorn.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.plumbing.consuming import exit_status
from services.plumbing.metrics import READY, ReadinessCheck, watch_readiness


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
        for name, passed in checks.items():
            READY.labels(name).set(1 if passed else 0)
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
