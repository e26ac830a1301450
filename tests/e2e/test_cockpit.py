"""The agent's cockpit in a real browser (Debian's Chromium, headless), on the stack that
`moments run` starts: the screen-pop within a second of `contact.started`, the guided
conversation posting its path, decline with a reason, the queue that never moves under
the agent, and the page at 1920, 1280 and 480 px. `make screenshots` keeps a screenshot of
each state in docs/ (the README shows them).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from schemas.recommendations import DeclineReason
from services.actions.domain.decisioning.catalogue import load_catalogue
from services.actions.settings import DEFAULT_CATALOGUE
from tests.e2e.stack import (
    RunningStack,
    as_agent,
    call_started,
    cancellation,
    chromium,
    event,
    hanging_up,
    history,
    post,
    shown_customer,
)
from tests.harness import eventually

# A three-step conversation for an action whose catalogue entry has no guide yet.
# The shipped catalogue's guide for a cancellation (catalogue.toml,
# retention.ask_what_changed), read from the catalogue so the test follows it.
GUIDE = next(
    e.guide
    for e in load_catalogue(DEFAULT_CATALOGUE).entries
    if e.code == "retention.ask_what_changed"
)
SAY = {step.id: step.say for step in GUIDE.steps} if GUIDE else {}


async def open_desktop(stack: RunningStack, page: Page) -> None:
    await page.goto(f"{stack.actions}/desktop#token={stack.token}")
    await page.wait_for_selector("#status.live", timeout=15_000)


async def known(
    stack: RunningStack, customer: str, moments: int, signals: int = 0
) -> dict[str, Any]:
    """Wait until actions has the customer's record with `moments` moments, and has acted
    on `signals` of their signals (the two arrive by different topics)."""

    async def check() -> dict[str, Any] | None:
        try:
            view: dict[str, Any] = await as_agent(stack, f"/v1/customers/{customer}")
        except AssertionError:
            return None
        kinds = [e["kind"] for e in view["timeline"]]
        enough = kinds.count("moment") >= moments and kinds.count("signal") >= signals
        return view if enough else None

    return await eventually(check, 30, f"actions knows {customer}")


SCRATCH = tempfile.mkdtemp(prefix="moments-shots-")


async def shot(page: Page, name: str, full_page: bool = True) -> None:
    """A screenshot of the state the test reached: into MOMENTS_SCREENSHOTS (`make
    screenshots` sets it to docs/, where the README's come from), else a temporary file,
    so a test run leaves the checkout as it was."""
    folder = Path(os.environ.get("MOMENTS_SCREENSHOTS") or SCRATCH)
    taken = await page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
    assert taken, name


async def test_a_call_pops_the_customers_cockpit_within_a_second(stack: RunningStack) -> None:
    customer = shown_customer("pop")
    await post(stack, *history(stack, customer, "Ada Brennan", vulnerable=True))
    await known(stack, customer, 2, signals=1)
    async with chromium() as browser, hanging_up(stack, customer):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        urls: list[str] = []
        page.on("request", lambda request: urls.append(request.url))
        await open_desktop(stack, page)
        assert page.url == f"{stack.actions}/desktop"  # the token left the address bar
        started = time.monotonic()
        await post(stack, call_started(stack, customer))
        await page.locator("#cockpit-title", has_text="Ada Brennan").wait_for(timeout=5_000)
        popped = time.monotonic() - started
        assert popped < 1.0, f"the cockpit popped {popped:.2f} s after contact.started"
        cockpit = page.locator("#cockpit")
        text = await cockpit.inner_text()
        assert re.search(r"On the line · voice · retention queue · since", text)
        assert "Take extra care." in text and "make no sales offers" in text
        facts = await page.locator(".facts").inner_text()
        for fact in ("Segment\nconsumer", "Customer for\n12 months", "Value tier\nHigh"):
            assert fact in facts
        assert "Prefers\nvoice" in facts
        consents = await page.locator(".consents").inner_text()
        assert "Service contact: yes" in consents and "Marketing: no" in consents
        assert "Profiling: yes" in consents
        gauge = await page.locator("svg.gauge").get_attribute("aria-label")
        assert gauge is not None and re.fullmatch(r"Health \d+ of 100, (Strained|Steady)", gauge)
        reasons = await page.locator(".reasons").inner_text()
        assert "A complaint about billing (high), 10 days ago" in reasons
        trend = await page.locator("svg.trend").get_attribute("aria-label")
        assert trend is not None and trend.startswith("Health over the last 90 days: from ")
        timeline = await page.locator(".timeline").inner_text()
        assert "Complained about billing (high)" in timeline
        assert "From complaint.filed" in timeline  # the signal, with its evidence
        assert "Own the complaint end to end" in await page.locator(".guide").inner_text()

        await post(stack, cancellation(stack, customer))
        # Not yet started, so the better action (priority 90 over 85) takes the lead.
        title = page.locator("#guide-title", has_text="Ask what has changed")
        await title.wait_for(timeout=15_000)
        assert "Own the complaint" in await page.locator(".also").inner_text()
        assert "Asked to cancel broadband" in await page.locator(".timeline").inner_text()
        await shot(page, "cockpit-1280")
        await page.set_viewport_size({"width": 480, "height": 900})
        await shot(page, "cockpit-480")
    assert any("/v1/desktop/stream?ticket=" in url for url in urls)
    assert not [url for url in urls if stack.token in url]


async def test_walking_the_guided_conversation_posts_the_path(stack: RunningStack) -> None:
    customer = shown_customer("walk")
    await post(stack, cancellation(stack, customer))
    await eventually(
        lambda: open_for(stack, customer), 30, "the cancellation's recommendation is open"
    )
    async with chromium() as browser, hanging_up(stack, customer):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await open_desktop(stack, page)
        await post(stack, call_started(stack, customer))
        await page.locator("#cockpit-title", has_text=customer).wait_for(timeout=10_000)
        say = page.locator("#guide-say")
        await say.wait_for(timeout=10_000)
        assert await say.inner_text() == SAY["ask"]
        # By keyboard: the step has focus after each answer, its answers come next.
        await page.get_by_role("button", name="It costs too much").focus()
        await page.keyboard.press("Enter")
        await page.locator("#guide-say", has_text=SAY["price"]).wait_for()
        assert await page.evaluate("document.activeElement.id") == "guide-say"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Takes the better price"
        await shot(page, "guided-step-1280")
        await page.set_viewport_size({"width": 480, "height": 900})
        await shot(page, "guided-step-480")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.keyboard.press("Enter")
        await page.locator("#guide-say", has_text=SAY["kept"]).wait_for()
        assert "It costs too much" in await page.locator(".path").inner_text()
        await page.locator("#guide-note").fill("Kept at the new-customer price")
        await page.get_by_role("button", name="Record: accepted").click()
        await page.get_by_text("Nothing to recommend right now").wait_for(timeout=10_000)
    view = await as_agent(stack, f"/v1/customers/{customer}")
    outcome = next(e for e in view["timeline"] if e["kind"] == "outcome")
    assert outcome["outcome"] == "accepted"
    assert outcome["note"] == "Kept at the new-customer price"
    assert outcome["path"] == [
        {"step": "ask", "answer": "It costs too much"},
        {"step": "price", "answer": "Takes the better price"},
        {"step": "kept", "answer": None},
    ]


async def open_for(stack: RunningStack, customer: str) -> list[dict[str, Any]]:
    body = await as_agent(stack, f"/v1/customers/{customer}/recommendations")
    return list(body["open"])


async def test_declining_asks_for_a_reason_and_records_it(stack: RunningStack) -> None:
    customer = shown_customer("decline")
    async with chromium() as browser, hanging_up(stack, customer):
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await open_desktop(stack, page)
        await post(stack, call_started(stack, customer))
        await page.locator("#cockpit-title", has_text=customer).wait_for(timeout=10_000)
        await post(stack, cancellation(stack, customer))
        await page.locator("#guide-title", has_text="Ask what has changed").wait_for(timeout=15_000)
        await page.get_by_role("button", name="Decline…").click()
        dialog = page.get_by_role("dialog", name="Why decline?")
        await dialog.wait_for()
        offered = await dialog.locator("input[name=decline-reason]").evaluate_all(
            "inputs => inputs.map(i => i.value)"
        )
        assert offered == [reason.value for reason in DeclineReason]
        await shot(page, "decline-1280", full_page=False)
        await page.set_viewport_size({"width": 480, "height": 900})
        await shot(page, "decline-480", full_page=False)
        await page.set_viewport_size({"width": 1280, "height": 900})
        await dialog.get_by_role("button", name="Decline").click()  # no reason chosen yet
        assert await dialog.is_visible()
        await dialog.get_by_label("Customer not interested").check()
        await dialog.get_by_label("Note (optional)").fill("Will think it over")
        await dialog.get_by_role("button", name="Decline").click()
        await page.get_by_text("Nothing to recommend right now").wait_for(timeout=10_000)
    view = await as_agent(stack, f"/v1/customers/{customer}")
    outcome = next(e for e in view["timeline"] if e["kind"] == "outcome")
    assert (outcome["outcome"], outcome["reason"]) == ("declined", "customer_not_interested")
    assert outcome["note"] == "Will think it over"
    assert outcome["path"] == []  # declined before the first answer
    assert view["open_recommendations"] == []


async def test_the_queue_keeps_the_focused_card_in_place_while_new_ones_arrive(
    stack: RunningStack,
) -> None:
    first = [shown_customer("queue") for _ in range(9)]
    complaint = {"channel": "email", "category": "billing", "severity": "high"}
    await post(
        stack,
        *(cancellation(stack, c) for c in first),
        event(stack, first[0], "complaint.filed", complaint),
    )
    for customer in first:
        await eventually(lambda c=customer: open_for(stack, c), 30, f"{customer} decided")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await open_desktop(stack, page)
        await page.locator("#to-queue").click()
        await eventually(lambda: groups_count(page, 8), 10, "a full first page")
        order = await groups(page)
        pointed = order[3]  # a card in the middle of the first page
        target = page.locator(f"#open-{pointed}")
        await target.focus()
        before = await target.bounding_box()
        later = [shown_customer("arrival") for _ in range(3)]
        await post(stack, *(cancellation(stack, c) for c in later))
        await page.get_by_text("3 new recommendations waiting.").wait_for(timeout=30_000)
        assert await page.evaluate("document.activeElement.id") == f"open-{pointed}"
        assert await target.bounding_box() == before
        assert await groups(page) == order
        assert not set(later) & set(order)
        await shot(page, "queue-1280", full_page=False)
        await page.set_viewport_size({"width": 480, "height": 900})
        await shot(page, "queue-480", full_page=False)
        await page.set_viewport_size({"width": 1280, "height": 900})

        await page.get_by_role("button", name="Show them").click()
        assert await page.evaluate("document.activeElement.id") == "queue-title"
        everyone, priorities = await every_page(page)
        assert set(first) | set(later) <= set(everyone)
        # By priority, then the longest waiting first: these nine were there before.
        assert priorities == sorted(priorities, reverse=True)
        assert max(everyone.index(c) for c in first) < min(everyone.index(c) for c in later)
        await page.get_by_label("Queue", exact=True).select_option("complaints")
        queues = await page.locator("li.rec .muted").all_inner_texts()
        assert queues and all(q.startswith("complaints ·") for q in queues)
        assert first[0] in await groups(page) and first[1] not in await groups(page)


async def every_page(page: Page) -> tuple[list[str], list[int]]:
    """Every group's customer and top priority, page after page (8 groups a page)."""
    assert (await page.locator("#page-label").inner_text()).startswith("Page 1 of ")
    customers, priorities = [], []
    while True:
        shown = await groups(page)
        assert len(shown) <= 8
        customers += shown
        priorities += [int(p[1:]) for p in await first_priorities(page)]
        following = page.get_by_role("button", name="Next")
        if await following.is_disabled():
            return customers, priorities
        await following.click()


async def groups_count(page: Page, at_least: int) -> bool:
    return len(await groups(page)) >= at_least


async def groups(page: Page) -> list[str]:
    return list(
        await page.locator("li.group").evaluate_all("items => items.map(i => i.dataset.customer)")
    )


async def first_priorities(page: Page) -> list[str]:
    return list(
        await page.locator("li.group").evaluate_all(
            "items => items.map(i => i.querySelector('.priority').textContent)"
        )
    )
