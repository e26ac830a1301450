"""One RFC 7807 problem document for every service, and the handlers that render it.

Raise `Problem(status, title, detail, errors=..., headers=...)` anywhere below a route;
`install_problem_handlers(app)` renders it, FastAPI's own validation and HTTP errors, and
any unexpected exception as `application/problem+json` with the same shape:
`{type, title, status, detail, errors?}`, where each error names a `field` and a `reason`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://small-moments.dev/problems/"


@dataclass
class Problem(Exception):
    """An RFC 7807 problem: rendered as application/problem+json."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    accepted: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.title.lower().replace(" ", "-"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


class ProblemError(BaseModel):
    field: str = Field(description="Path of the offending field, e.g. [3].data.channel.")
    reason: str = Field(description="Why it was refused, in plain words.")
    index: int | None = Field(default=None, description="Position in the batch.")
    status: int | None = Field(default=None, description="Status for this item alone.")


class ProblemResponse(BaseModel):
    """The shape of every error answer, on every service (RFC 7807)."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status.")
    detail: str = Field(description="What went wrong with this request.")
    errors: list[ProblemError] | None = Field(
        default=None, description="Each offending field with its reason."
    )


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def not_ready(detail: str) -> Problem:
    return Problem(503, "Not ready", detail, headers={"Retry-After": "1"})


def install_problem_handlers(app: FastAPI) -> None:
    """Render Problem, validation errors, HTTP errors and anything unexpected as RFC 7807."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, problem: Problem) -> JSONResponse:
        return problem_response(problem)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem_response(Problem(422, "Invalid parameters", detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            Problem(
                error.status_code,
                "HTTP error",
                str(error.detail),
                headers=dict(error.headers or {}),
            )
        )
