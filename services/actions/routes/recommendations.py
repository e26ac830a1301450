"""Outcomes of recommendations, and a customer's recommendations for a screen pop."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from schemas.recommendations import Outcome, OutcomeRequest
from services.actions.domain.decisioning.scripts import PathInvalid
from services.actions.domain.desktop import may_see
from services.actions.handlers import RecommendationUnknown
from services.actions.routes.deps import ActionsDep, AgentDep, RepositoryDep
from services.actions.routes.desktop import entry
from services.plumbing.problems import Problem

router = APIRouter()


class CustomerRecommendations(BaseModel):
    customer_id: str
    open: list[dict[str, Any]] = Field(description="Open and unexpired, newest first.")
    recent: list[dict[str, Any]] = Field(description="All recent ones with their status.")


@router.post(
    "/v1/recommendations/{recommendation_id}/outcome",
    status_code=201,
    response_model=Outcome,
    summary="Record what was done with a recommendation",
)
async def post_outcome(
    recommendation_id: str, body: OutcomeRequest, agent: AgentDep, actions: ActionsDep
) -> Outcome:
    stored = await actions.repository.get(recommendation_id)
    # One answer for "no such id", "not yours" and "held out", so nothing can be probed.
    if stored is None or not may_see(agent, stored.recommendation):
        raise Problem(404, "Not found", f"no recommendation {recommendation_id} for you")
    try:
        return await actions.record_outcome(recommendation_id, body, agent)
    except RecommendationUnknown:
        raise Problem(404, "Not found", f"no recommendation {recommendation_id}") from None
    except PathInvalid as invalid:  # the path does not follow the recommendation's guide
        raise Problem(
            422,
            "Invalid path",
            str(invalid),
            errors=[{"field": invalid.field, "reason": invalid.reason}],
        ) from None


@router.get(
    "/v1/customers/{customer_id}/recommendations",
    response_model=CustomerRecommendations,
    summary="A customer's open and recent recommendations (screen pop)",
)
async def customer_recommendations(
    customer_id: str, agent: AgentDep, store: RepositoryDep, actions: ActionsDep
) -> CustomerRecommendations:
    stored = [s for s in await store.for_customer(customer_id) if may_see(agent, s.recommendation)]
    now = actions.clock()
    open_ = [entry(s) for s in stored if s.status == "open" and s.recommendation.expires_at > now]
    return CustomerRecommendations(
        customer_id=customer_id, open=open_, recent=[entry(s) for s in stored]
    )
