"""Erasure of a customer by an operator: `DELETE /v1/customers/{id}`, and its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.actions.erasure import CustomerErasure
from services.actions.routes.deps import OperatorDep, runtime_of
from services.plumbing.problems import Problem, not_ready

router = APIRouter(tags=["erasure"])


def erasure(request: Request) -> CustomerErasure:
    found = runtime_of(request).erasure
    if found is None:
        raise not_ready("actions not started")
    return found


ErasureDep = Annotated[CustomerErasure, Depends(erasure)]


@router.delete(
    "/v1/customers/{customer_id}",
    status_code=202,
    summary="Erase a customer (operator credential)",
    description=(
        "Deletes the customer's signals, recommendations, outcomes and record from "
        "PostgreSQL at once, and asks signals to forget their state. The answer is the "
        "erasure record: who asked, when and how many rows went, never what they held. "
        "`state` goes from `requested` to `published` to `done` (signals confirmed)."
    ),
)
async def erase_customer(
    customer_id: str, operator: OperatorDep, erasures: ErasureDep
) -> dict[str, Any]:
    return (await erasures.request(customer_id, operator)).public()


@router.get("/v1/erasures/{erasure_id}", summary="An erasure's progress (operator credential)")
async def erasure_progress(erasure_id: str, _: OperatorDep, erasures: ErasureDep) -> dict[str, Any]:
    found = await erasures.store.get(erasure_id)
    if found is None:
        raise Problem(404, "Not found", f"no erasure {erasure_id}")
    return found.public()
