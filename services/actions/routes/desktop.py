"""The agent's live streams (SSE and WebSocket) and the `/desktop` page.

Both streams follow the agent's recommendations from the last position the desktop saw
(SSE `Last-Event-ID`, WebSocket `last_seq`; see adapters/push.py): a reconnect gets
everything it missed, in order, exactly once, however much that is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from sse_starlette.sse import EventSourceResponse

from services.actions.adapters.push import DesktopHub, follow
from services.actions.adapters.repository import Repository
from services.actions.domain.desktop import Agent, StoredRecommendation, origin_allowed
from services.actions.routes.deps import AgentDep, agent_for_token, bearer_token, runtime_of
from services.plumbing.problems import Problem

router = APIRouter()


def entry(stored: StoredRecommendation, hub: DesktopHub | None = None) -> dict[str, Any]:
    """What a desktop receives: `seq` is the position to resume from (the desktop position;
    the store's insert order for recommendations no desktop shows)."""
    rec = stored.recommendation
    body: dict[str, Any] = {
        "seq": stored.seq if stored.position is None else stored.position,
        "status": stored.status,
        **rec.model_dump(mode="json"),
    }
    if hub is not None and (trace := hub.trace(rec.id)) is not None:
        body["trace"] = {**trace, "moments_sent_at": str(int(datetime.now(UTC).timestamp() * 1000))}
    return body


def resume_point(value: str | int | None) -> int:
    if isinstance(value, int):
        return max(value, 0)
    return int(value) if value and value.isdigit() else 0


def stream(
    request: Request | WebSocket, agent: Agent, after: int
) -> AsyncGenerator[StoredRecommendation]:
    runtime = runtime_of(request)
    store: Repository | None = runtime.repository
    if store is None:
        raise Problem(503, "Not ready", "database not connected")
    return follow(
        store,
        runtime.hub,
        agent,
        after,
        clock=lambda: datetime.now(UTC),
        poll_s=runtime.settings.actions_desktop_poll_s,
    )


@router.get("/v1/desktop/stream", summary="Live recommendations (Server-Sent Events)")
async def desktop_stream(
    request: Request,
    agent: AgentDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    hub = runtime_of(request).hub
    recommendations = stream(request, agent, resume_point(last_event_id))

    async def events() -> AsyncIterator[dict[str, Any]]:
        async with contextlib.aclosing(recommendations):
            async for stored in recommendations:
                yield {
                    "id": str(stored.position),
                    "event": "recommendation",
                    "data": json.dumps(entry(stored, hub)),
                }

    return EventSourceResponse(events(), ping=15)


@router.websocket("/v1/desktop/ws")
async def desktop_ws(
    websocket: WebSocket, access_token: str | None = None, last_seq: int = 0
) -> None:
    runtime = runtime_of(websocket)
    store = runtime.repository
    origin = websocket.headers.get("origin")
    if not origin_allowed(
        origin, websocket.headers.get("host"), runtime.settings.actions_allowed_origins
    ):
        await websocket.close(code=1008, reason=f"origin {origin} is not allowed")
        return
    try:
        if store is None or runtime.people is None:
            raise Problem(503, "Not ready", "database not connected")
        agent = await agent_for_token(
            runtime.people, bearer_token(websocket.headers.get("authorization")) or access_token
        )
    except Problem as problem:
        await websocket.close(code=4401 if problem.status == 401 else 1013, reason=problem.detail)
        return
    await websocket.accept()
    recommendations = stream(websocket, agent, resume_point(last_seq))
    # The desktop sends nothing we need, but reading is how a disconnect is noticed.
    receiver = asyncio.create_task(websocket.receive_text())
    sender = asyncio.create_task(_send_all(websocket, recommendations, runtime.hub))
    try:
        while True:
            done, _ = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender in done:
                sender.result()
                return
            receiver.result()  # raises WebSocketDisconnect when the desktop left
            receiver = asyncio.create_task(websocket.receive_text())
    except WebSocketDisconnect:
        return
    finally:
        for task in (receiver, sender):
            task.cancel()
        await asyncio.gather(receiver, sender, return_exceptions=True)


async def _send_all(
    websocket: WebSocket, recommendations: AsyncGenerator[StoredRecommendation], hub: DesktopHub
) -> None:
    async with contextlib.aclosing(recommendations):
        async for stored in recommendations:
            await websocket.send_json({"type": "recommendation", **entry(stored, hub)})


@router.get("/desktop", response_class=HTMLResponse, summary="The agent's desktop page")
async def desktop_page() -> HTMLResponse:
    page = resources.files("services.actions") / "static" / "desktop.html"
    return HTMLResponse(page.read_text())
