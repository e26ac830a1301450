"""What customers did with recommendations that channels sent them: `POST /v1/outcomes`.

Channels (email, SMS, push) post with their own API key (ingest's keys, with an allowed
type matching `outcome`). The outcome is stored and published to `outcomes` like an
agent's, which is where actions learns from it. Re-posting the same `id` is harmless.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from schemas.recommendations import ChannelOutcomeRequest, Outcome
from services.actions.handlers import RecommendationUnknown
from services.actions.routes.deps import ActionsDep, bearer_token, runtime_of
from services.plumbing.api_keys import ApiKey, type_allowed
from services.plumbing.credentials import credential_missing
from services.plumbing.problems import Problem, not_ready

# A channel key may post outcomes when one of its type patterns matches this.
OUTCOME_TYPE = "outcome"

router = APIRouter()


async def channel_key(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> ApiKey:
    keys = runtime_of(request).channel_keys
    if keys is None:
        raise not_ready("database not connected")
    token = bearer_token(authorization)
    if not token:
        raise credential_missing("channel API key")
    key = await keys.find(token)
    if key is None:
        raise Problem(401, "Unauthorized", "unknown or revoked API key")
    if not type_allowed(key, OUTCOME_TYPE):
        raise Problem(403, "Forbidden", "this key may not post outcomes (needs type 'outcome')")
    return key


ChannelKeyDep = Annotated[ApiKey, Depends(channel_key)]


@router.post(
    "/v1/outcomes",
    status_code=201,
    response_model=Outcome,
    summary="Report what a customer did with a recommendation a channel sent them",
)
async def post_channel_outcome(
    body: ChannelOutcomeRequest, key: ChannelKeyDep, actions: ActionsDep
) -> Outcome:
    try:
        return await actions.record_channel_outcome(body, key.id)
    except RecommendationUnknown:
        # one answer for unknown and held-out ids, so none can be probed
        raise Problem(404, "Not found", f"no recommendation {body.recommendation_id}") from None
