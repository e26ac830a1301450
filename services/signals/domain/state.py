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

# The encoding drops what it can rebuild: digests (always 8 base64 characters) are joined
# into one string, and a contact's or failure's ref leaves out the event type its list
# implies (contact.started, selfservice.failed).
_DIGEST_CHARS = 8
_CONTACT_TYPE = "contact.started"
_FAILURE_TYPE = "selfservice.failed"


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
        raw: dict[str, Any] = {"s": "".join(self.seen)}
        if self.profile:
            raw["p"] = self.profile
        if self.contacts:
            raw["c"] = _rows(self.contacts, _CONTACT_TYPE)
        if self.failures:
            raw["f"] = _rows(self.failures, _FAILURE_TYPE)
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
        joined = data.get("s", "")
        seen = [joined[i : i + _DIGEST_CHARS] for i in range(0, len(joined), _DIGEST_CHARS)]
        return cls(
            profile=data.get("p", {}),
            seen=seen,
            contacts=_contacts(data.get("c", []), _CONTACT_TYPE),
            failures=_contacts(data.get("f", []), _FAILURE_TYPE),
            missed_payments=data.get("m", []),
            live=data.get("l"),
            last_fired=data.get("t", {}),
        )


def _rows(items: list[Contact], implied_type: str) -> list[list[Any]]:
    return [[c.at, c.channel, c.reason, [c.ref[0], c.ref[1], c.ref[3]]] for c in items]


def _contacts(rows: list[list[Any]], implied_type: str) -> list[Contact]:
    return [
        Contact(at, channel, reason, [source, event_id, implied_type, time])
        for at, channel, reason, (source, event_id, time) in rows
    ]
