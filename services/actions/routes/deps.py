"""What the routes depend on: the runtime's adapters and the calling agent.

The runtime lives on `app.state.runtime` (set by `app.create_app`), so routers stay
importable and testable with any app that provides one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from starlette.requests import HTTPConnection

from services.actions.adapters.people import People
from services.actions.adapters.repository import Repository
from services.actions.domain.desktop import Agent
from services.actions.handlers import Actions
from services.actions.runtime import Runtime
from services.plumbing.credentials import bearer_token, credential_missing
from services.plumbing.problems import Problem, not_ready


def runtime_of(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def repository(request: Request) -> Repository:
    store = runtime_of(request).repository
    if store is None:
        raise not_ready("database not connected")
    return store


def people(connection: HTTPConnection) -> People:
    found = runtime_of(connection).people
    if found is None:
        raise not_ready("database not connected")
    return found


def actions(request: Request) -> Actions:
    handler = runtime_of(request).actions
    if handler is None:
        raise not_ready("actions not started")
    return handler


async def agent_for_token(store: People, token: str | None) -> Agent:
    if not token:
        raise credential_missing("agent token")
    agent = await store.agent_by_token(token)
    if agent is None:
        raise Problem(401, "Unauthorized", "unknown or revoked agent token")
    return agent


async def current_agent(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    access_token: Annotated[
        str | None, Query(description="For EventSource, which cannot send headers")
    ] = None,
) -> Agent:
    return await agent_for_token(people(request), bearer_token(authorization) or access_token)


async def current_operator(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The operator's id, from `Authorization: Bearer <operator token>`."""
    token = bearer_token(authorization)
    if not token:
        raise credential_missing("operator token")
    operator = await people(request).operator_by_token(token)
    if operator is None:
        raise Problem(401, "Unauthorized", "unknown or revoked operator token")
    return operator


AgentDep = Annotated[Agent, Depends(current_agent)]
OperatorDep = Annotated[str, Depends(current_operator)]
RepositoryDep = Annotated[Repository, Depends(repository)]
ActionsDep = Annotated[Actions, Depends(actions)]
