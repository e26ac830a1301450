"""Effort detectors: contacts that repeat, journeys that fail, contacts given up on.

Pure functions from (event, customer state after the fold) to at most one finding.
A contact counts towards repeat contact when it starts and, across channels, when it
ends unresolved or transferred: each contact makes at most one repeat_contact finding,
at its start when it is the 3rd or later in 7 days, otherwise at its end when it is the
2nd or later in 7 days to end without a fix.
"""

from __future__ import annotations

from collections import Counter

from schemas.events import (
    ContactEnded,
    ContactOutcome,
    ContactStarted,
    InteractionEvent,
    SelfServiceFailed,
)
from schemas.signals import SignalType
from services.signals.domain.findings import Finding, issue_key, ref
from services.signals.domain.state import Contact, CustomerState
from services.signals.domain.text import Sentiment

REPEAT_CONTACT_THRESHOLD = 3
UNRESOLVED_CONTACT_THRESHOLD = 2
UNRESOLVED = (ContactOutcome.unresolved.value, ContactOutcome.transferred.value)
LONG_WAIT_S = 600.0


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def main_reason(contacts: list[Contact]) -> str | None:
    """The reason most of the contacts share; the latest wins a tie."""
    counts = Counter(c.reason for c in contacts if c.reason)
    if not counts:
        return None
    top = max(counts.values())
    return next(c.reason for c in reversed(contacts) if c.reason and counts[c.reason] == top)


def _fired_since(state: CustomerState, at: float) -> bool:
    return any(
        key.startswith("repeat_contact:") and last >= at for key, (last, _) in state.issues.items()
    )


def repeat_contact(event: InteractionEvent, state: CustomerState, _: Sentiment) -> Finding | None:
    data = event.data
    contacts = state.contacts
    count = len(contacts)
    unresolved = sum(1 for c in contacts if c.outcome in UNRESOLVED)
    if isinstance(data, ContactStarted):
        if count < REPEAT_CONTACT_THRESHOLD:
            return None
        reasons = [f"{_ordinal(count)} contact in 7 days"]
        if unresolved:
            reasons.append(f"{unresolved} ended without a fix")
    elif isinstance(data, ContactEnded) and data.outcome.value in UNRESOLVED:
        this = next(
            (
                c
                for c in reversed(contacts)
                if c.channel == data.channel.value and c.outcome == data.outcome.value
            ),
            None,
        )
        if unresolved < UNRESOLVED_CONTACT_THRESHOLD or this is None:
            return None
        if _fired_since(state, this.at):  # its start already counted it as a repeat
            return None
        reasons = [f"{unresolved} contacts in 7 days ended without a fix"]
    else:
        return None
    reason = main_reason(contacts)
    same = sum(1 for c in contacts if reason and c.reason == reason)
    if same >= 2:
        reasons.append(f"{same} of them about {reason}")
    channels = sorted({c.channel for c in contacts})
    if len(channels) > 1:
        reasons.append("across " + ", ".join(channels))
    return Finding(
        SignalType.repeat_contact,
        min(1.0, count / 5 + 0.1 * unresolved),
        reasons,
        [c.ref for c in contacts],
        {"contacts_7d": count, "unresolved_7d": unresolved, "reason": reason},
        issue=issue_key("repeat_contact", reason),
        occurrences=count,
    )


def failed_self_service(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if isinstance(data, SelfServiceFailed):
        where = f" at {data.step}" if data.step else ""
        return Finding(
            SignalType.failed_self_service,
            0.5,
            [f"Could not {data.journey.replace('_', ' ')} on {data.channel.value}{where}"],
            [ref(event)],
            {"journey": data.journey, "error_code": data.error_code},
            issue=issue_key("failed_self_service", data.channel.value, data.journey),
        )
    if isinstance(data, ContactStarted) and state.failures:
        failure = state.failures[-1]
        minutes = max(1, round((event.time.timestamp() - failure.at) / 60))
        journey = str(failure.reason).replace("_", " ")
        issue = issue_key("failed_self_service", failure.channel, failure.reason)
        # the call is about the same failure, not another one: the count stays
        failed = state.issues.get(issue)
        return Finding(
            SignalType.failed_self_service,
            0.8,
            [f"Contacted us {minutes} min after failing to {journey} on {failure.channel}"],
            [failure.ref, ref(event)],
            {"journey": failure.reason},
            issue=issue,
            occurrences=int(failed[1]) if failed else 1,
        )
    return None


def abandoned_contact(
    event: InteractionEvent, state: CustomerState, _: Sentiment
) -> Finding | None:
    data = event.data
    if not isinstance(data, ContactEnded):
        return None
    waited = data.wait_seconds or 0
    long_wait = waited >= LONG_WAIT_S
    gave_up = data.outcome == ContactOutcome.abandoned
    if not gave_up and not long_wait:
        return None
    reasons = []
    if gave_up:
        reasons.append(f"Gave up on a {data.channel.value} contact")
        if waited:
            reasons.append(f"after waiting {waited / 60:.0f} min")
    else:
        reasons.append(f"Waited {waited / 60:.0f} min on a {data.channel.value} contact")
    strength = 0.5 + (0.3 if long_wait else 0) + (0.1 if gave_up else 0)
    return Finding(
        SignalType.abandoned_contact,
        min(1.0, strength),
        reasons,
        [ref(event)],
        {"wait_seconds": waited, "outcome": data.outcome.value},
        issue=issue_key("abandoned_contact", data.channel.value),
    )
