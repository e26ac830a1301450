"""Fixtures for the integration tier: a real broker and a real PostgreSQL (see backends.py).

Every test gets its own topic prefix, consumer groups, Faust app id and ports, so tests
never see each other's messages; services run as processes, stopped by pid afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from moments.processes import free_port
from schemas.topics import Topics
from services.ingest.adapters.keys import create_key
from services.plumbing.database import create_pool, migrate, wait_for_database
from services.plumbing.kafka import ensure_topics, wait_for_broker
from services.plumbing.settings import KafkaSettings
from tests.backends import BACKENDS, Backend, backend_from_environment
from tests.harness import ServiceProcess

READY_PATHS = {"ingest": "/readyz", "actions": "/readyz", "signals": "/readyz"}
PORT_VARIABLES = {"ingest": "INGEST_PORT", "actions": "ACTIONS_PORT", "signals": "SIGNALS_WEB_PORT"}


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    with BACKENDS[backend_from_environment()]() as chosen:
        yield chosen


@pytest.fixture(scope="session")
async def database(backend: Backend) -> str:
    await wait_for_database(backend.database_url)
    await wait_for_broker(backend.bootstrap_servers)
    await migrate(backend.database_url)
    return backend.database_url


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def topics(backend: Backend, run_id: str) -> Topics:
    prefix = f"t{run_id}."
    await ensure_topics(
        KafkaSettings(kafka_bootstrap_servers=backend.bootstrap_servers, kafka_topic_prefix=prefix)
    )
    return Topics(prefix)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(database, 4)
    yield created
    await created.close()


@pytest.fixture
async def api_key(pool: asyncpg.Pool) -> str:
    """A key for /channels/test that may send every type."""
    return (await create_key(pool, "/channels/test", ["*"], "integration test")).key


@pytest.fixture
def service_env(
    backend: Backend, database: str, topics: Topics, run_id: str, tmp_path: Path
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": backend.bootstrap_servers,
        "DATABASE_URL": database,
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "SIGNALS_APP_ID": f"signals-{run_id}",
        "SIGNALS_REBALANCE_TIMEOUT_S": "2",
        "ACTIONS_GROUP": f"actions-{run_id}",
        "ACTIONS_HOLDOUT_PERCENT": "0",
        "ACTIONS_ID_SECRET": f"test-id-secret-{run_id}",
        "INGEST_RAW_GROUP": f"raw-{run_id}",
        "INGEST_KEY_CACHE_S": "0",
        "OPS_INTERVAL_S": "1",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def services(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., ServiceProcess]]:
    """Start services as processes: `services("ingest", INGEST_BROKER_TIMEOUT_S="1")`."""
    started: list[ServiceProcess] = []

    def start(name: str, **overrides: str) -> ServiceProcess:
        port = free_port()
        env = {**service_env, PORT_VARIABLES[name]: str(port), **overrides}
        process = ServiceProcess(
            name,
            env,
            f"http://127.0.0.1:{port}{READY_PATHS[name]}",
            tmp_path / f"{name}-{len(started)}.log",
        )
        process.start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


def base_url(process: ServiceProcess) -> str:
    return process.ready_url.rsplit("/", 1)[0]
