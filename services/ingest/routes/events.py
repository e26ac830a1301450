"""`POST /v1/events`: channel systems' CloudEvents in, the accepted ids out.

Decode nothing here: authenticate the key, read the body within its limit, and hand the
request's parts to `handlers.Ingest.submit`, all inside the request deadline (a stalled
database or broker is a 503, never a hung request).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.ingest.openapi import EVENTS_ERRORS, EVENTS_REQUEST
from services.ingest.routes.deps import FrontDoorDep, authenticated_key, deadline, read_body

router = APIRouter()


class AcceptedResponse(BaseModel):
    accepted: list[str] = Field(description="Ids of the events the broker acknowledged.")
    rejected: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Batch only: events refused, each with index, field, reason and status.",
    )


@router.post(
    "/v1/events",
    status_code=202,
    response_model=AcceptedResponse,
    responses=EVENTS_ERRORS,
    summary="Send one event or a batch",
    openapi_extra=EVENTS_REQUEST,
)
async def post_events(
    request: Request,
    door: FrontDoorDep,
    atomic: Annotated[
        bool, Query(description="Batch only: reject the whole batch if any event is invalid")
    ] = False,
) -> AcceptedResponse:
    settings = door.settings
    async with deadline(settings.ingest_request_timeout_s):
        key = await authenticated_key(request, door)  # inside: a stalled database is a 503
        body = await read_body(request, settings.ingest_max_body_bytes)
        result = await door.ingest.submit(
            key, request.headers.get("content-type"), dict(request.headers), body, atomic
        )
    return AcceptedResponse(accepted=result.accepted, rejected=result.rejected)
