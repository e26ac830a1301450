"""Stream tickets: how a browser opens a desktop stream without its token in the URL.

EventSource cannot send an Authorization header, so a page used to put the agent's
long-lived token in the stream's query string, where proxies, logs and the browser's
history keep it. Instead the page posts its token (in the header) to
`POST /v1/desktop/tickets` and opens the stream with `?ticket=`: a ticket is good for one
connection within `ACTIONS_STREAM_TICKET_S` and is worthless after. `?access_token=`
still works for old clients.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from services.actions.domain.desktop import Agent
from services.actions.routes.deps import agent_for_token, bearer_token, people, runtime_of
from services.plumbing.problems import Problem, not_ready

router = APIRouter()


class AgentShown(BaseModel):
    id: str = Field(description="The agent's id.")
    name: str | None = Field(default=None, description="The agent's display name.")
    queues: list[str] = Field(description="The queues the agent's desktop follows.")


class TicketIssued(BaseModel):
    ticket: str = Field(description="Pass as `?ticket=` to the SSE or WebSocket stream, once.")
    expires_at: datetime = Field(description="Unused after this, it is refused.")
    head: int = Field(
        description=(
            "The newest desktop position now. A fresh stream first sends what is open and "
            "unexpired at or below it (the queue as it stands), then what is new."
        )
    )
    agent: AgentShown = Field(description="Whose ticket it is, for the page's header.")


@router.post(
    "/v1/desktop/tickets",
    status_code=201,
    response_model=TicketIssued,
    summary="A short-lived ticket to open one desktop stream (for EventSource)",
)
async def issue_ticket(
    request: Request, response: Response, authorization: Annotated[str | None, Header()] = None
) -> TicketIssued:
    # The header only: a ticket exists so that the token need not travel in a URL.
    agent = await agent_for_token(people(request), bearer_token(authorization))
    runtime = runtime_of(request)
    if runtime.tickets is None or runtime.repository is None:
        raise not_ready("database not connected")
    issued = await runtime.tickets.issue(agent)
    response.headers["Cache-Control"] = "no-store"
    return TicketIssued(
        ticket=issued.ticket,
        expires_at=issued.expires_at,
        head=await runtime.repository.desktop_head(),
        agent=AgentShown(id=agent.id, name=agent.name, queues=list(agent.queues)),
    )


async def agent_for_stream(
    connection: HTTPConnection,
    authorization: str | None,
    ticket: str | None,
    access_token: str | None,
) -> Agent:
    """Who opens this stream: by ticket (spent now), else by Bearer header or the old
    `access_token` query parameter."""
    if ticket:
        tickets = runtime_of(connection).tickets
        if tickets is None:
            raise not_ready("database not connected")
        agent = await tickets.spend(ticket)
        if agent is None:
            raise Problem(
                401,
                "Unauthorized",
                "unknown, spent or expired stream ticket: get one from POST /v1/desktop/tickets",
            )
        return agent
    return await agent_for_token(people(connection), bearer_token(authorization) or access_token)


async def stream_agent(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    ticket: Annotated[
        str | None, Query(description="A stream ticket from POST /v1/desktop/tickets.")
    ] = None,
    access_token: Annotated[
        str | None,
        Query(description="Old clients: the agent token itself. Use a ticket.", deprecated=True),
    ] = None,
) -> Agent:
    return await agent_for_stream(request, authorization, ticket, access_token)


StreamAgentDep = Annotated[Agent, Depends(stream_agent)]
