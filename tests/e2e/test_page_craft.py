"""Craft of the pages: no serious or critical accessibility violation (axe-core, from the
npm registry at test-install time), no sideways scrolling at 1920, 1280 and 480 px, and
the OpenAPI pages render from the stack alone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from tests.e2e.stack import (
    RunningStack,
    call_started,
    cancellation,
    chromium,
    hanging_up,
    history,
    npm_package,
    post,
    shown_customer,
)


async def on_a_call(stack: RunningStack, page: Page, customer: str, name: str) -> None:
    """The desktop open on a vulnerable customer's call, a recommendation in view."""
    await page.goto(f"{stack.actions}/desktop#token={stack.token}")
    await page.wait_for_selector("#status.live", timeout=15_000)
    await post(stack, *history(stack, customer, name, vulnerable=True))
    await post(stack, call_started(stack, customer))
    await page.locator("#cockpit-title", has_text=name).wait_for(timeout=10_000)
    await post(stack, cancellation(stack, customer))
    await page.locator("#guide-title", has_text="Ask what has changed").wait_for(timeout=20_000)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(" "))}))"""
    )
    return found


@pytest.mark.parametrize("width", [1280, 480])
async def test_no_serious_or_critical_accessibility_violations(
    stack: RunningStack, width: int
) -> None:
    axe = npm_package("axe-core", "axe.min.js").read_text()
    customer = shown_customer("axe")
    async with chromium() as browser, hanging_up(stack, customer):
        # The page's policy allows only its own scripts; axe is the test's, not the page's.
        context = await browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=True
        )
        page = await context.new_page()
        await page.goto(f"{stack.actions}/desktop#token={stack.token}")
        await page.wait_for_selector("#status.live", timeout=15_000)
        await page.add_script_tag(content=axe)
        states = {"queue": await serious_violations(page)}
        await on_a_call(stack, page, customer, f"Cai Axe {width}")
        states["cockpit"] = await serious_violations(page)
        await page.get_by_role("button", name="Decline…").click()
        await page.get_by_role("dialog", name="Why decline?").wait_for()
        states["decline dialog"] = await serious_violations(page)
        await context.close()
    assert states == {"queue": [], "cockpit": [], "decline dialog": []}


async def test_no_sideways_scrolling_at_1920_1280_and_480(stack: RunningStack) -> None:
    customer = shown_customer("wide")
    async with chromium() as browser, hanging_up(stack, customer):
        page = await browser.new_page(viewport={"width": 1920, "height": 1000})
        await on_a_call(stack, page, customer, "Dee Wide")
        overflow = {}
        for width in (1920, 1280, 480):
            await page.set_viewport_size({"width": width, "height": 900})
            for view in ("cockpit", "queue"):
                if view == "queue":
                    await page.locator("#to-queue").click()
                else:
                    await page.locator(f"#calls button[data-customer='{customer}']").click()
                    await page.locator("#cockpit:not([hidden])").wait_for()
                overflow[(width, view)] = await page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
    assert all(extra <= 0 for extra in overflow.values()), overflow


@pytest.mark.parametrize(
    ("service", "operation"), [("ingest", "/v1/events"), ("actions", "/v1/desktop/tickets")]
)
async def test_api_docs_render_with_nothing_from_outside_the_stack(
    stack: RunningStack, service: str, operation: str
) -> None:
    origin = stack.ingest if service == "ingest" else stack.actions
    async with chromium() as browser:
        page = await browser.new_page()
        requested: list[str] = []
        failed: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("requestfailed", lambda request: failed.append(request.url))
        await page.goto(f"{origin}/docs")
        block = page.locator(".opblock-summary-path", has_text=operation).first
        await block.wait_for(timeout=15_000)
        assert await page.locator(".opblock").count() >= 3
        assert "Unable to render" not in await page.locator("body").inner_text()
    assert f"{origin}/docs/assets/swagger-ui-bundle.js" in requested
    assert [url for url in requested if not url.startswith(origin)] == []
    assert failed == []
