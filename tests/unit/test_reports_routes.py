"""The uplift report and ops routes in-process (httpx's ASGI transport), with fakes for
the store, the operators and the ops feed: who may read them, what they answer, and
that the pages load nothing from outside the stack."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib import resources
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from schemas.reports import UpliftReport, Verdict
from services.actions.domain.uplift import DecidedCustomer
from services.actions.routes import ops, reports
from services.plumbing.problems import install_problem_handlers

OPERATOR_TOKEN = "smo_test-operator"


class FakePeople:
    async def operator_by_token(self, token: str) -> str | None:
        return "ops-1" if token == OPERATOR_TOKEN else None


class FakeReports:
    def __init__(self, customers: list[DecidedCustomer]):
        self.customers = customers

    async def decided_customers(self) -> list[DecidedCustomer]:
        return self.customers


class FakeFeed:
    def view(self) -> dict[str, Any]:
        return {"alerts": [{"code": "consumer_stopped", "subject": "moments-signals"}]}


def decided(action: str, treated: int, held: int, retained_treated: float) -> list[DecidedCustomer]:
    made = []
    for i in range(treated + held):
        holdout = i >= treated
        share = 0.7 if holdout else retained_treated
        index = i - treated if holdout else i
        size = held if holdout else treated
        made.append(
            DecidedCustomer(
                f"c{i}", action, holdout, index < share * size, i % 10 == 0, i % 5 == 0, 60.0
            )
        )
    return made


def app_with(runtime: Any) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(reports.router)
    app.include_router(ops.router)
    app.state.runtime = runtime
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    customers = decided("retention.ask_what_changed", 2000, 400, 0.9) + decided(
        "care.thank_you", 50, 5, 0.7
    )
    runtime = SimpleNamespace(
        people=FakePeople(), reports=FakeReports(customers), ops_feed=FakeFeed()
    )
    transport = httpx.ASGITransport(app=app_with(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://actions") as made:
        yield made


def operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.mark.parametrize("path", ["/v1/reports/uplift", "/v1/ops/dashboard"])
async def test_reports_need_an_operator_token(client: httpx.AsyncClient, path: str) -> None:
    missing = await client.get(path)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "operator token" in missing.json()["detail"]
    wrong = await client.get(path, headers={"Authorization": "Bearer smo_guess"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "unknown or revoked operator token"


async def test_the_uplift_report_answers_with_intervals_per_action(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/reports/uplift", headers=operator())
    assert response.status_code == 200
    report = UpliftReport.model_validate(response.json())
    assert (report.overall.treated, report.overall.holdout) == (2050, 405)
    assert [a.action_code for a in report.actions] == [
        "retention.ask_what_changed",
        "care.thank_you",
    ]
    retention = {c.metric: c for c in report.actions[0].comparisons}
    assert retention["retained"].difference == pytest.approx(0.2)
    assert retention["retained"].verdict is Verdict.effect_shown
    assert retention["retained"].always_valid is not None
    assert retention["retained"].always_valid.low > 0
    small = {c.metric: c for c in report.actions[1].comparisons}
    assert small["retained"].verdict is Verdict.not_enough_data
    assert "5 held-out customers" in small["retained"].summary


async def test_the_minimum_group_size_can_be_lowered_for_a_first_look(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/reports/uplift?min_group_size=5", headers=operator())
    small = response.json()["actions"][1]["comparisons"][0]
    assert response.json()["min_group_size"] == 5
    assert small["verdict"] != "not_enough_data"
    refused = await client.get("/v1/reports/uplift?min_group_size=1", headers=operator())
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"


async def test_without_a_database_the_report_is_not_ready() -> None:
    runtime = SimpleNamespace(people=FakePeople(), reports=None, ops_feed=None)
    transport = httpx.ASGITransport(app=app_with(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://actions") as client:
        report = await client.get("/v1/reports/uplift", headers=operator())
        board = await client.get("/v1/ops/dashboard", headers=operator())
    assert report.status_code == board.status_code == 503
    assert report.json()["detail"] == "database not connected"
    assert report.headers["retry-after"] == "1"


async def test_the_dashboard_is_the_feeds_view(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/ops/dashboard", headers=operator())
    assert response.status_code == 200
    assert response.json()["alerts"][0]["subject"] == "moments-signals"


async def test_the_pages_and_their_modules_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/ops")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script type="module" src="/ops/static/ops.js">' in page.text
    module = await client.get("/ops/static/ops.js")
    assert module.headers["content-type"].startswith("text/javascript")
    assert 'import { barChart, columnChart, format, lineChart } from "./charts.js"' in module.text
    assert "text/css" in (await client.get("/ops/static/ops.css")).headers["content-type"]
    report = await client.get("/reports/uplift")
    assert 'from "/ops/static/uplift.js"' in report.text
    for path in ("/ops/static/desktop.html", "/ops/static/..%2Fops.html", "/ops/static/x.js"):
        assert (await client.get(path)).status_code == 404


def test_the_pages_load_nothing_from_outside_the_stack() -> None:
    static = resources.files("services.actions") / "static"
    files = [static / "ops.html", static / "uplift.html"] + [
        static / "ops" / name for name in sorted(ops.ASSETS)
    ]
    for file in files:
        text = file.read_text()
        urls = set(re.findall(r"https?://[^\s\"'`)]+", text)) - {"http://www.w3.org/2000/svg"}
        assert urls == set(), f"{file.name} refers to {urls}"
        assert not re.search(r"""(src|href)=["']//""", text), file.name
