"""The holdout: a stable, salted share of customers whose decisions are recorded and
never shown, so that what the recommendations change can be measured against them.

`in_holdout(customer, percent, salt)` is the one definition; the decision marks its
recommendations `holdout`, the stores and streams never show them, and the simulator
and the tests use the same function to know who is held out.
"""

from __future__ import annotations

import hashlib


def in_holdout(customer_id: str, percent: float, salt: str) -> bool:
    """Stable assignment: the same customer is always in or out for the same salt."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 10_000
    return bucket < percent * 100
