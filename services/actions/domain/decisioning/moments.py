"""The moment of a customer someone asks about: the latest signal of each open issue.

`GET /v1/customers/{id}/next-best-action` has no new signals to decide, so it decides
what is still open: the issues inside their cool-down window (the customer record's
`open_issues`; without a record, the issues of the last 7 days), each by its latest
signal, at the time of asking.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.signals import Signal
from services.actions.domain.decisioning.context import CustomerHistory, Moment, issue_of

WITHOUT_RECORD = timedelta(days=7)


def asked_moment(customer_id: str, history: CustomerHistory, now: datetime) -> Moment | None:
    record = history.record
    open_keys = {i.key for i in record.open_issues} if record is not None else None
    latest: dict[str, Signal] = {}
    for signal in history.signals:  # oldest first: a later one replaces an earlier
        if signal.occurred_at > now:
            continue
        if open_keys is None and signal.occurred_at < now - WITHOUT_RECORD:
            continue
        if open_keys is None or issue_of(signal) in open_keys:
            latest[issue_of(signal)] = signal
    if not latest:
        return None
    return Moment(customer_id, tuple(latest.values()), now)
