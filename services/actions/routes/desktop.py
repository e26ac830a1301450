"""The agent's live streams (SSE and WebSocket) and the `/desktop` page.

A stream first replays what the store holds for the agent after the resume point, then
forwards live deliveries from the hub.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from sse_starlette.sse import EventSourceResponse

from services.actions.adapters.push import Delivery
from services.actions.adapters.repository import Repository
from services.actions.domain.desktop import Agent, StoredRecommendation
from services.actions.routes.deps import AgentDep, agent_for_token, bearer_token, runtime_of
from services.plumbing.problems import Problem

router = APIRouter()


def entry(stored: StoredRecommendation) -> dict[str, Any]:
    return {
        "seq": stored.seq,
        "status": stored.status,
        **stored.recommendation.model_dump(mode="json"),
    }


def live_entry(delivery: Delivery) -> dict[str, Any]:
    return {
        "seq": delivery.seq,
        "status": "open",
        **delivery.recommendation.model_dump(mode="json"),
        "trace": delivery.pushed_headers,
    }


async def backlog(store: Repository, agent: Agent, after: int) -> list[StoredRecommendation]:
    return await store.for_desktop(agent, after, datetime.now(UTC))


@router.get("/v1/desktop/stream", summary="Live recommendations (Server-Sent Events)")
async def desktop_stream(
    request: Request,
    agent: AgentDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    runtime = runtime_of(request)
    store = runtime.repository
    assert store is not None  # the agent was found in it
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def events() -> AsyncIterator[dict[str, Any]]:
        async with runtime.hub.subscribe(agent) as queue:
            sent = after
            for stored in await backlog(store, agent, after):
                sent = max(sent, stored.seq)
                yield {
                    "id": str(stored.seq),
                    "event": "recommendation",
                    "data": json.dumps(entry(stored)),
                }
            while True:
                delivery = await queue.get()
                if delivery.seq <= sent:
                    continue
                sent = delivery.seq
                yield {
                    "id": str(delivery.seq),
                    "event": "recommendation",
                    "data": json.dumps(live_entry(delivery)),
                }

    return EventSourceResponse(events(), ping=15)


@router.websocket("/v1/desktop/ws")
async def desktop_ws(
    websocket: WebSocket, access_token: str | None = None, last_seq: int = 0
) -> None:
    runtime = runtime_of(websocket)
    store = runtime.repository
    try:
        if store is None:
            raise Problem(503, "Not ready", "database not connected")
        agent = await agent_for_token(
            store, bearer_token(websocket.headers.get("authorization")) or access_token
        )
    except Problem as problem:
        await websocket.close(code=4401 if problem.status == 401 else 1013, reason=problem.detail)
        return
    await websocket.accept()
    try:
        async with runtime.hub.subscribe(agent) as queue:
            sent = last_seq
            for stored in await backlog(store, agent, last_seq):
                sent = max(sent, stored.seq)
                await websocket.send_json({"type": "recommendation", **entry(stored)})
            receiver = asyncio.create_task(websocket.receive_text())
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                if receiver in done:
                    getter.cancel()
                    receiver.result()  # raises WebSocketDisconnect when the desktop left
                    receiver = asyncio.create_task(websocket.receive_text())
                    continue
                delivery = getter.result()
                if delivery.seq <= sent:
                    continue
                sent = delivery.seq
                await websocket.send_json({"type": "recommendation", **live_entry(delivery)})
    except WebSocketDisconnect:
        return


@router.get("/desktop", response_class=HTMLResponse, summary="The agent's desktop page")
async def desktop_page() -> HTMLResponse:
    page = resources.files("services.actions") / "static" / "desktop.html"
    return HTMLResponse(page.read_text())
