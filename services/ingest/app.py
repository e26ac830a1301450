"""ingest's entrypoint: composition only.

`create_app(settings)` wires the runtime (PostgreSQL for the keys, the broker, the
`interactions.raw` gate; see `runtime.py`) and the route modules (`routes/`) into the app
every service has (`plumbing.http.service_app`). Tests pass fakes through
`create_app(settings, ingest=..., keys=...)`, and then nothing external is connected.
`bootstrap()` is what `python -m services.ingest` serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.ingest.handlers import Ingest, KeyFinder
from services.ingest.openapi import DESCRIPTION
from services.ingest.routes import events
from services.ingest.runtime import Runtime
from services.ingest.settings import Settings
from services.plumbing.http import service_app
from services.plumbing.logs import configure_logging
from services.plumbing.tracing import configure_tracing


@dataclass
class Prewired:
    """The routes' adapters given ready-made (fakes in tests): nothing to start or stop."""

    settings: Settings
    ingest: Ingest
    keys: KeyFinder | None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> dict[str, bool]:
        return {"broker": True, "database": True}


def create_app(
    settings: Settings, *, ingest: Ingest | None = None, keys: KeyFinder | None = None
) -> FastAPI:
    """The ingest app. With `ingest` and `keys` given, nothing external is connected."""
    runtime = Runtime(settings) if ingest is None else Prewired(settings, ingest, keys)
    return service_app("Small Moments ingest", DESCRIPTION, runtime, [events.router])


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("ingest", settings.log_level, settings.log_json)
    configure_tracing("ingest", settings)
    return create_app(settings)
