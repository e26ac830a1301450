"""One RFC 7807 problem document for every service, and the handlers that render it.

Raise `Problem(status, title, detail, errors=..., headers=...)` anywhere below a route;
`install_problem_handlers(app)` renders it, FastAPI's own validation and HTTP errors, and
any unexpected exception as `application/problem+json` with the same shape:
`{type, title, status, detail, errors?}`, where each error names a `field` and a `reason`.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


MAY_HAVE_BEEN_STORED = "it may have been stored; re-send with the same id (ids make it safe)"


class TracebackLog:
    """Logs a traceback once per cause (exception type and where it was raised) per
    `every_s`, then how many repeats it kept quiet: an outage must not write one
    traceback per request."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.every_s, self.clock = every_s, clock
        self._last: dict[tuple[str, str], float] = {}
        self._quiet: dict[tuple[str, str], int] = {}

    @staticmethod
    def cause(error: BaseException) -> tuple[str, str]:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        return type(error).__name__, where

    def log(self, message: str, error: BaseException) -> bool:
        """Log `error` with its traceback unless its cause was logged lately; True if logged."""
        cause, now = self.cause(error), self.clock()
        last = self._last.get(cause)
        if last is not None and now - last < self.every_s:
            self._quiet[cause] = self._quiet.get(cause, 0) + 1
            return False
        self._last[cause] = now
        quiet = self._quiet.pop(cause, 0)
        suffix = f" ({quiet} more like it since the last report)" if quiet else ""
        log.error("%s%s", message, suffix, exc_info=error)
        return True


def unexpected_problem(error: BaseException) -> Problem:
    """503 for a fault of the world (database or broker away), else a plain 500."""
    from services.plumbing.consuming import is_transient  # consuming is the heavier module

    if is_transient(error):
        return Problem(
            503,
            "Service unavailable",
            f"a dependency (database or broker) did not answer; {MAY_HAVE_BEEN_STORED}",
            headers={"Retry-After": "2"},
        )
    return Problem(500, "Internal error", "an unexpected error; it has been logged")


class UnexpectedErrors:
    """ASGI middleware: an exception no route handled becomes a problem document, and its
    traceback is logged once per cause, not once per request."""

    def __init__(self, app: ASGIApp, tracebacks: TracebackLog | None = None):
        self.app = app
        self.tracebacks = tracebacks or TracebackLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            problem = unexpected_problem(error)
            self.tracebacks.log(f"{scope.get('path')}: answered {problem.status}", error)
            if started:  # too late for a problem document; the client sees a cut response
                return
            await problem_response(problem)(scope, receive, send)


def not_ready(detail: str) -> Problem:
    return Problem(503, "Not ready", detail, headers={"Retry-After": "1"})


def install_problem_handlers(app: FastAPI) -> None:
    """Render Problem, validation errors, HTTP errors and anything unexpected as RFC 7807."""

    app.add_middleware(UnexpectedErrors)

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
