"""The operations page: `/ops` (HTML and its ES modules under `/ops/static/`) and the
document it polls, `GET /v1/ops/dashboard` (operator credential).

The page is static; everything it shows comes from the ops feed of the replica that
answers (consumers/ops_feed.py), computed on each request (domain/dashboard.py).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.actions.consumers.ops_feed import OpsFeed
from services.actions.routes.deps import OperatorDep, runtime_of
from services.actions.routes.reports import OPERATOR_ONLY
from services.plumbing.problems import Problem, not_ready

router = APIRouter()
STATIC = resources.files("services.actions") / "static"
ASSETS = {"ops.js", "charts.js", "uplift.js", "ops.css"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def ops_feed(request: Request) -> OpsFeed:
    feed: OpsFeed | None = runtime_of(request).ops_feed
    if feed is None:
        raise not_ready("the ops feed has not started")
    return feed


@router.get(
    "/v1/ops/dashboard",
    summary="What the operations page draws: rates, latency, lag, dead letters, alerts",
    responses=OPERATOR_ONLY,  # type: ignore[arg-type]
    tags=["operations"],
)
async def dashboard(
    operator: OperatorDep, feed: Annotated[OpsFeed, Depends(ops_feed)]
) -> dict[str, Any]:
    return feed.view()


@router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
async def ops_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "ops.html").read_text())


@router.get("/ops/static/{name}", include_in_schema=False)
async def ops_asset(name: str) -> Response:
    if name not in ASSETS:  # a fixed list: nothing else under static/ is served from here
        raise Problem(404, "Not found", f"no asset {name}")
    suffix = name[name.rindex(".") :]
    return Response(
        (STATIC / "ops" / name).read_text(),
        media_type=TYPES[suffix],
        headers={"Cache-Control": "no-cache"},
    )
