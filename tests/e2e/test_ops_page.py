"""The operations page in a real headless Chromium, on `moments run` with demo traffic:
its charts move, freezing the signals worker raises a visible alert within 30 s (and
thawing it clears the alert), and the uplift report answers with intervals.

Set MOMENTS_SCREENSHOTS to a folder to keep the page's screenshots (docs/ has one).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from playwright.async_api import Page

from tests.e2e.stack import RunningStack, chromium, launched
from tests.harness import eventually

SIGNALS_ALERT = (
    '.alert[data-code="consumer_stopped"][data-subject="moments-signals"], '
    '.alert[data-code="service_not_ready"][data-subject="signals"]'
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own, with demo traffic for the charts to show."""
    home = tmp_path_factory.mktemp("moments-ops-home")
    yield from launched(home, "--demo-rate", "8", "--demo-customers", "300")


def signals_worker(stack: RunningStack) -> psutil.Process:
    workers = [
        p
        for p in psutil.Process(stack.process.pid).children(recursive=True)
        if "services.signals" in " ".join(p.cmdline())
    ]
    assert len(workers) == 1, [p.cmdline() for p in workers]
    return workers[0]


async def chart_figure(page: Page, chart: str, attribute: str) -> str:
    return await page.locator(f'[data-chart="{chart}"] svg').get_attribute(attribute) or ""


def keep(page_shot: Path, name: str) -> None:
    folder = os.environ.get("MOMENTS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(page_shot, Path(folder) / name)


async def test_the_ops_page_moves_and_alerts_when_the_signals_worker_stops(
    stack: RunningStack, tmp_path: Path
) -> None:
    assert "/ops#token=" in stack.launcher_log()
    token = stack.credentials["operator_token"]
    async with chromium() as browser:
        worker = signals_worker(stack)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.goto(f"{stack.actions}/ops#token={token}")
            await page.wait_for_selector("#status.live", timeout=20_000)
            assert "token" not in page.url  # taken out of the address bar and history

            async def events_flowing() -> bool:
                return float(await chart_figure(page, "events", "data-latest") or 0) > 1

            await eventually(events_flowing, 60, "events per second on the page")
            for chart in ("events_by_type", "signals", "decisions"):
                # Signals and decisions come in batches, so a chart's latest point may be a
                # quiet moment: each must show traffic within a few of its points.

                async def showing(chart: str = chart) -> bool:
                    return float(await chart_figure(page, chart, "data-latest") or 0) > 0

                await eventually(showing, 20, f"the {chart} chart showing traffic")
            before = await page.locator('[data-chart="events"] path.series').first.get_attribute(
                "d"
            )

            async def moved() -> bool:
                after = await page.locator('[data-chart="events"] path.series').first.get_attribute(
                    "d"
                )
                return after != before

            await eventually(moved, 20, "the events chart to move")
            assert await page.locator(SIGNALS_ALERT).count() == 0
            assert await page.locator('[data-service="signals"].chip.ok').count() == 1
            await page.screenshot(path=str(tmp_path / "ops-page.png"), full_page=True)
            keep(tmp_path / "ops-page.png", "ops-page.png")

            worker.send_signal(signal.SIGSTOP)  # frozen: alive, but doing nothing
            stopped = time.monotonic()
            alert = page.locator(SIGNALS_ALERT).first
            await alert.wait_for(state="visible", timeout=30_000)
            raised_after = time.monotonic() - stopped
            assert raised_after < 30
            assert "signals" in await alert.inner_text()
            await page.screenshot(path=str(tmp_path / "ops-alert.png"), full_page=True)
            keep(tmp_path / "ops-alert.png", "ops-alert.png")
        finally:
            worker.send_signal(signal.SIGCONT)
        await page.locator(SIGNALS_ALERT).first.wait_for(state="detached", timeout=90_000)
        assert await page.locator('[data-service="signals"].chip.ok').count() == 1


async def test_the_uplift_report_answers_with_intervals_on_the_demo_run(
    stack: RunningStack,
) -> None:
    headers = {"Authorization": f"Bearer {stack.credentials['operator_token']}"}

    async def report() -> dict[str, object] | None:
        async with httpx.AsyncClient(base_url=stack.actions, timeout=60) as client:
            answer = await client.get("/v1/reports/uplift?min_group_size=2", headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        overall = body["overall"]
        assert isinstance(overall, dict)
        return body if overall["holdout"] >= 2 and overall["treated"] >= 2 else None

    body = await eventually(report, 120, "decisions for treated and held-out customers")
    comparisons = body["overall"]["comparisons"]  # type: ignore[index]
    assert [c["metric"] for c in comparisons] == [
        "retained",
        "complaint",
        "repeat_contact",
        "health",
    ]
    for c in comparisons:
        single, always = c["interval"], c["always_valid"]
        assert always["low"] <= single["low"] and single["high"] <= always["high"], c["metric"]
        if c["kind"] == "proportion":  # Newcombe's interval always holds the difference
            assert single["low"] <= c["difference"] <= single["high"]
        assert c["verdict"] in {"no_effect_shown", "effect_shown"}
    async with httpx.AsyncClient(base_url=stack.actions) as client:
        refused = await client.get("/v1/reports/uplift")
    assert refused.status_code == 401
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(
            f"{stack.actions}/reports/uplift#token={stack.credentials['operator_token']}"
        )
        overall = page.locator('section[data-action="all"]')
        await overall.wait_for(timeout=30_000)
        assert "treated and" in await overall.inner_text()
        assert await overall.locator("li.verdict").count() == 4
