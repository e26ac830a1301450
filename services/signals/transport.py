"""Faust's aiokafka transport with a short fetch wait, registered as `moments-kafka://`.

Faust hard-codes `fetch_max_wait_ms=1500` for its stream consumer. A broker that holds a
fetch until that wait is over (Tansu does, for part of it) then adds up to that much
latency to every event. This transport changes only that one number, through the
`faust.transports` entry point declared in pyproject.toml.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

FETCH_MAX_WAIT_MS = 20


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by start(); not yet started
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer
