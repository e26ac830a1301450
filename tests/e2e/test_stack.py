"""The stack as a user starts it (`moments run`), driven like a user: curl-style posts,
an SSE and a WebSocket subscriber, and the desktop page in a real headless Chromium.

One launcher for the module, on free ports and a temporary MOMENTS_HOME; stopping it
with Ctrl-C (SIGINT) must leave none of its processes running.
"""

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import websockets
from playwright.async_api import async_playwright

from moments.processes import free_port, start_process
from services.actions.domain.policy import in_holdout
from tests.harness import eventually

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOLDOUT_PERCENT, HOLDOUT_SALT = 5.0, "moments-holdout-v1"  # the defaults `moments run` uses


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    home: Path
    credentials: dict[str, Any]
    ingest: str
    actions: str
    startup_seconds: float


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


@pytest.fixture(scope="module")
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
        deadline = started + 90
        while b"Small Moments is running" not in (home / "launcher.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((home / "launcher.log").read_text(errors="replace"))
            time.sleep(0.1)
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


def cancellation(customer: str, source: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"{source}/telephony/ivr-eu",
        "type": "cancellation.requested",
        "subject": customer,
        "time": "2026-11-23T10:15:00Z",
        "datacontenttype": "application/json",
        "data": {"channel": "ivr", "product": "broadband", "reason": "price"},
    }


async def post(stack: RunningStack, event: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.ingest) as client:
        return await client.post(
            "/v1/events",
            content=json.dumps(event),
            headers={
                "Authorization": f"Bearer {stack.credentials['ingest_api_key']}",
                "Content-Type": "application/cloudevents+json",
            },
        )


async def first_on_sse(stack: RunningStack, customer: str) -> dict[str, Any]:
    """The first recommendation for `customer` on the dev agent's SSE stream."""
    token = stack.credentials["agent_token"]
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream(
            "GET",
            f"{stack.actions}/v1/desktop/stream",
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                data = json.loads(line[5:])
                if data["customer_id"] == customer:
                    return data
    raise AssertionError("the stream ended")


def test_stack_starts_within_a_minute(stack: RunningStack) -> None:
    assert stack.startup_seconds < 60
    assert set(stack.credentials) >= {"ingest_api_key", "agent_token", "agent_queues"}
    assert "retention" in stack.credentials["agent_queues"]


async def test_cancellation_reaches_sse_and_websocket_subscribers(stack: RunningStack) -> None:
    customer = shown_customer("e2e")
    token = stack.credentials["agent_token"]
    ws_url = stack.actions.replace("http", "ws", 1) + f"/v1/desktop/ws?access_token={token}"
    sse_task = asyncio.create_task(first_on_sse(stack, customer))
    async with websockets.connect(ws_url) as ws:
        await asyncio.sleep(0)  # let the SSE request go out before the event is posted

        async def subscribed() -> bool:
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"{stack.actions}/metrics")).text
            line = next(
                x
                for x in metrics.splitlines()
                if x.startswith("moments_actions_desktop_subscribers ")
            )
            return float(line.split()[1]) >= 2

        await eventually(subscribed, 10, "both desktops subscribed")
        response = await post(stack, cancellation(customer, stack.credentials["source_prefix"]))
        assert response.status_code == 202
        from_sse = await asyncio.wait_for(sse_task, 30)

        async def from_ws() -> dict[str, Any] | None:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            return message if message["customer_id"] == customer else None

        ws_message = await eventually(from_ws, 30, "the recommendation on the WebSocket")
    assert from_sse["id"] == ws_message["id"]
    assert from_sse["why"]["signals"][0]["type"] == "cancellation_risk"
    assert any("cancel" in reason for reason in from_sse["why"]["reasons"])
    assert from_sse["action"]["code"] == "retention.ask_what_changed"


async def test_desktop_page_shows_recommendation_live_and_accepting_stores_it(
    stack: RunningStack, tmp_path: Path
) -> None:
    customer = shown_customer("page")
    token = stack.credentials["agent_token"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{stack.actions}/desktop?token={token}")
            await page.wait_for_selector("#status.live", timeout=15_000)
            response = await post(stack, cancellation(customer, stack.credentials["source_prefix"]))
            assert response.status_code == 202
            card = page.locator(f"article.card[data-customer='{customer}']")
            await card.wait_for(timeout=30_000)
            assert "Ask what has changed" in await card.inner_text()
            assert "Asked to cancel broadband on ivr" in await card.inner_text()
            await page.screenshot(path=str(tmp_path / "desktop.png"))
            await card.get_by_role("button", name="Accept").click()
            await card.locator(".outcome").wait_for(timeout=10_000)
            assert await card.locator(".outcome").inner_text() == "Accepted"
        finally:
            await browser.close()
    async with httpx.AsyncClient(base_url=stack.actions) as client:
        body = (
            await client.get(
                f"/v1/customers/{customer}/recommendations",
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
    assert [r["status"] for r in body["recent"]] == ["accepted"]
    assert body["open"] == []
