"""actions' entrypoint: the `signals` consumer, the desktop hub and the HTTP surface.

`create_app(settings)` builds the FastAPI app. Its lifespan connects PostgreSQL and Kafka,
publishes anything a previous run left unpublished, then runs two loops: `signals` ->
decide -> store -> publish (offsets committed after), and `recommendations.desktop` ->
live desktops. HTTP: SSE and WebSocket streams, outcomes, a customer's recommendations,
and the `/desktop` page.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import Histogram
from pydantic import BaseModel, Field, ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.events import FieldProblem
from schemas.recommendations import Outcome, OutcomeRequest, Recommendation
from schemas.signals import Signal
from services.actions.adapters.push import Delivery, DesktopHub
from services.actions.adapters.repository import Agent, Repository, StoredRecommendation
from services.actions.domain.catalogue import load_catalogue
from services.actions.domain.policy import ContactPolicy
from services.actions.handlers import SEQ_HEADER, Actions, RecommendationUnknown
from services.actions.settings import Settings
from services.plumbing.database import create_pool, database_reachable, wait_for_database
from services.plumbing.http import add_operations_routes
from services.plumbing.kafka import (
    INGESTED_AT_HEADER,
    broker_reachable,
    dead_letter_headers,
    make_consumer,
    make_producer,
    wait_for_broker,
)
from services.plumbing.logs import configure_logging
from services.plumbing.metrics import OpsReporter
from services.plumbing.topics import Topics

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
PUSH_SECONDS = Histogram(
    "moments_actions_event_to_push_seconds",
    "From ingest's acceptance to the desktop hub",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None):
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


class CustomerRecommendations(BaseModel):
    customer_id: str
    open: list[dict[str, Any]] = Field(description="Open and unexpired, newest first.")
    recent: list[dict[str, Any]] = Field(description="All recent ones with their status.")


def _entry(stored: StoredRecommendation) -> dict[str, Any]:
    return {
        "seq": stored.seq,
        "status": stored.status,
        **stored.recommendation.model_dump(mode="json"),
    }


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = Topics(settings.kafka_topic_prefix)
        self.catalogue = load_catalogue(settings.actions_catalogue)
        self.policy = ContactPolicy(
            settings.actions_max_per_customer_per_day,
            settings.actions_holdout_percent,
            settings.actions_holdout_salt,
        )
        self.hub = DesktopHub()
        self.producer = make_producer(settings)
        self.pool: Any = None
        self.repository: Repository | None = None
        self.actions: Actions | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.consuming_signals = asyncio.Event()
        self.feeding_desktops = asyncio.Event()

    async def start(self) -> None:
        settings = self.settings
        await wait_for_database(settings.database_url)
        self.pool = await create_pool(settings.database_url, settings.database_pool_max)
        self.repository = Repository(self.pool)
        await wait_for_broker(settings.kafka_bootstrap_servers)
        await self.producer.start()
        self.actions = Actions(
            self.repository, self.producer, self.topics, self.catalogue, self.policy
        )
        await self.actions.relay()  # what a previous run stored but did not publish
        self.tasks = [
            asyncio.create_task(self._consume_signals()),
            asyncio.create_task(self._feed_desktops()),
        ]
        self.ops = OpsReporter(
            lambda: self.producer, self.topics.ops_metrics, "actions", settings.ops_interval_s
        )
        self.ops.start()

    async def _consume_signals(self) -> None:
        assert self.actions is not None
        consumer = make_consumer(
            self.settings, self.topics.signals, group_id=self.settings.actions_group
        )
        await consumer.start()
        self.consuming_signals.set()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                if not batches:
                    continue
                readable = []
                for messages in batches.values():
                    for message in messages:
                        signal = await self._read_signal(message.value, list(message.headers))
                        if signal is not None:
                            readable.append((signal, list(message.headers)))
                await self._decide(readable)
                # Offsets only after every recommendation of the batch is stored and sent.
                await consumer.commit({tp: m[-1].offset + 1 for tp, m in batches.items()})
        finally:
            self.consuming_signals.clear()
            await consumer.stop()

    async def _read_signal(
        self, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> Signal | None:
        try:
            return Signal.model_validate_json(value or b"")
        except ValidationError as error:
            # Kept with its reason, never dropped: the DLQ is where refused messages go.
            log.error("unreadable signal dead-lettered: %s", error)
            problems = [
                FieldProblem(field=".".join(map(str, e["loc"])) or "(signal)", reason=e["msg"])
                for e in error.errors(include_url=False)
            ]
            await self.producer.send_and_wait(
                self.topics.interactions_dlq,
                value or b"",
                headers=dead_letter_headers(headers, problems, "actions"),
            )
            return None

    async def _decide(self, batch: list[tuple[Signal, list[tuple[str, bytes]]]]) -> None:
        assert self.actions is not None
        while batch:
            try:
                await self.actions.on_signals(batch)
                return
            except (OSError, TimeoutError, KafkaError, asyncpg.PostgresConnectionError) as error:
                # Database or broker away: retry the same batch, never skip it. What was
                # stored before the failure is found again and relayed by on_signals.
                log.warning("retrying %d signals: %s", len(batch), error)
                await asyncio.sleep(1.0)

    async def _feed_desktops(self) -> None:
        # No group: every replica reads every recommendation, from now on (earlier ones
        # are served from PostgreSQL when a desktop connects or resumes).
        consumer: AIOKafkaConsumer = make_consumer(
            self.settings,
            self.topics.recommendations("desktop"),
            group_id=None,
            auto_offset_reset="latest",
            fetch_max_wait_ms=10,
        )
        await consumer.start()
        self.feeding_desktops.set()
        try:
            async for message in consumer:
                headers = dict(message.headers)
                try:
                    rec = Recommendation.model_validate_json(message.value or b"")
                    seq = int(headers[SEQ_HEADER])
                except (ValidationError, KeyError, ValueError):
                    log.error("unreadable desktop recommendation skipped")
                    continue
                now_ms = time.time() * 1000
                pushed = {k: v.decode() for k, v in headers.items() if k.startswith("moments_")}
                pushed["moments_pushed_at"] = str(int(now_ms))
                if INGESTED_AT_HEADER in headers:
                    PUSH_SECONDS.observe(max(0.0, now_ms - int(headers[INGESTED_AT_HEADER])) / 1000)
                self.hub.publish(Delivery(seq, rec, pushed))
        finally:
            self.feeding_desktops.clear()
            await consumer.stop()

    async def stop(self) -> None:
        if hasattr(self, "ops"):
            await self.ops.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.producer.stop()
        if self.pool is not None:
            await self.pool.close()

    async def ready(self) -> dict[str, bool]:
        broker = await broker_reachable(self.producer)
        database = self.pool is not None and await database_reachable(self.pool)
        return {
            "broker": broker,
            "database": database,
            "consuming_signals": self.consuming_signals.is_set(),
            "feeding_desktops": self.feeding_desktops.is_set(),
        }


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Small Moments actions",
        version="1.0",
        description="Next best actions for agents' desktops, and what came of them.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    def repository() -> Repository:
        if runtime.repository is None:
            raise ApiProblem(503, "Not ready", "database not connected", {"Retry-After": "1"})
        return runtime.repository

    async def token_agent(token: str | None) -> Agent:
        if not token:
            raise ApiProblem(
                401,
                "Unauthorized",
                "send Authorization: Bearer <agent token>",
                {"WWW-Authenticate": "Bearer"},
            )
        agent = await repository().agent_by_token(token)
        if agent is None:
            raise ApiProblem(401, "Unauthorized", "unknown or revoked agent token")
        return agent

    async def current_agent(
        authorization: Annotated[str | None, Header()] = None,
        access_token: Annotated[
            str | None, Query(description="For EventSource, which cannot send headers")
        ] = None,
    ) -> Agent:
        token = access_token
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        return await token_agent(token)

    AgentDep = Annotated[Agent, Depends(current_agent)]

    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, problem: ApiProblem) -> JSONResponse:
        return _problem(problem.status, problem.title, problem.detail, problem.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return _problem(422, "Invalid request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return _problem(error.status_code, "HTTP error", str(error.detail))

    async def backlog(agent: Agent, after: int) -> list[StoredRecommendation]:
        return await repository().for_desktop(agent, after, datetime.now(UTC))

    @app.get("/v1/desktop/stream", summary="Live recommendations (Server-Sent Events)")
    async def desktop_stream(
        request: Request,
        agent: AgentDep,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> EventSourceResponse:
        after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

        async def events() -> AsyncIterator[dict[str, Any]]:
            async with runtime.hub.subscribe(agent) as queue:
                sent = after
                for stored in await backlog(agent, after):
                    sent = max(sent, stored.seq)
                    yield {
                        "id": str(stored.seq),
                        "event": "recommendation",
                        "data": json.dumps(_entry(stored)),
                    }
                while True:
                    delivery = await queue.get()
                    if delivery.seq <= sent:
                        continue
                    sent = delivery.seq
                    body = {
                        "seq": delivery.seq,
                        "status": "open",
                        **delivery.recommendation.model_dump(mode="json"),
                        "trace": delivery.pushed_headers,
                    }
                    yield {
                        "id": str(delivery.seq),
                        "event": "recommendation",
                        "data": json.dumps(body),
                    }

        return EventSourceResponse(events(), ping=15)

    @app.websocket("/v1/desktop/ws")
    async def desktop_ws(
        websocket: WebSocket,
        access_token: str | None = None,
        last_seq: int = 0,
    ) -> None:
        header = websocket.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else access_token
        try:
            agent = await token_agent(token)
        except ApiProblem as problem:
            await websocket.close(code=4401, reason=problem.detail)
            return
        await websocket.accept()
        try:
            async with runtime.hub.subscribe(agent) as queue:
                sent = last_seq
                for stored in await backlog(agent, last_seq):
                    sent = max(sent, stored.seq)
                    await websocket.send_json({"type": "recommendation", **_entry(stored)})
                receiver = asyncio.create_task(websocket.receive_text())
                while True:
                    getter = asyncio.create_task(queue.get())
                    done, _ = await asyncio.wait(
                        {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if receiver in done:
                        getter.cancel()
                        receiver.result()  # raises WebSocketDisconnect when the desktop left
                        receiver = asyncio.create_task(websocket.receive_text())
                        continue
                    delivery = getter.result()
                    if delivery.seq <= sent:
                        continue
                    sent = delivery.seq
                    await websocket.send_json(
                        {
                            "type": "recommendation",
                            "seq": delivery.seq,
                            "status": "open",
                            **delivery.recommendation.model_dump(mode="json"),
                            "trace": delivery.pushed_headers,
                        }
                    )
        except WebSocketDisconnect:
            return

    @app.post(
        "/v1/recommendations/{recommendation_id}/outcome",
        status_code=201,
        response_model=Outcome,
        summary="Record what was done with a recommendation",
    )
    async def post_outcome(
        recommendation_id: str, body: OutcomeRequest, agent: AgentDep
    ) -> Outcome:
        if runtime.actions is None:
            raise ApiProblem(503, "Not ready", "actions not started", {"Retry-After": "1"})
        try:
            return await runtime.actions.record_outcome(recommendation_id, body, agent)
        except RecommendationUnknown:
            raise ApiProblem(404, "Not found", f"no recommendation {recommendation_id}") from None

    @app.get(
        "/v1/customers/{customer_id}/recommendations",
        response_model=CustomerRecommendations,
        summary="A customer's open and recent recommendations (screen pop)",
    )
    async def customer_recommendations(
        customer_id: str, agent: AgentDep
    ) -> CustomerRecommendations:
        stored = await repository().for_customer(customer_id)
        now = datetime.now(UTC)
        open_ = [
            _entry(s) for s in stored if s.status == "open" and s.recommendation.expires_at > now
        ]
        return CustomerRecommendations(
            customer_id=customer_id, open=open_, recent=[_entry(s) for s in stored]
        )

    @app.get("/desktop", response_class=HTMLResponse, summary="The agent's desktop page")
    async def desktop_page() -> HTMLResponse:
        page = resources.files("services.actions") / "static" / "desktop.html"
        return HTMLResponse(page.read_text())

    add_operations_routes(app, runtime.ready)
    return app


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("actions", settings.log_level, settings.log_json)
    return create_app(settings)
