"""What the end-to-end tests share: the running stack, events as a channel sends them,
and a headless Debian Chromium (never a downloaded browser) that loads only the stack."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from playwright.async_api import Browser, async_playwright

from moments.processes import free_port, poll, start_process
from services.actions.domain.policy import in_holdout

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOLDOUT_PERCENT, HOLDOUT_SALT = 5.0, "moments-holdout-v1"  # the defaults `moments run` uses
ROOT = Path(__file__).parents[2]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    home: Path
    credentials: dict[str, Any]
    ingest: str
    actions: str
    startup_seconds: float

    @property
    def token(self) -> str:
        return str(self.credentials["agent_token"])

    @property
    def agent_id(self) -> str:
        return str(self.credentials["agent_id"])

    def launcher_log(self) -> str:
        return (self.home / "launcher.log").read_text(errors="replace")


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie lingers where pid 1 does not reap)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def shown_customer(label: str) -> str:
    """A fresh customer id outside the holdout group, so its recommendations are shown."""
    while in_holdout(customer := f"{label}-{uuid.uuid4().hex[:8]}", HOLDOUT_PERCENT, HOLDOUT_SALT):
        pass
    return customer


def event(
    stack: RunningStack,
    customer: str,
    type_: str,
    data: dict[str, Any],
    days_ago: float | None = None,
) -> dict[str, Any]:
    """A CloudEvent from the dev channel key's source; no `time` means now (ingest's)."""
    built: dict[str, Any] = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"{stack.credentials['source_prefix']}/telephony/ivr-eu",
        "type": type_,
        "subject": customer,
        "datacontenttype": "application/json",
        "data": data,
    }
    if days_ago is not None:
        built["time"] = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    return built


def cancellation(stack: RunningStack, customer: str) -> dict[str, Any]:
    return event(
        stack,
        customer,
        "cancellation.requested",
        {"channel": "ivr", "product": "broadband", "reason": "price"},
    )


def call_started(stack: RunningStack, customer: str, queue: str = "retention") -> dict[str, Any]:
    return event(
        stack,
        customer,
        "contact.started",
        {"channel": "voice", "agent_id": stack.agent_id, "queue": queue},
    )


def call_ended(stack: RunningStack, customer: str) -> dict[str, Any]:
    return event(stack, customer, "contact.ended", {"channel": "voice", "outcome": "resolved"})


@asynccontextmanager
async def hanging_up(stack: RunningStack, customer: str) -> AsyncIterator[None]:
    """Ends the dev agent's call with `customer` when the block ends, so the next page
    that opens does not find this customer still on the line (and pop up)."""
    try:
        yield
    finally:
        await post(stack, call_ended(stack, customer))


def history(stack: RunningStack, customer: str, name: str, vulnerable: bool = False) -> list[Any]:
    """A year-old customer with a profile, a complaint 10 days ago and an unresolved call."""
    profile = {
        "name": name,
        "segment": "consumer",
        "value_tier": "high",
        "preferred_channel": "voice",
        "vulnerable": vulnerable,
        "consents": {"service_contact": True, "marketing": False, "profiling": True},
    }
    return [
        event(stack, customer, "profile.updated", profile, days_ago=365),
        event(
            stack,
            customer,
            "complaint.filed",
            {"channel": "email", "category": "billing", "severity": "high"},
            days_ago=10,
        ),
        event(
            stack,
            customer,
            "contact.ended",
            {"channel": "voice", "outcome": "unresolved", "reason": "billing"},
            days_ago=3,
        ),
    ]


async def post(stack: RunningStack, *events: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.ingest) as client:
        one = len(events) == 1
        response = await client.post(
            "/v1/events",
            content=json.dumps(events[0] if one else list(events)),
            headers={
                "Authorization": f"Bearer {stack.credentials['ingest_api_key']}",
                "Content-Type": "application/cloudevents+json"
                if one
                else "application/cloudevents-batch+json",
            },
        )
    assert response.status_code == 202, response.text
    return response


async def as_agent(stack: RunningStack, path: str) -> Any:
    async with httpx.AsyncClient(base_url=stack.actions) as client:
        response = await client.get(path, headers={"Authorization": f"Bearer {stack.token}"})
    assert response.status_code == 200, response.text
    return response.json()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def npm_package(name: str, file: str) -> Path:
    """A file of an npm package that `make` installs into .moments/npm (MOMENTS_NPM_PREFIX
    names another place, e.g. a shared checkout's)."""
    prefix = Path(os.environ.get("MOMENTS_NPM_PREFIX", ROOT / ".moments" / "npm"))
    path = prefix / "node_modules" / name / file
    assert path.is_file(), f"{path} is missing: `make test-e2e` installs {name}"
    return path


def launched(home: Path, *arguments: str) -> Iterator[RunningStack]:
    """`moments run` with `arguments` on free ports under `home`, until the caller is done;
    then Ctrl-C, and nothing it started may still run (a frozen process is thawed first,
    as it could not stop when asked to)."""
    ports = {name: free_port() for name in ("INGEST_PORT", "ACTIONS_PORT", "SIGNALS_WEB_PORT")}
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    env.update({k: str(v) for k, v in ports.items()})
    env.update(MOMENTS_HOME=str(home), MOMENTS_BROKER_PORT=str(free_port()))
    log = (home / "launcher.log").open("wb")
    started = time.monotonic()
    process = start_process([sys.executable, "-m", "moments", "run", *arguments], log, env)
    try:

        async def says_it_is_running() -> bool:
            if process.poll() is not None:
                raise AssertionError((home / "launcher.log").read_text(errors="replace"))
            return b"Small Moments is running" in (home / "launcher.log").read_bytes()

        asyncio.run(poll(says_it_is_running, 90, "moments run to be ready", every_s=0.1))
        credentials = json.loads((home / "dev-credentials.json").read_text())
        yield RunningStack(
            process,
            home,
            credentials,
            f"http://127.0.0.1:{ports['INGEST_PORT']}",
            f"http://127.0.0.1:{ports['ACTIONS_PORT']}",
            time.monotonic() - started,
        )
    finally:
        descendants = psutil.Process(process.pid).children(recursive=True)
        for child in descendants:
            if running(child.pid) and child.status() == psutil.STATUS_STOPPED:
                child.send_signal(signal.SIGCONT)
        postmaster = home / "postgres" / "postmaster.pid"
        pg_pid = int(postmaster.read_text().split()[0]) if postmaster.exists() else None
        process.send_signal(signal.SIGINT)
        code = process.wait(60)
        log.close()
        alive = [p for p in descendants if running(p.pid)]
        assert code == 0, (home / "launcher.log").read_text(errors="replace")
        assert not alive, f"still running after Ctrl-C: {[p.cmdline() for p in alive]}"
        assert {"broker", "ingest", "signals", "actions"} <= {
            Path(p).stem for p in os.listdir(home / "logs")
        }
        assert pg_pid is not None and not running(pg_pid)
