"""`GET /v1/customers/{id}`: one customer as the agent's cockpit shows them.

Profile, relationship health with its reasons and trend, the live contact, a timeline
(moments, signals with their evidence, outcomes of earlier recommendations) and the open
recommendations, the best first. Scoped like every customer read (domain/cockpit.py): a
customer the agent may not see answers the same 404 as one that does not exist.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from schemas.cockpit import CustomerView
from services.actions.domain.cockpit import customer_view
from services.actions.routes.deps import AgentDep, runtime_of
from services.plumbing.problems import Problem, ProblemResponse, not_ready

router = APIRouter()


@router.get(
    "/v1/customers/{customer_id}",
    response_model=CustomerView,
    summary="One customer for the cockpit: profile, health, timeline, open recommendations",
    responses={404: {"model": ProblemResponse, "description": "Unknown, or not yours"}},
)
async def get_customer(customer_id: str, agent: AgentDep, request: Request) -> CustomerView:
    runtime = runtime_of(request)
    store, customers, history = runtime.repository, runtime.customers, runtime.history
    if store is None or customers is None or history is None:
        raise not_ready("database not connected")
    record, recommendations, signals, outcomes = await asyncio.gather(
        customers.get(customer_id),
        store.for_customer(customer_id),
        history.signals(customer_id),
        history.outcomes(customer_id),
    )
    view = customer_view(
        agent, customer_id, record, recommendations, signals, outcomes, datetime.now(UTC)
    )
    if view is None:
        raise Problem(404, "Not found", f"no customer {customer_id} for you")
    return view
