"""The stack under test: `moments.stack.Stack` on free ports in a temporary home.

`BenchInfrastructure` starts one broker and one PostgreSQL for the whole run.
`Pipeline` starts ingest, signals (one or two workers) and actions against it, with
their own topic prefix, consumer groups and partition count, and stops them by pid. Each
configuration gets fresh topics, so no run sees another's messages or state.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from moments.processes import free_port
from moments.stack import Child, Stack, StackSettings
from schemas.topics import Topics
from services.plumbing.kafka import ensure_topics
from services.plumbing.settings import KafkaSettings
from services.signals.runtime import changelog_topic


class BenchInfrastructure:
    """Tansu and embedded PostgreSQL for the run, plus dev credentials."""

    def __init__(self, home: Path):
        self.home = home
        self.stack = Stack(
            StackSettings(
                moments_home=home,
                moments_broker_port=free_port(),
                ingest_port=free_port(),
                actions_port=free_port(),
                signals_web_port=free_port(),
            )
        )

    async def start(self) -> None:
        await self.stack.start_infrastructure()

    @property
    def bootstrap_servers(self) -> str:
        return self.stack.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The broker, and PostgreSQL's server with its backends, by name."""
        found: dict[str, list[psutil.Process]] = {}
        for child in self.stack.children:
            with contextlib.suppress(psutil.NoSuchProcess):
                found[child.name] = [psutil.Process(child.process.pid)]
        data_dir = str(self.home.resolve() / "postgres")
        for process in psutil.process_iter(["cmdline"]):
            if data_dir in " ".join(process.info["cmdline"] or []):
                with contextlib.suppress(psutil.NoSuchProcess):
                    found["postgres"] = [process, *process.children(recursive=True)]
                break
        return found

    async def database_bytes(self) -> dict[str, int]:
        """What actions keeps in PostgreSQL: table sizes, and how many customers."""
        import asyncpg

        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch(
                "select relname, pg_total_relation_size(oid) as bytes from pg_class"
                " where relname in ('signals', 'recommendations', 'outcomes')"
            )
            customers = await connection.fetchval("select count(distinct customer_id) from signals")
        finally:
            await connection.close()
        return {**{r["relname"]: int(r["bytes"]) for r in rows}, "customers": int(customers)}

    def stop(self) -> None:
        self.stack.stop()


class PipelineStack(Stack):
    """A `Stack` whose services also get the bench's own variables."""

    def __init__(self, settings: StackSettings, extra_env: dict[str, str]):
        super().__init__(settings)
        self.extra_env = extra_env

    def service_env(self) -> dict[str, str]:
        return {**super().service_env(), **self.extra_env}


@dataclass(frozen=True)
class PipelineConfig:
    name: str
    partitions: int
    signals_workers: int

    @property
    def prefix(self) -> str:
        return f"bench.{self.name}."


class Pipeline:
    """ingest, signals x N and actions for one configuration."""

    def __init__(self, infrastructure: BenchInfrastructure, config: PipelineConfig):
        self.config = config
        self.infrastructure = infrastructure
        prefix = config.prefix
        self.topics = Topics(prefix)
        self.app_id = f"bench-{config.name}-signals"
        settings = StackSettings(
            moments_home=infrastructure.home / config.name,
            kafka_bootstrap_servers=infrastructure.bootstrap_servers,
            database_url=infrastructure.database_url,
            ingest_port=free_port(),
            actions_port=free_port(),
            signals_web_port=free_port(),
            kafka_topic_partitions=config.partitions,
            kafka_topic_prefix=prefix,
        )
        self.stack = PipelineStack(
            settings,
            {
                "SIGNALS_APP_ID": self.app_id,
                "ACTIONS_GROUP": f"bench-{config.name}-actions",
                "INGEST_RAW_GROUP": f"bench-{config.name}-raw",
                # The bench offers more than a channel system's default allowance.
                "INGEST_RATE_PER_SOURCE": "1000000",
                "INGEST_RATE_BURST": "1000000",
                "INGEST_MAX_BODY_BYTES": str(8 * 1024 * 1024),
            },
        )
        self.signals_ports = [settings.signals_web_port]

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.settings.ingest_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.settings.actions_port}"

    def signals_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.signals_ports]

    async def start(self, credentials: dict[str, str], deadline_s: float = 90.0) -> None:
        kafka = KafkaSettings(
            kafka_bootstrap_servers=self.infrastructure.bootstrap_servers,
            kafka_topic_partitions=self.config.partitions,
            kafka_topic_prefix=self.config.prefix,
        )
        await ensure_topics(kafka)
        await ensure_topics(kafka, [changelog_topic(self.config.prefix, self.app_id)], compact=True)
        self.stack.credentials = credentials
        await self.stack.start_services(deadline_s)
        for number in range(2, self.config.signals_workers + 1):
            port = free_port()
            env = {**self.stack.service_env(), "SIGNALS_WEB_PORT": str(port)}
            worker = self.stack._spawn(
                f"signals-{number}", [sys.executable, "-m", "services.signals"], env
            )
            await self.stack.wait_ready(worker, f"http://127.0.0.1:{port}/readyz", deadline_s)
            self.signals_ports.append(port)

    def children(self) -> list[Child]:
        return list(self.stack.children)

    def processes(self) -> dict[str, list[psutil.Process]]:
        found: dict[str, list[psutil.Process]] = {}
        for child in self.stack.children:
            with contextlib.suppress(psutil.NoSuchProcess):
                found[child.name] = [psutil.Process(child.process.pid)]
        return found

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each service process, by name."""
        sizes = {}
        for child in self.stack.children:
            try:
                sizes[child.name] = psutil.Process(child.process.pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return sizes

    def stop(self) -> None:
        self.stack.stop()


class CpuMeter:
    """CPU seconds (user + system) used by each named group of processes.

    Read before and after a measurement, it says where the machine's two cores went:
    to the services, the broker, PostgreSQL, or the bench's own load generator.
    PostgreSQL's backends come and go, so its server's children are looked up at each
    reading; every other group is the processes it was given (the bench's own children
    are the services, counted under their names).
    """

    WITH_CHILDREN = ("postgres",)
    CLIENT = "bench client"

    def __init__(self, groups: dict[str, list[psutil.Process]]):
        self.groups = {name: processes for name, processes in groups.items() if processes}
        self.groups[self.CLIENT] = [psutil.Process(os.getpid())]

    def read(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far, by group and pid."""
        used: dict[str, dict[int, float]] = {}
        for name, processes in self.groups.items():
            per_pid: dict[int, float] = {}
            for root in processes:
                with contextlib.suppress(psutil.NoSuchProcess):
                    children = root.children(recursive=True) if name in self.WITH_CHILDREN else []
                    for process in [root, *children]:
                        with contextlib.suppress(psutil.NoSuchProcess):
                            times = process.cpu_times()
                            per_pid[process.pid] = times.user + times.system
            used[name] = per_pid
        return used

    @staticmethod
    def seconds(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        """CPU seconds each group used between two readings."""
        used = {}
        for name, per_pid in after.items():
            earlier = before.get(name, {})
            used[name] = sum(cpu - earlier.get(pid, 0.0) for pid, cpu in per_pid.items())
        return used

    @classmethod
    def shares(
        cls, before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], wall_s: float
    ) -> dict[str, float]:
        """Percent of one core each group used between two readings."""
        return {
            name: round(100 * seconds / max(wall_s, 1e-6), 1)
            for name, seconds in cls.seconds(before, after).items()
        }

    @classmethod
    def per_event(
        cls, before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], events: int
    ) -> dict[str, float]:
        """CPU microseconds per event of each group, and `total` of all but the bench's
        own load generator (what a deployment would pay)."""
        used = cls.seconds(before, after)
        per = {name: round(1e6 * seconds / max(events, 1), 1) for name, seconds in used.items()}
        per["total"] = round(sum(v for k, v in per.items() if k != cls.CLIENT), 1)
        return per


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)$")


async def scrape(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    """Prometheus text at `url`/metrics as {name{labels}: value}."""
    response = await client.get(f"{url}/metrics")
    values: dict[str, float] = {}
    for line in response.text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            values[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return values


def total(metrics: dict[str, float], name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    result = 0.0
    for key, value in metrics.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(f'{k}="{v}"' in rest for k, v in labels.items()):
            result += value
    return result
