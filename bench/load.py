"""Offered load into ingest, and the desktop at the other end of the path.

`IngestLoad` sends pre-serialised requests on an open-loop schedule (request i is due at
start + i / rate, whatever happened to request i-1), so a slow pipeline shows up as
latency and lag instead of quietly lowering the rate. `DesktopListener` holds an agent's
SSE stream open and stamps each recommendation on arrival. `match` pairs recommendations
with the events that caused them by recomputing signal ids, which are derived from the
triggering event (see `services.signals.handlers.to_signal`).

The driver uses aiohttp rather than httpx: on two shared cores the client's own cost
per request matters, and aiohttp's is about half.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from moments.simulate.domain.simulation import SimulatedEvent
from services.plumbing.ids import stable_id

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


@dataclass
class Request:
    body: bytes
    customers: list[str]
    keys: list[str]  # source#id of each event in the body
    started: float = 0.0  # epoch seconds when the POST began
    answered: float = 0.0  # epoch seconds when the 202 (or error) arrived
    status: int = 0


def prepare(
    stream: Iterator[SimulatedEvent], seed: int, count: int, batch: int, source_prefix: str
) -> list[Request]:
    """The next `count` events of the simulation as request bodies of `batch` events."""
    requests = []
    group: list[dict[str, Any]] = []
    for event in stream:
        group.append(event.cloudevent(seed, source_prefix))
        if len(group) == batch:
            requests.append(_request(group, batch))
            group = []
            if len(requests) * batch >= count:
                break
    if group:
        requests.append(_request(group, batch))
    return requests


def _request(group: list[dict[str, Any]], batch: int) -> Request:
    payload = group[0] if batch == 1 else group
    return Request(
        json.dumps(payload, separators=(",", ":")).encode(),
        [e["subject"] for e in group],
        [f"{e['source']}#{e['id']}" for e in group],
    )


@dataclass
class LoadResult:
    requests: list[Request]
    started: float  # epoch
    finished: float  # epoch, when the last answer arrived
    offered_rate: float  # events/s
    most_behind_s: float  # how far the schedule slipped at worst (client saturation)

    @property
    def accepted_events(self) -> int:
        return sum(len(r.keys) for r in self.requests if r.status == 202)

    @property
    def failed_requests(self) -> int:
        return sum(1 for r in self.requests if r.status != 202)


class IngestLoad:
    def __init__(self, ingest_url: str, api_key: str, connections: int = 64):
        self.ingest_url, self.api_key, self.connections = ingest_url, api_key, connections
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> IngestLoad:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def _post(self, request: Request, batch: bool) -> None:
        assert self.session is not None
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": BATCH if batch else STRUCTURED,
        }
        request.started = time.time()
        try:
            async with self.session.post(
                f"{self.ingest_url}/v1/events", data=request.body, headers=headers
            ) as response:
                await response.read()
                request.status = response.status
        except (aiohttp.ClientError, TimeoutError):
            request.status = -1
        request.answered = time.time()

    async def run(self, requests: Sequence[Request], events_per_s: float) -> LoadResult:
        """Send `requests` at `events_per_s`, open loop; returns when all are answered."""
        batch = len(requests[0].keys) > 1 if requests else False
        per_request = len(requests[0].keys) if requests else 1
        interval = per_request / events_per_s
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task[None]] = []
        in_flight = asyncio.Semaphore(self.connections * 4)
        started_epoch = time.time()
        start = loop.time()
        most_behind = 0.0

        async def post(request: Request) -> None:
            try:
                await self._post(request, batch)
            finally:
                in_flight.release()

        for number, request in enumerate(requests):
            due = start + number * interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the schedule, not waiting for readiness
            else:
                most_behind = max(most_behind, -delay)
            await in_flight.acquire()
            tasks.append(asyncio.create_task(post(request)))
        await asyncio.gather(*tasks)
        finished = max((r.answered for r in requests), default=time.time())
        return LoadResult(list(requests), started_epoch, finished, events_per_s, most_behind)


@dataclass
class Received:
    at: float  # epoch seconds when the desktop got it
    recommendation: dict[str, Any]


@dataclass
class DesktopListener:
    """An agent's desktop on the SSE stream, keeping every recommendation it receives."""

    actions_url: str
    agent_token: str
    received: list[Received] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.agent_token}"}
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{self.actions_url}/v1/desktop/stream", headers=headers) as response,
        ):
            response.raise_for_status()
            self.connected.set()
            event, data = "", ""
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if event == "recommendation" and data:
                        self.received.append(Received(time.time(), json.loads(data)))
                    event, data = "", ""
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].lstrip()

    async def start(self, deadline_s: float = 10.0) -> None:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self.connected.wait(), deadline_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def since(self, epoch: float) -> list[Received]:
        return [r for r in self.received if r.at >= epoch]


@dataclass(frozen=True)
class Journey:
    """One event's path to the desktop: when each hop had it (epoch seconds)."""

    posted: float
    accepted: float
    ingested: float
    signalled: float
    decided: float
    pushed: float
    received: float

    @property
    def end_to_end_ms(self) -> float:
        return (self.received - self.posted) * 1000

    def hops_ms(self) -> dict[str, float]:
        return {
            "ingest accept (POST to 202)": (self.accepted - self.posted) * 1000,
            "ingest (POST to produce)": (self.ingested - self.posted) * 1000,
            "broker + signals": (self.signalled - self.ingested) * 1000,
            "broker + actions": (self.decided - self.signalled) * 1000,
            "push (outbox, broker, hub)": (self.pushed - self.decided) * 1000,
            "SSE to desktop": (self.received - self.pushed) * 1000,
        }


def match(requests: Sequence[Request], received: Sequence[Received]) -> list[Journey]:
    """Pair each recommendation received with the event behind it, by the id of its
    newest signal (the one whose hop stamps it carries); a recommendation received again
    (a repeat strengthened it) counts once, at its first arrival."""
    by_customer: dict[str, list[tuple[str, Request]]] = {}
    for request in requests:
        for customer, key in zip(request.customers, request.keys, strict=True):
            by_customer.setdefault(customer, []).append((key, request))
    journeys = []
    seen: set[str] = set()
    for item in received:
        rec = item.recommendation
        trace = rec.get("trace") or {}
        customer = rec.get("customer_id", "")
        signals = rec.get("why", {}).get("signals", [])
        if not signals or "moments_ingested_at" not in trace or rec.get("id") in seen:
            continue
        seen.add(rec.get("id", ""))
        signal_id, signal_type = signals[-1]["id"], signals[-1]["type"]
        for key, request in by_customer.get(customer, []):
            if stable_id("sig", signal_type, customer, key) == signal_id:
                journeys.append(
                    Journey(
                        posted=request.started,
                        accepted=request.answered,
                        ingested=int(trace["moments_ingested_at"]) / 1000,
                        signalled=int(trace.get("moments_signalled_at", 0)) / 1000,
                        decided=int(trace.get("moments_decided_at", 0)) / 1000,
                        pushed=int(trace.get("moments_pushed_at", 0)) / 1000,
                        received=item.at,
                    )
                )
                break
    return journeys
