"""How long a recommendation spent in each hop, from the stamps on its Kafka headers.

ingest stamps `moments_ingested_at`, signals `moments_signalled_at`, actions
`moments_decided_at` (epoch milliseconds, schemas/headers.py); whoever reads the
recommendation from its topic adds the read time. Each hop is the difference of two
stamps, so it includes the broker's time on the way in (and the hosts' clock skew, kept
small by NTP). A trace context carried on the same headers can yield the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas.headers import DECIDED_AT_HEADER, INGESTED_AT_HEADER, SIGNALLED_AT_HEADER, stamp_ms

# hop -> (stamp it starts at, stamp it ends at); None: the reader's own clock.
HOPS: dict[str, tuple[str, str | None]] = {
    "signals": (INGESTED_AT_HEADER, SIGNALLED_AT_HEADER),  # broker + signals
    "actions": (SIGNALLED_AT_HEADER, DECIDED_AT_HEADER),  # broker + decision, stored
    "publish": (DECIDED_AT_HEADER, None),  # positions, publish, broker, to a reader
    "end_to_end": (INGESTED_AT_HEADER, None),  # ingest's acceptance to a reader
}


def hop_seconds(headers: Mapping[str, bytes], read_at_ms: float) -> dict[str, float]:
    """Seconds per hop for the stamps present (a relayed recommendation may have none)."""
    found = {}
    for hop, (start, end) in HOPS.items():
        began = stamp_ms(headers.items(), start)
        ended = read_at_ms if end is None else stamp_ms(headers.items(), end)
        if began is not None and ended is not None:
            found[hop] = max(0.0, ended - began) / 1000
    return found
