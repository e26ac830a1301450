"""The agent's live streams (SSE and WebSocket): recommendations and screen-pops.

Both streams follow the agent's recommendations from the last position the desktop saw
(SSE `Last-Event-ID`, or `?last_event_id=` for a new EventSource; WebSocket `last_seq`;
see adapters/push.py): a reconnect gets everything it missed, in order, exactly once,
however much that is. Between them come `customer` events: the customers the agent is on
a call with when the stream opens, then each change of them (consumers/screen_pop.py).
A stream is opened with a ticket (routes/tickets.py), a Bearer header, or, for old
clients, `?access_token=`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from sse_starlette.sse import EventSourceResponse

from schemas.customers import CustomerRecord
from services.actions.adapters.push import DesktopHub, DesktopItem, follow
from services.actions.adapters.repository import Repository
from services.actions.domain.cockpit import still_live
from services.actions.domain.desktop import Agent, StoredRecommendation, origin_allowed
from services.actions.routes.deps import runtime_of
from services.actions.routes.tickets import StreamAgentDep, agent_for_stream
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


def customer_entry(record: CustomerRecord, agent: Agent) -> dict[str, Any]:
    """A screen-pop: the customer's record, and whether this agent is on the call now."""
    contact = record.live_contact
    on_call = contact is not None and contact.agent_id == agent.id
    return {**record.model_dump(mode="json"), "on_call": on_call}


def resume_point(value: str | int | None) -> int:
    if isinstance(value, int):
        return max(value, 0)
    return int(value) if value and value.isdigit() else 0


def stream(request: Request | WebSocket, agent: Agent, after: int) -> AsyncGenerator[DesktopItem]:
    runtime = runtime_of(request)
    store: Repository | None = runtime.repository
    if store is None:
        raise Problem(503, "Not ready", "database not connected")
    customers = runtime.customers

    async def live() -> list[CustomerRecord]:
        if customers is None:
            return []
        now = datetime.now(UTC)
        return [r for r in await customers.on_live_contact_with(agent.id) if still_live(r, now)]

    return follow(
        store,
        runtime.hub,
        agent,
        after,
        clock=lambda: datetime.now(UTC),
        poll_s=runtime.settings.actions_desktop_poll_s,
        live=live,
    )


@router.get("/v1/desktop/stream", summary="Live recommendations and screen-pops (SSE)")
async def desktop_stream(
    request: Request,
    agent: StreamAgentDep,
    last_event_id: Annotated[str | None, Header()] = None,
    resume_after: Annotated[
        str | None,
        Query(
            alias="last_event_id",
            description="For a new EventSource, which cannot set Last-Event-ID: resume here.",
        ),
    ] = None,
) -> EventSourceResponse:
    hub = runtime_of(request).hub
    items = stream(request, agent, resume_point(last_event_id or resume_after))

    async def events() -> AsyncIterator[dict[str, Any]]:
        async with contextlib.aclosing(items):
            async for item in items:
                if isinstance(item, CustomerRecord):
                    # No id: a desktop resumes by recommendation position only.
                    yield {"event": "customer", "data": json.dumps(customer_entry(item, agent))}
                    continue
                yield {
                    "id": str(item.position),
                    "event": "recommendation",
                    "data": json.dumps(entry(item, hub)),
                }

    return EventSourceResponse(events(), ping=15)


@router.websocket("/v1/desktop/ws")
async def desktop_ws(
    websocket: WebSocket,
    access_token: str | None = None,
    ticket: str | None = None,
    last_seq: int = 0,
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
        authorization = websocket.headers.get("authorization")
        agent = await agent_for_stream(websocket, authorization, ticket, access_token)
    except Problem as problem:
        await websocket.close(code=4401 if problem.status == 401 else 1013, reason=problem.detail)
        return
    await websocket.accept()
    items = stream(websocket, agent, resume_point(last_seq))
    # The desktop sends nothing we need, but reading is how a disconnect is noticed.
    receiver = asyncio.create_task(websocket.receive_text())
    sender = asyncio.create_task(_send_all(websocket, items, runtime.hub, agent))
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
    websocket: WebSocket, items: AsyncGenerator[DesktopItem], hub: DesktopHub, agent: Agent
) -> None:
    async with contextlib.aclosing(items):
        async for item in items:
            if isinstance(item, CustomerRecord):
                await websocket.send_json({"type": "customer", **customer_entry(item, agent)})
            else:
                await websocket.send_json({"type": "recommendation", **entry(item, hub)})
