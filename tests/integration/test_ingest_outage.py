"""A broker that stops answering while requests arrive: 503 with Retry-After, never a 202
for an event that is not stored, and recovery without a restart.

The broker is frozen with SIGSTOP (a hung or partitioned broker: connections open, no
answers) and thawed with SIGCONT. Tansu keeps data in memory only, so killing it would
also lose what it had already acknowledged; freezing keeps that data and lets the test
check that every accepted event is on `interactions` afterwards. This test runs its own
broker, whatever the backend, because it is the one it stops.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable

import httpx

from schemas.topics import Topics
from services.plumbing.kafka import ensure_topics, wait_for_broker
from services.plumbing.settings import KafkaSettings
from tests.backends import tansu
from tests.harness import ServiceProcess, cloudevent, eventually, read_topic
from tests.integration.conftest import base_url


async def test_stopped_broker_gets_503_and_ingest_recovers_by_itself(
    topics: Topics, services: Callable[..., ServiceProcess], api_key: str, run_id: str
) -> None:
    with tansu() as (broker, servers):
        await wait_for_broker(servers)
        await ensure_topics(
            KafkaSettings(kafka_bootstrap_servers=servers, kafka_topic_prefix=topics.prefix)
        )
        ingest = services(
            "ingest",
            KAFKA_BOOTSTRAP_SERVERS=servers,
            INGEST_BROKER_TIMEOUT_S="1.5",
            INGEST_RAW_GATE="false",
        )
        await ingest.wait_ready()
        url = base_url(ingest)
        headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/cloudevents+json",
        }
        accepted: list[str] = []

        async def send(client: httpx.AsyncClient, n: int) -> httpx.Response:
            event = cloudevent(
                f"c-{run_id}", "contact.started", {"channel": "voice"}, event_id=f"o-{n}"
            )
            response = await client.post("/v1/events", content=json.dumps(event), headers=headers)
            if response.status_code == 202:
                accepted.extend(response.json()["accepted"])
            return response

        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            assert (await send(client, 0)).status_code == 202
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                during = [await send(client, n) for n in range(1, 4)]
                ready = await client.get("/readyz")
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            assert [r.status_code for r in during] == [503, 503, 503]
            assert all(int(r.headers["retry-after"]) > 0 for r in during)
            assert during[0].json()["title"] == "Broker unavailable"
            assert ready.status_code == 503 and ready.json()["broker"] is False

            async def recovered() -> bool:
                return (await send(client, 100 + len(accepted))).status_code == 202

            await eventually(recovered, 30, "ingest accepting again")
            assert (await client.get("/readyz")).status_code == 200

        # Every event that got a 202 is on the topic (a 503'd one may appear too: the
        # sender retries it, and its source+id makes the copy harmless downstream).
        on_topic = await read_topic(
            servers,
            topics.interactions,
            lambda m: set(accepted) <= {dict(x.headers)["ce_id"].decode() for x in m},
        )
        assert set(accepted) <= {dict(m.headers)["ce_id"].decode() for m in on_topic}
        assert "o-0" in accepted
        ingest.stop()
