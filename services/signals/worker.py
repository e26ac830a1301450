"""The signals Faust app: the `interactions` stream, the per-customer table, the `signals` sink.

`create_app(settings)` declares everything on one Faust app; `python -m services.signals`
runs it as a worker. Per event: decode, fold into the customer's state, send each signal
and wait for the broker's ack, then write the state. A crash between those steps replays
the event; its signals keep their ids, so actions drops the repeat.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schemas.events import FieldProblem
from services.plumbing.kafka import INGESTED_AT_HEADER, SIGNALLED_AT_HEADER, dead_letter_headers
from services.plumbing.metrics import snapshot as metrics_snapshot
from services.plumbing.topics import Topics
from services.signals.handlers import SignalsHandler, decode_interaction
from services.signals.settings import Settings

log = logging.getLogger(__name__)

EVENTS = Counter("moments_signals_events", "Events processed", ["outcome"])
SIGNALS = Counter("moments_signals_emitted", "Signals emitted", ["type"])
CUSTOMERS = Gauge("moments_signals_customers", "Customers held in this worker's table")
PROCESS_SECONDS = Histogram(
    "moments_signals_process_seconds",
    "Time to process one event",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)


def _headers(raw: Any) -> list[tuple[str, bytes]]:
    if isinstance(raw, dict):
        return list(raw.items())
    return list(raw or [])


def broker_urls(servers: str) -> list[str]:
    return [f"moments-kafka://{server.strip()}" for server in servers.split(",") if server.strip()]


def create_app(settings: Settings) -> faust.App:
    topics = Topics(settings.kafka_topic_prefix)
    app = faust.App(
        settings.signals_app_id,
        broker=broker_urls(settings.kafka_bootstrap_servers),
        store="memory://",
        datadir=settings.signals_data_dir,
        processing_guarantee=settings.signals_processing_guarantee,
        topic_partitions=settings.kafka_topic_partitions,
        topic_replication_factor=settings.kafka_replication_factor,
        table_standby_replicas=settings.signals_standby_replicas,
        producer_acks=-1,
        broker_rebalance_timeout=settings.signals_rebalance_timeout_s,
        broker_session_timeout=settings.kafka_session_timeout_s,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_s,
        consumer_auto_offset_reset="earliest",
        web_host=settings.signals_web_host,
        web_port=settings.signals_web_port,
        web_bind=settings.signals_web_host,
        # The table holds compact JSON bytes made by CustomerState.dump (see its docstring).
        key_serializer="raw",
        value_serializer="raw",
    )
    raw = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    interactions = app.topic(topics.interactions, **raw)  # type: ignore[arg-type]
    signals_topic = app.topic(topics.signals, **raw)  # type: ignore[arg-type]
    dlq = app.topic(topics.interactions_dlq, **raw)  # type: ignore[arg-type]
    ops = app.topic(topics.ops_metrics, **raw)  # type: ignore[arg-type]
    customers = app.Table(
        "customers",
        partitions=settings.kafka_topic_partitions,
        key_type=bytes,
        value_type=bytes,
    )
    analyzer = SentimentIntensityAnalyzer()
    handler = SignalsHandler(lambda text: float(analyzer.polarity_scores(text)["compound"]))

    # A signal carries its evidence: leave room for headers under the producer's limit.
    max_signal_bytes = app.conf.producer_max_request_size - 64 * 1024

    async def dead_letter(
        key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]], reason: str
    ) -> None:
        body = value or b""
        if len(body) > max_signal_bytes:
            reason += f"; the event's first {max_signal_bytes} of {len(body)} bytes are kept"
            body = body[:max_signal_bytes]
        problems = [FieldProblem(field="(event)", reason=reason)]
        sent = await dlq.send(
            key=key, value=body, headers=dead_letter_headers(headers, problems, "signals")
        )
        await sent

    @app.agent(interactions)
    async def detect(stream: faust.StreamT[bytes]) -> None:
        async for item in stream.events():
            started = time.perf_counter()
            message = item.message
            headers = _headers(message.headers)
            try:
                event = decode_interaction(message.key, message.value, headers)
            except Exception as error:  # anything unreadable is dead-lettered, never dropped
                await dead_letter(message.key, message.value, headers, f"undecodable: {error}")
                EVENTS.labels("dead_lettered").inc()
                continue
            key = event.customer_id.encode()
            try:
                new_state, found, _ = handler.handle(customers.get(key), event, datetime.now(UTC))
                values = [signal.model_dump_json().encode() for signal in found]
            except Exception as error:  # the rules are pure: a failure here is the content's
                log.exception("event %s could not be processed; dead-lettered", event.key)
                await dead_letter(message.key, message.value, headers, f"unprocessable: {error!r}")
                EVENTS.labels("dead_lettered").inc()
                continue
            if new_state is None:
                EVENTS.labels("duplicate").inc()
                continue
            oversized = [len(v) for v in values if len(v) > max_signal_bytes]
            if oversized:
                # The broker would refuse it; keep the event, with why, instead of crashing.
                await dead_letter(
                    message.key,
                    message.value,
                    headers,
                    f"its signal would be {max(oversized)} bytes; the limit is {max_signal_bytes}",
                )
                EVENTS.labels("dead_lettered").inc()
                customers[key] = new_state  # seen: a replay must not try again
                continue
            passed = [(n, v) for n, v in headers if n == INGESTED_AT_HEADER]
            passed.append((SIGNALLED_AT_HEADER, str(int(time.time() * 1000)).encode()))
            for signal, value in zip(found, values, strict=True):
                sent = await signals_topic.send(key=key, value=value, headers=passed)
                await sent  # the broker has it before the state says the event was seen
                SIGNALS.labels(signal.type.value).inc()
            customers[key] = new_state
            EVENTS.labels("processed").inc()
            PROCESS_SECONDS.observe(time.perf_counter() - started)

    @app.timer(interval=settings.ops_interval_s)
    async def report_ops() -> None:
        CUSTOMERS.set(len(customers))
        body = {
            "service": "signals",
            "instance": f"{socket.gethostname()}:{os.getpid()}",
            "time": time.time(),
            "metrics": metrics_snapshot(),
        }
        await ops.send(key=b"signals", value=json.dumps(body).encode())

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        CUSTOMERS.set(len(customers))
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return app
