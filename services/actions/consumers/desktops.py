"""The `recommendations.desktop` feed: every replica reads every recommendation (no
group, from the latest offset; consumers/feeds.py) and rings the live streams of the
agents it is for. The streams then read PostgreSQL from their cursor (adapters/push.py),
so this feed decides only how soon a desktop looks, never what it gets.
"""

from __future__ import annotations

import logging
import time

from aiokafka.structs import ConsumerRecord
from prometheus_client import Histogram
from pydantic import ValidationError

from schemas.headers import DECIDED_AT_HEADER as DECIDED
from schemas.headers import INGESTED_AT_HEADER, stamp_ms
from schemas.recommendations import Recommendation
from services.actions.adapters.push import DesktopHub
from services.plumbing.tracing import hop_span, trace_headers

log = logging.getLogger(__name__)
PUSH_SECONDS = Histogram(
    "moments_actions_event_to_push_seconds",
    "From ingest's acceptance to the desktop hub",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class DesktopFeed:
    def __init__(self, hub: DesktopHub):
        self.hub = hub

    async def on_message(self, message: ConsumerRecord[bytes, bytes]) -> None:
        headers = dict(message.headers)
        try:
            rec = Recommendation.model_validate_json(message.value or b"")
        except ValidationError:
            log.error("unreadable desktop recommendation skipped")
            return
        now_ms = time.time() * 1000
        pushed = {k: v.decode() for k, v in headers.items() if k.startswith("moments_")}
        pushed["moments_pushed_at"] = str(int(now_ms))
        if INGESTED_AT_HEADER in headers:
            PUSH_SECONDS.observe(max(0.0, now_ms - int(headers[INGESTED_AT_HEADER])) / 1000)
        # The last hop, from the decision's stamp to the desktops' streams; its trace goes
        # to the desktop with the recommendation (`trace.traceparent`).
        span = hop_span("desktop push", message.headers, stamp_ms(message.headers, DECIDED))
        pushed.update((k, v.decode()) for k, v in trace_headers(span))
        self.hub.ring(rec, pushed)
        span.end()
