"""The uplift report for operators: `GET /v1/reports/uplift` (JSON) and `/reports/uplift`
(the page, which reads the JSON with the operator's token).

The figures come from PostgreSQL (adapters/reports.py) and the statistics from
domain/uplift.py; the bootstrap runs in a worker thread so streams keep flowing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from schemas.reports import UpliftReport
from services.actions.adapters.reports import ReportStore
from services.actions.domain.uplift import MIN_GROUP_SIZE, uplift_report
from services.actions.routes.deps import OperatorDep, runtime_of
from services.plumbing.problems import not_ready

router = APIRouter()
OPERATOR_ONLY = {
    401: {"description": "No operator token, or an unknown or revoked one (a problem document)"},
    503: {"description": "The database is not connected yet"},
}


def report_store(request: Request) -> ReportStore:
    store: ReportStore | None = runtime_of(request).reports
    if store is None:
        raise not_ready("database not connected")
    return store


@router.get(
    "/v1/reports/uplift",
    summary="Treated customers against the holdout, with confidence intervals",
    response_model=UpliftReport,
    responses=OPERATOR_ONLY,  # type: ignore[arg-type]
    tags=["reports"],
)
async def uplift(
    operator: OperatorDep,
    store: Annotated[ReportStore, Depends(report_store)],
    min_group_size: Annotated[
        int, Query(ge=2, description="Fewer customers in a group: not enough data yet")
    ] = MIN_GROUP_SIZE,
) -> UpliftReport:
    customers = await store.decided_customers()
    return await asyncio.to_thread(
        uplift_report, customers, datetime.now(UTC), 0.95, min_group_size
    )


@router.get("/reports/uplift", response_class=HTMLResponse, include_in_schema=False)
async def uplift_page() -> HTMLResponse:
    page = resources.files("services.actions") / "static" / "uplift.html"
    return HTMLResponse(page.read_text())
