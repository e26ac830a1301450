"""`services.ingest.domain.rate_limit`: token buckets driven by an explicit clock."""

from __future__ import annotations

import pytest

from services.ingest.domain.rate_limit import RateLimits, TokenBucket


def test_a_full_bucket_allows_a_burst_and_then_refuses() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    assert bucket.take(8, now=100.0) == 0
    assert bucket.take(1, now=100.0) > 0


def test_retry_after_is_the_time_until_enough_tokens_have_refilled() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(8, now=100.0)
    assert bucket.take(2, now=100.0) == pytest.approx(0.5)
    assert bucket.take(2, now=100.25) == pytest.approx(0.25)


def test_waiting_the_retry_after_is_enough() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(8, now=100.0)
    wait = bucket.take(3, now=100.0)
    assert wait == pytest.approx(0.75)
    assert bucket.take(3, now=100.0 + wait) == 0


def test_a_refused_take_consumes_nothing() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(6, now=100.0)
    assert bucket.take(5, now=100.0) > 0
    assert bucket.take(2, now=100.0) == 0  # the two left are still there


def test_tokens_refill_at_the_rate() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(8, now=100.0)
    assert bucket.take(4, now=101.0) == 0
    assert bucket.take(1, now=101.0) > 0


def test_refill_never_exceeds_the_burst() -> None:
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(8, now=100.0)
    assert bucket.take(8, now=10_000.0) == 0
    assert bucket.take(1, now=10_000.0) == pytest.approx(0.25)


def test_a_request_larger_than_the_burst_gets_through_once_the_bucket_is_full() -> None:
    # Otherwise it would be refused forever while Retry-After promises otherwise.
    bucket = TokenBucket(rate=4, burst=8)
    bucket.take(4, now=100.0)
    wait = bucket.take(12, now=100.0)
    assert wait == pytest.approx(1.0)  # until the bucket is full again
    assert bucket.take(12, now=100.0 + wait) == 0
    # ... and the overdraft is paid back before anything else is allowed.
    assert bucket.take(1, now=100.0 + wait) == pytest.approx(1.25)


def test_each_source_has_its_own_bucket() -> None:
    limits = RateLimits(rate=1, burst=2)
    assert limits.take("key-a", 2, now=50.0) == 0
    assert limits.take("key-a", 1, now=50.0) == pytest.approx(1.0)
    assert limits.take("key-b", 2, now=50.0) == 0
