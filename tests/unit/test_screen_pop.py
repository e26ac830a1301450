"""`services.actions.consumers.screen_pop.ScreenPops`: which desktop a customer record
pops up on, that it is stored first, and what a call's end and an erasure do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from schemas.customers import CustomerRecord
from services.actions.adapters.customers import CustomerStore
from services.actions.adapters.push import DesktopHub
from services.actions.consumers.screen_pop import ScreenPops
from tests.unit.builders import new_customer
from tests.unit.cockpit_builders import CARE, RETENTION, record


class FakeCustomers:
    def __init__(self, hub: DesktopHub) -> None:
        self.hub = hub
        self.saved: list[CustomerRecord] = []
        self.forgotten: list[str] = []

    async def save(self, records: Sequence[CustomerRecord]) -> None:
        self.saved.extend(records)

    async def forget(self, customer_ids: Sequence[str]) -> None:
        self.forgotten.extend(customer_ids)


def pops_with(hub: DesktopHub, store: FakeCustomers) -> ScreenPops:
    return ScreenPops(hub, store)  # type: ignore[arg-type]


async def test_a_record_naming_an_agent_is_stored_then_popped_on_that_agents_desktop() -> None:
    hub = DesktopHub()
    store = FakeCustomers(hub)
    pops = pops_with(hub, store)
    call = record(agent_id=CARE.id)
    async with hub.subscribe(CARE) as care, hub.subscribe(RETENTION) as retention:
        original_save = store.save

        async def save_and_check(records: Sequence[CustomerRecord]) -> None:
            assert not care.is_set()  # stored before any desktop hears of it
            await original_save(records)

        store.save = save_and_check  # type: ignore[method-assign]
        await pops.on_record(call.customer_id.encode(), call.model_dump_json().encode())
        assert store.saved == [call]
        assert hub.take_pops(care) == [call] and hub.take_pops(retention) == []


async def test_the_end_of_a_call_tells_the_agent_that_was_on_it() -> None:
    hub = DesktopHub()
    store = FakeCustomers(hub)
    pops = pops_with(hub, store)
    customer = new_customer()
    ended = record(customer, agent_id=None, queue=None, version=4)
    async with hub.subscribe(CARE) as care:
        await pops.on_record(None, ended.model_dump_json().encode())
        assert hub.take_pops(care) == []  # no call this replica saw: nobody to tell
        await pops.on_record(None, record(customer, CARE.id).model_dump_json().encode())
        hub.take_pops(care)
        await pops.on_record(None, ended.model_dump_json().encode())
        assert hub.take_pops(care) == [ended]
        assert store.saved[-1].live_contact is not None  # the ended one is not stored here


async def test_a_call_handed_to_another_agent_pops_there_and_tells_the_first() -> None:
    hub = DesktopHub()
    pops = pops_with(hub, FakeCustomers(hub))
    customer = new_customer()
    async with hub.subscribe(CARE) as care, hub.subscribe(RETENTION) as retention:
        await pops.on_record(None, record(customer, CARE.id).model_dump_json().encode())
        hub.take_pops(care)
        moved = record(customer, RETENTION.id, version=5)
        await pops.on_record(None, moved.model_dump_json().encode())
        assert hub.take_pops(retention) == [moved] and hub.take_pops(care) == [moved]


async def test_an_erasure_forgets_the_customer_and_an_unreadable_record_is_skipped() -> None:
    hub = DesktopHub()
    store = FakeCustomers(hub)
    pops = pops_with(hub, store)
    await pops.on_record(b"cust-gone", None)
    assert store.forgotten == ["cust-gone"]
    async with hub.subscribe(CARE) as care:
        await pops.on_record(b"cust-bad", b"{not json")
        assert not care.is_set() and store.saved == []


def test_the_fake_matches_the_store_it_stands_for() -> None:
    assert {"save", "forget"} <= set(dir(CustomerStore))


async def test_a_record_of_no_call_for_a_customer_it_never_saw_is_not_even_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import services.actions.consumers.screen_pop as screen_pop

    parsed: list[bytes] = []

    class Counting(CustomerRecord):
        @classmethod
        def model_validate_json(cls, data: Any, **kwargs: Any) -> CustomerRecord:  # type: ignore[override]
            parsed.append(data)
            return CustomerRecord.model_validate_json(data, **kwargs)

    monkeypatch.setattr(screen_pop, "CustomerRecord", Counting)
    hub = DesktopHub()
    store = FakeCustomers(hub)
    pops = pops_with(hub, store)
    customer = new_customer()
    quiet = record(customer, agent_id=None, queue=None, version=2).model_dump_json().encode()
    call = record(customer, CARE.id).model_dump_json().encode()
    async with hub.subscribe(CARE) as care:
        await pops.on_record(customer.encode(), quiet)
        assert parsed == [] and hub.take_pops(care) == [] and store.saved == []
        await pops.on_record(customer.encode(), call)
        assert len(hub.take_pops(care)) == 1
        await pops.on_record(customer.encode(), quiet)  # now its call's end is news
        assert len(hub.take_pops(care)) == 1 and parsed == [call, quiet]
