"""What signals remembers about one customer, kept small on purpose.

The state is kept in the changelogged customer table as compact JSON bytes (not Python
objects), which is what keeps memory near a kilobyte per active customer. `CustomerState.load` and
`dump` convert; everything else works on the dataclass. Every list and map is bounded by
count and by age, so state never grows without limit:

- `contacts` (7 days, 12) with how each ended, `failures` (2 h), `missed_payments` (90 d);
- `issues`: per issue key, when it last came up and how often in its window (8 newest);
- `health`: one decaying ledger row per health factor (see domain/health.py), and
  `history`, the end-of-day score of each day with an event in the last 90 days;
- `moments`: the latest few, already in plain words, for the agent's timeline;
- `lost`: products cancelled (a `cancellation.completed`) in the last year.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEEN_LIMIT = 64  # event digests remembered for deduplication
CONTACT_WINDOW_S = 7 * 24 * 3600
CONTACT_LIMIT = 12
FAILURE_WINDOW_S = 2 * 3600
FAILURE_LIMIT = 4
MISSED_PAYMENT_WINDOW_S = 90 * 24 * 3600
ISSUE_LIMIT = 8
HISTORY_DAYS = 90
HISTORY_LIMIT = 40  # days with an event kept in the trend; the busiest lose their oldest
MOMENT_LIMIT = 5
LOST_LIMIT = 5
LOST_WINDOW_S = 365 * 24 * 3600

# The encoding drops what it can rebuild: digests (always 8 base64 characters) are joined
# into one string, and a contact's or failure's ref keeps only source and id: its time is
# the row's own (rebuilt in UTC) and its type the one its list implies (contact.started,
# selfservice.failed) unless the row says otherwise.
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
    outcome: str | None = None  # how it ended (contact.ended's outcome), once known


@dataclass
class CustomerState:
    profile: dict[str, Any] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    failures: list[Contact] = field(default_factory=list)  # failed self-service; reason=journey
    missed_payments: list[float] = field(default_factory=list)
    # [agent_id, queue, channel, started_at (epoch s), contact.started event id]
    live: list[Any] | None = None
    issues: dict[str, list[float]] = field(default_factory=dict)  # key -> [last at, count]
    health: dict[str, list[Any]] = field(default_factory=dict)  # see domain/health.py
    history: list[int] = field(default_factory=list)  # [day, score, day, score, ...]
    moments: list[list[Any]] = field(default_factory=list)  # [at, kind, summary, id, tone]
    lost: list[list[Any]] = field(default_factory=list)  # [at, product]: cancellations done
    first_seen: float | None = None
    version: int = 0

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
        self.lost = [row for row in self.lost if now - row[0] <= LOST_WINDOW_S][-LOST_LIMIT:]

    def remember_issue(self, key: str, at: float, count: int) -> None:
        self.issues.pop(key, None)  # re-inserted last: the dict stays oldest first
        self.issues[key] = [at, count]
        while len(self.issues) > ISSUE_LIMIT:
            del self.issues[next(iter(self.issues))]

    def forget_issues(self, windows: dict[str, float], now: float) -> None:
        """Forget issues quiet for longer than their window (by the key's first part)."""
        self.issues = {
            k: v for k, v in self.issues.items() if now - v[0] <= windows.get(k.split(":")[0], 0)
        }

    def add_moment(self, moment: list[Any]) -> None:
        """Keep the newest moments in time order (a late event slots in where it belongs)."""
        at = moment[0]
        place = len(self.moments)
        while place > 0 and self.moments[place - 1][0] > at:
            place -= 1
        self.moments.insert(place, moment)
        del self.moments[:-MOMENT_LIMIT]

    def record_day(self, day: int, score: int) -> None:
        """Keep `score` as the latest of `day`; forget days older than the trend shows.

        A late event from a day before the last one recorded leaves the history as it is:
        the trend is the scores as they were known at the end of each day."""
        if len(self.history) >= 2 and self.history[-2] > day:
            return
        if len(self.history) >= 2 and self.history[-2] == day:
            self.history[-1] = score
        else:
            self.history += [day, score]
        keep = 0
        while keep < len(self.history) and self.history[keep] <= day - HISTORY_DAYS:
            keep += 2
        # one day older than the window is kept: it is the score "30 days ago" for change_30d
        keep = max(0, keep - 2)
        del self.history[: max(keep, len(self.history) - 2 * HISTORY_LIMIT)]

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
        for key, value in (("i", self.issues), ("h", self.health), ("d", self.history)):
            if value:
                raw[key] = value
        if self.moments:
            raw["o"] = self.moments
        if self.lost:
            raw["x"] = self.lost
        if self.first_seen is not None:
            raw["a"] = self.first_seen
        if self.version:
            raw["v"] = self.version
        return json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()

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
            issues=data.get("i", {}),
            health=data.get("h", {}),
            history=data.get("d", []),
            moments=data.get("o", []),
            lost=data.get("x", []),
            first_seen=data.get("a"),
            version=data.get("v", 0),
        )


def _rows(items: list[Contact], implied_type: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for c in items:
        ref = [c.ref[0], c.ref[1]]
        if c.ref[2] != implied_type:
            ref.append(c.ref[2])
        rows.append([c.at, c.channel, c.reason, ref] + ([c.outcome] if c.outcome else []))
    return rows


def _contacts(rows: list[list[Any]], implied_type: str) -> list[Contact]:
    contacts = []
    for at, channel, reason, ref, *ended in rows:
        source, event_id, *kind = ref
        time = datetime.fromtimestamp(at, UTC).isoformat()
        contacts.append(
            Contact(
                at,
                channel,
                reason,
                [source, event_id, kind[0] if kind else implied_type, time],
                ended[0] if ended else None,
            )
        )
    return contacts
