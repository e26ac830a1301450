"""The expiring cache behind key and agent lookups."""

from __future__ import annotations

from services.plumbing.cache import ExpiringCache


class Loader:
    def __init__(self, answer: str | None):
        self.answer, self.calls = answer, 0

    async def __call__(self) -> str | None:
        self.calls += 1
        return self.answer


async def test_an_answer_is_reused_while_fresh_and_reloaded_after_it_expires() -> None:
    now = [100.0]
    cache: ExpiringCache[str | None] = ExpiringCache(5.0, clock=lambda: now[0])
    load = Loader("agent-7")
    assert await cache.get("digest", load) == "agent-7"
    now[0] = 104.9
    assert await cache.get("digest", load) == "agent-7"
    assert load.calls == 1
    now[0] = 105.0
    load.answer = None  # revoked meanwhile
    assert await cache.get("digest", load) is None
    assert load.calls == 2


async def test_not_found_is_remembered_too() -> None:
    cache: ExpiringCache[str | None] = ExpiringCache(5.0, clock=lambda: 0.0)
    load = Loader(None)
    assert await cache.get("unknown", load) is None
    assert await cache.get("unknown", load) is None
    assert load.calls == 1


async def test_zero_ttl_always_asks_again() -> None:
    cache: ExpiringCache[str | None] = ExpiringCache(0.0, clock=lambda: 1.0)
    load = Loader("key-1")
    await cache.get("k", load)
    await cache.get("k", load)
    assert load.calls == 2


async def test_many_unknown_secrets_cannot_grow_it_past_its_bound() -> None:
    cache: ExpiringCache[str | None] = ExpiringCache(60.0, max_entries=100, clock=lambda: 0.0)
    for n in range(1_000):
        await cache.get(f"guess-{n}", Loader(None))
    assert len(cache._entries) <= 100
