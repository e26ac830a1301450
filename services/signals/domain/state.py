"""What signals remembers about one customer, kept small on purpose.

The state is stored in the Faust table as compact JSON bytes (not Python objects), which
is what keeps memory near a kilobyte per active customer. `CustomerState.load` and
`dump` convert; everything else works on the dataclass. Lists are bounded by count and
by age so state never grows without limit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

SEEN_LIMIT = 64  # event digests remembered for deduplication
CONTACT_WINDOW_S = 7 * 24 * 3600
CONTACT_LIMIT = 12
FAILURE_WINDOW_S = 2 * 3600
FAILURE_LIMIT = 4
MISSED_PAYMENT_WINDOW_S = 90 * 24 * 3600


def event_digest(event_key: str) -> str:
    """48-bit digest of `source#id`: enough to tell one customer's recent events apart."""
    return base64.b64encode(hashlib.blake2b(event_key.encode(), digest_size=6).digest()).decode()


@dataclass
class Contact:
    at: float
    channel: str
    reason: str | None
    ref: list[str]  # [source, id, type, iso time] of the event


@dataclass
class CustomerState:
    profile: dict[str, Any] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    failures: list[Contact] = field(default_factory=list)  # failed self-service; reason=journey
    missed_payments: list[float] = field(default_factory=list)
    live: list[str | None] | None = None  # [agent_id, queue, channel] of a live contact
    last_fired: dict[str, float] = field(default_factory=dict)

    def has_seen(self, digest: str) -> bool:
        return digest in self.seen

    def remember(self, digest: str) -> None:
        self.seen.append(digest)
        del self.seen[:-SEEN_LIMIT]

    def prune(self, now: float) -> None:
        self.contacts = [c for c in self.contacts if now - c.at <= CONTACT_WINDOW_S][
            -CONTACT_LIMIT:
        ]
        self.failures = [f for f in self.failures if now - f.at <= FAILURE_WINDOW_S][
            -FAILURE_LIMIT:
        ]
        self.missed_payments = [
            t for t in self.missed_payments if now - t <= MISSED_PAYMENT_WINDOW_S
        ][-6:]
        self.last_fired = {k: t for k, t in self.last_fired.items() if now - t <= CONTACT_WINDOW_S}

    def dump(self) -> bytes:
        raw: dict[str, Any] = {"s": self.seen}
        if self.profile:
            raw["p"] = self.profile
        if self.contacts:
            raw["c"] = [[c.at, c.channel, c.reason, c.ref] for c in self.contacts]
        if self.failures:
            raw["f"] = [[c.at, c.channel, c.reason, c.ref] for c in self.failures]
        if self.missed_payments:
            raw["m"] = self.missed_payments
        if self.live:
            raw["l"] = self.live
        if self.last_fired:
            raw["t"] = self.last_fired
        return json.dumps(raw, separators=(",", ":")).encode()

    @classmethod
    def load(cls, raw: bytes | None) -> CustomerState:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(
            profile=data.get("p", {}),
            seen=data.get("s", []),
            contacts=[Contact(*c) for c in data.get("c", [])],
            failures=[Contact(*c) for c in data.get("f", [])],
            missed_payments=data.get("m", []),
            live=data.get("l"),
            last_fired=data.get("t", {}),
        )
