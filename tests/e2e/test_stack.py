"""The stack as a user starts it (`moments run`), driven like a user: curl-style posts,
an SSE and a WebSocket subscriber, and the desktop page in a real headless Chromium."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import websockets

from tests.e2e.stack import RunningStack, as_agent, cancellation, chromium, post, shown_customer
from tests.harness import eventually


async def first_on_sse(stack: RunningStack, customer: str) -> dict[str, Any]:
    """The first recommendation for `customer` on the dev agent's SSE stream."""
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream(
            "GET",
            f"{stack.actions}/v1/desktop/stream",
            headers={"Authorization": f"Bearer {stack.token}"},
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                data = json.loads(line[5:])
                if data.get("customer_id") == customer and "action" in data:
                    return data
    raise AssertionError("the stream ended")


def test_stack_starts_within_a_minute_and_prints_the_token_only_in_a_fragment(
    stack: RunningStack,
) -> None:
    assert stack.startup_seconds < 60
    assert set(stack.credentials) >= {"ingest_api_key", "agent_token", "agent_queues"}
    assert "retention" in stack.credentials["agent_queues"]
    printed = stack.launcher_log()
    assert f"/desktop#token={stack.token}" in printed
    assert f"?token={stack.token}" not in printed


async def test_cancellation_reaches_sse_and_websocket_subscribers(stack: RunningStack) -> None:
    customer = shown_customer("e2e")
    ws_url = stack.actions.replace("http", "ws", 1) + f"/v1/desktop/ws?access_token={stack.token}"
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
        await post(stack, cancellation(stack, customer))
        from_sse = await asyncio.wait_for(sse_task, 30)

        async def from_ws() -> dict[str, Any] | None:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            return message if message.get("customer_id") == customer else None

        ws_message = await eventually(from_ws, 30, "the recommendation on the WebSocket")
    assert from_sse["id"] == ws_message["id"]
    assert from_sse["why"]["signals"][0]["type"] == "cancellation_risk"
    assert any("cancel" in reason for reason in from_sse["why"]["reasons"])
    assert from_sse["action"]["code"] == "retention.ask_what_changed"


async def test_desktop_page_shows_recommendation_live_and_accepting_stores_it(
    stack: RunningStack,
) -> None:
    customer = shown_customer("page")
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{stack.actions}/desktop#token={stack.token}")
        await page.wait_for_selector("#status.live", timeout=15_000)
        await page.locator("#to-queue").click()  # if a call elsewhere popped a cockpit
        await post(stack, cancellation(stack, customer))
        await page.get_by_role("button", name=re.compile("^Show (it|them)$")).click(timeout=30_000)
        group = page.locator(f"li.group[data-customer='{customer}']")
        while not await group.count():  # the newest waits longest to come up: last page
            await page.get_by_role("button", name="Next").click()
        assert "Ask what has changed" in await group.inner_text()
        assert "Asked to cancel broadband on ivr" in await group.inner_text()
        await group.get_by_role("button", name=f"Open {customer}").click()
        await page.locator("#guide-say").wait_for()
        assert "ask gently whether something" in await page.locator("#guide-say").inner_text()
        await page.get_by_role("button", name="It costs too much").click()
        await page.get_by_role("button", name="Takes the better price").click()
        await page.get_by_role("button", name="Record: accepted").click()
        await page.get_by_text("Nothing to recommend right now").wait_for(timeout=10_000)
    body = await as_agent(stack, f"/v1/customers/{customer}/recommendations")
    assert [r["status"] for r in body["recent"]] == ["accepted"]
    assert body["open"] == []
    view = await as_agent(stack, f"/v1/customers/{customer}")
    outcome = next(e for e in view["timeline"] if e["kind"] == "outcome")
    # The path walked through the action's guide, ended at its leaf.
    assert outcome["outcome"] == "accepted"
    assert outcome["path"] == [
        {"step": "ask", "answer": "It costs too much"},
        {"step": "price", "answer": "Takes the better price"},
        {"step": "kept", "answer": None},
    ]
