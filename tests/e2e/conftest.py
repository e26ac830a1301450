"""One stack for the end-to-end tier: `moments run --no-demo` as a user starts it, on
free ports and a temporary MOMENTS_HOME. Stopping it with Ctrl-C (SIGINT) must leave none
of its processes running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from moments.processes import free_port, poll, start_process
from tests.e2e.stack import RunningStack, running


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("moments-home")
    ports = {name: free_port() for name in ("INGEST_PORT", "ACTIONS_PORT", "SIGNALS_WEB_PORT")}
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    env.update({k: str(v) for k, v in ports.items()})
    env.update(MOMENTS_HOME=str(home), MOMENTS_BROKER_PORT=str(free_port()))
    log = (home / "launcher.log").open("wb")
    started = time.monotonic()
    process = start_process([sys.executable, "-m", "moments", "run", "--no-demo"], log, env)
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
