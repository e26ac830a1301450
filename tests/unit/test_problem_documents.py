"""One problem-document dialect on every service: ingest, signals and actions built
in-process (nothing connected: ASGI transport, no lifespan) answer an unknown path, and
ingest a bad query parameter, with the same RFC 7807 shape from plumbing/problems.py."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from services.actions.app import create_app as actions_app
from services.actions.settings import Settings as ActionsSettings
from services.ingest.app import create_app as ingest_app
from services.ingest.settings import Settings as IngestSettings
from services.plumbing.problems import PROBLEM_JSON
from services.signals.app import create_app as signals_app
from services.signals.settings import Settings as SignalsSettings

UNUSED_DB = "postgresql://unused/unused"
APPS: dict[str, Callable[[], FastAPI]] = {
    "ingest": lambda: ingest_app(IngestSettings(database_url=UNUSED_DB)),
    "signals": lambda: signals_app(SignalsSettings()),
    "actions": lambda: actions_app(
        ActionsSettings(database_url=UNUSED_DB, actions_id_secret="unit-test-secret")
    ),
}


async def answer(app: FastAPI, method: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.request(method, path)


@pytest.mark.parametrize("service", sorted(APPS))
async def test_every_service_answers_an_unknown_path_with_the_one_problem_shape(
    service: str,
) -> None:
    response = await answer(APPS[service](), "GET", "/no/such/path")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "https://small-moments.dev/problems/http-error",
        "title": "HTTP error",
        "status": 404,
        "detail": "Not Found",
    }


async def test_a_bad_query_parameter_is_a_422_naming_the_parameter() -> None:
    response = await answer(APPS["ingest"](), "POST", "/v1/events?atomic=perhaps")

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert (problem["type"], problem["title"], problem["status"]) == (
        "https://small-moments.dev/problems/invalid-parameters",
        "Invalid parameters",
        422,
    )
    [error] = problem["errors"]
    assert error["field"] == "query.atomic"
    assert problem["detail"] == f"query.atomic: {error['reason']}"
