"""ingest's HTTP entrypoint (FastAPI): decode, authenticate, hand on to `handlers.Ingest`.

`create_app(settings)` builds the app; its lifespan connects PostgreSQL and Kafka, starts
the `interactions.raw` gate and the ops reporter, and closes them all on shutdown. Tests
pass fakes through `create_app(settings, ingest=..., keys=...)`.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Protocol

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, Field

from schemas.topics import Topics
from services.ingest.adapters.keys import KeyStore
from services.ingest.adapters.publisher import BrokerUnavailable, EventPublisher
from services.ingest.domain.access import ApiKey
from services.ingest.domain.decoding import BATCH, STRUCTURED
from services.ingest.domain.rate_limit import RateLimits
from services.ingest.handlers import Ingest
from services.ingest.settings import Settings
from services.plumbing.consuming import supervise
from services.plumbing.database import (
    create_pool,
    database_reachable,
    wait_for_database,
    wait_for_schema,
)
from services.plumbing.docs import serve_docs
from services.plumbing.http import add_operations_routes
from services.plumbing.kafka import broker_reachable, make_consumer, make_producer
from services.plumbing.logs import configure_logging
from services.plumbing.metrics import OpsReporter
from services.plumbing.problems import (
    MAY_HAVE_BEEN_STORED,
    PROBLEM_JSON,
    Problem,
    ProblemResponse,
    install_problem_handlers,
)

log = logging.getLogger(__name__)


class KeyFinder(Protocol):
    async def find(self, secret: str) -> ApiKey | None: ...


class AcceptedResponse(BaseModel):
    accepted: list[str] = Field(description="Ids of the events the broker acknowledged.")
    rejected: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Batch only: events refused, each with index, field, reason and status.",
    )


_EXAMPLE = {
    "specversion": "1.0",
    "id": "ivr-7f3a",
    "source": "/channels/telephony/ivr-eu",
    "type": "cancellation.requested",
    "subject": "cust-1042",
    "time": "2026-11-23T10:15:00Z",
    "datacontenttype": "application/json",
    "data": {"channel": "ivr", "product": "broadband", "reason": "price"},
}
_EVENT_SCHEMA = {"type": "object", "description": "A CloudEvent 1.0 (see schemas/json)."}
_PROBLEMS = {
    status: {"model": ProblemResponse, "description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in {
        400: "Bad JSON or invalid events; errors name each field path and reason",
        401: "Missing, unknown or revoked API key",
        403: "The key may not publish this type or source",
        413: "Body or batch over the limit",
        415: "Unsupported content type",
        422: "Bad query parameter",
        429: "Rate limit exceeded; see Retry-After",
        503: "Broker or database unavailable or slow; the events may have been stored:"
        " re-send them with the same ids after Retry-After",
    }.items()
}


@asynccontextmanager
async def _deadline(seconds: float) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise Problem(
            503,
            "Timed out",
            f"the request took longer than {seconds}s; {MAY_HAVE_BEEN_STORED}",
            headers={"Retry-After": "2"},
        ) from None


class Runtime:
    """What the lifespan connects; `ready()` answers /readyz."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.topics = Topics(settings.kafka_topic_prefix)
        self.pool: Any = None
        self.publisher = EventPublisher(
            make_producer(settings),
            self.topics.interactions,
            self.topics.interactions_dlq,
            settings.ingest_broker_timeout_s,
        )
        self.ingest = Ingest(
            self.publisher,
            RateLimits(settings.ingest_rate_per_source, settings.ingest_rate_burst),
            settings.ingest_max_batch_events,
        )
        self.keys: KeyFinder | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()

    async def _connect_producer(self) -> None:
        """Keep trying to reach the broker; ingest answers 503 until it does."""
        while True:
            try:
                await self.publisher.producer.start()
                self.publisher.started = True
                self.connected.set()
                log.info("connected to broker %s", self.settings.kafka_bootstrap_servers)
                return
            except Exception as error:
                log.warning("broker not reachable yet: %s", error)
                with contextlib.suppress(Exception):
                    await self.publisher.producer.stop()
                self.publisher.producer = make_producer(self.settings)
                await asyncio.sleep(1.0)

    async def _raw_gate(self) -> None:
        """Validate `interactions.raw`: forward to `interactions` or dead-letter; then commit."""
        await self.connected.wait()
        consumer = make_consumer(
            self.settings, self.topics.interactions_raw, group_id=self.settings.ingest_raw_group
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for partition, messages in batches.items():
                    for message in messages:
                        while True:
                            try:
                                await self.ingest.gate_raw(
                                    message.value, message.key, list(message.headers)
                                )
                                break
                            except BrokerUnavailable:
                                log.warning("broker unavailable; retrying raw message")
                                await asyncio.sleep(1.0)
                    await consumer.commit({partition: messages[-1].offset + 1})
        finally:
            await consumer.stop()

    def _spawn(self, work: Any, name: str, may_finish: bool = False) -> None:
        """Run `work` as a task whose unexpected end stops the process non-zero."""
        task = asyncio.create_task(work, name=name)
        supervise(task, name, may_finish)
        self.tasks.append(task)

    async def _connect_database(self) -> None:
        """Wait for PostgreSQL as long as it takes; until then requests get 503 Not ready."""
        settings = self.settings
        await wait_for_database(settings.database_url, deadline_s=None)
        await wait_for_schema(settings.database_url)
        self.pool = await create_pool(settings.database_url, settings.database_pool_max)
        self.keys = KeyStore(self.pool, settings.ingest_key_cache_s)
        log.info("connected to PostgreSQL")

    async def start(self) -> None:
        """Returns at once: PostgreSQL and the broker are awaited in the background, so
        ingest starts in any order and /readyz says what it is still waiting for."""
        settings = self.settings
        self._spawn(self._connect_database(), "ingest database", may_finish=True)
        self._spawn(self._connect_producer(), "ingest producer", may_finish=True)
        if settings.ingest_raw_gate:
            self._spawn(self._raw_gate(), "interactions.raw gate")
        self.ops = OpsReporter(
            lambda: self.publisher.producer,
            self.topics.ops_metrics,
            "ingest",
            settings.ops_interval_s,
        )
        self.ops.start()

    async def stop(self) -> None:
        if hasattr(self, "ops"):  # start() may have failed before creating it
            await self.ops.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.publisher.producer.stop()
        if self.pool is not None:
            await self.pool.close()

    async def ready(self) -> dict[str, bool]:
        broker = self.publisher.started and await broker_reachable(self.publisher.producer)
        database = self.pool is not None and await database_reachable(self.pool)
        return {"broker": broker, "database": database}


def create_app(
    settings: Settings, *, ingest: Ingest | None = None, keys: KeyFinder | None = None
) -> FastAPI:
    """The ingest app. With `ingest` and `keys` given, nothing external is connected."""
    runtime = None if ingest is not None else Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime is None:
            yield
            return
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Small Moments ingest",
        version="1.0",
        description=(
            "Channel systems send CloudEvents 1.0 here: structured, binary or batch mode. "
            "202 means the broker has acknowledged every accepted event. Errors are RFC 7807 "
            "problem documents naming each field path and reason."
        ),
        lifespan=lifespan,
        docs_url=None,  # served offline by serve_docs below
        redoc_url=None,
    )
    serve_docs(app)

    def current_ingest() -> Ingest:
        return ingest if ingest is not None else runtime.ingest  # type: ignore[union-attr]

    async def authenticated_key(request: Request) -> ApiKey:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Problem(
                401,
                "Unauthorized",
                "send Authorization: Bearer <source API key>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        finder = keys if keys is not None else runtime.keys  # type: ignore[union-attr]
        if finder is None:
            raise Problem(503, "Not ready", "key store not connected", headers={"Retry-After": "1"})
        key = await finder.find(secret.strip())
        if key is None:
            raise Problem(
                401,
                "Unauthorized",
                "unknown or revoked API key",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return key

    async def read_body(request: Request) -> bytes:
        limit = settings.ingest_max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Problem(413, "Payload too large", f"the body is over the {limit}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, "Payload too large", f"the body is over the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    install_problem_handlers(app)

    @app.post(
        "/v1/events",
        status_code=202,
        response_model=AcceptedResponse,
        responses=_PROBLEMS,  # type: ignore[arg-type]
        summary="Send one event or a batch",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    STRUCTURED: {"schema": _EVENT_SCHEMA, "example": _EXAMPLE},
                    BATCH: {"schema": {"type": "array", "items": _EVENT_SCHEMA}},
                    "application/json": {
                        "schema": {"type": "object", "description": "Binary mode: the data"}
                    },
                },
            },
            "parameters": [
                {
                    "name": f"ce-{name}",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": f"Binary mode: the {name} attribute",
                }
                for name in ("specversion", "id", "source", "type", "subject", "time")
            ],
        },
    )
    async def post_events(
        request: Request,
        atomic: Annotated[
            bool, Query(description="Batch only: reject the whole batch if any event is invalid")
        ] = False,
    ) -> AcceptedResponse:
        async with _deadline(settings.ingest_request_timeout_s):
            key = await authenticated_key(request)  # inside: a stalled database is a 503
            body = await read_body(request)
            result = await current_ingest().submit(
                key, request.headers.get("content-type"), dict(request.headers), body, atomic
            )
        return AcceptedResponse(accepted=result.accepted, rejected=result.rejected)

    async def ready() -> dict[str, bool]:
        return await runtime.ready() if runtime else {"broker": True, "database": True}

    add_operations_routes(app, ready)
    return app


def bootstrap() -> FastAPI:
    settings = Settings()
    configure_logging("ingest", settings.log_level, settings.log_json)
    return create_app(settings)
