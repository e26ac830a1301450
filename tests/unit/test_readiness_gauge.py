"""`moments_ready{check}`: every process's readiness checks, in each scrape and snapshot,
so Prometheus and the ops page see a service that is up but not ready."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from services.plumbing.http import add_operations_routes
from services.plumbing.metrics import OpsReporter, refresh_readiness


def ready_value(check: str) -> float | None:
    return REGISTRY.get_sample_value("moments_ready", {"check": check})


async def test_readyz_and_each_snapshot_set_the_gauge_per_check() -> None:
    state = {"broker": True, "database": False}

    async def ready() -> dict[str, bool]:
        return dict(state)

    app = FastAPI()
    add_operations_routes(app, ready)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        assert (await client.get("/readyz")).status_code == 503
    assert (ready_value("broker"), ready_value("database")) == (1.0, 0.0)

    state["database"] = True  # the next snapshot runs the checks again
    message = await OpsReporter(lambda: None, "ops", "ingest", 10)._message()  # type: ignore[arg-type, return-value]
    assert message["metrics"]['moments_ready{check="database"}'] == 1.0
    assert message["service"] == "ingest"


async def test_a_check_that_hangs_reads_as_failing() -> None:
    async def fine() -> dict[str, bool]:
        return {"broker": True}

    async def hangs() -> dict[str, bool]:
        await asyncio.Event().wait()
        return {}

    app = FastAPI()
    add_operations_routes(app, fine)
    await refresh_readiness()
    assert ready_value("broker") == 1.0
    add_operations_routes(FastAPI(), hangs)  # the process's checks are the latest app's
    await refresh_readiness(timeout_s=0.05)
    assert ready_value("broker") == 0.0
