"""`GET /v1/customers/{id}/next-best-action`: what actions would decide now, and why.

For a desktop (or anything holding an agent token) that asks instead of listening: the
ranked candidates with their scores, the winners per channel and the explanation in
plain words, from the customer's open issues and history. Nothing is published or
stored. An agent may ask about the customers it may see (`domain.cockpit.
may_see_customer`, the rule every customer read shares); anyone else (and an unknown
customer) answers the same 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from schemas.decisions import NextBestAction
from services.actions.domain.cockpit import may_see_customer
from services.actions.routes.deps import ActionsDep, AgentDep, RepositoryDep, runtime_of
from services.plumbing.problems import Problem

router = APIRouter()


@router.get(
    "/v1/customers/{customer_id}/next-best-action",
    response_model=NextBestAction,
    summary="The next best action for a customer now: candidates, winners, explanation",
)
async def next_best_action(
    customer_id: str, request: Request, agent: AgentDep, store: RepositoryDep, actions: ActionsDep
) -> NextBestAction:
    customers = runtime_of(request).customers
    record = await customers.get(customer_id) if customers is not None else None
    recommendations = await store.for_customer(customer_id)
    if not may_see_customer(agent, record, recommendations, actions.clock()):
        raise Problem(404, "Not found", f"no customer {customer_id} for you")
    return await actions.next_best_action(customer_id)
