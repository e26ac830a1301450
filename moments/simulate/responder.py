"""The customers' side of a recommendation: the desktop stream in, outcomes out.

`DesktopResponder` subscribes to actions' SSE stream with an agent token, and for every
recommendation about a simulated customer asks the simulation whether that customer
takes it up (their latent propensity, and how the contact lands with them), and posts
the outcome.
Holdout customers' recommendations never reach a desktop, so they are never answered:
that is what makes the holdout a control group.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from moments.simulate.domain.simulation import Simulation

log = logging.getLogger(__name__)


@dataclass
class Answered:
    seen: int = 0
    accepted: int = 0
    declined: int = 0
    failed: int = 0


async def sse_messages(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON `data` of each `recommendation` event on a Server-Sent Events stream."""
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data and event == "recommendation":
                yield json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


class DesktopResponder:
    def __init__(self, simulation: Simulation, actions_url: str, agent_token: str):
        self.simulation = simulation
        self.actions_url, self.agent_token = actions_url.rstrip("/"), agent_token
        self.answered = Answered()

    async def run(self) -> None:
        """Answer recommendations until cancelled; reconnects if the stream drops."""
        headers = {"Authorization": f"Bearer {self.agent_token}"}
        last_seq = ""
        async with httpx.AsyncClient(base_url=self.actions_url, timeout=None) as client:
            while True:
                try:
                    resume = {"Last-Event-ID": last_seq} if last_seq else {}
                    async with client.stream(
                        "GET", "/v1/desktop/stream", headers={**headers, **resume}
                    ) as response:
                        response.raise_for_status()
                        async for rec in sse_messages(response):
                            last_seq = str(rec.get("seq", last_seq))
                            await self._answer(client, headers, rec)
                except httpx.HTTPError as error:
                    log.warning("desktop stream dropped (%s); reconnecting", error)
                    await asyncio.sleep(1.0)

    async def _answer(
        self, client: httpx.AsyncClient, headers: dict[str, str], rec: dict[str, Any]
    ) -> None:
        customer_id, code = rec.get("customer_id", ""), rec.get("action", {}).get("code", "")
        if customer_id not in self.simulation.lives or rec.get("status") != "open":
            return  # someone else's customer, or already dealt with
        self.answered.seen += 1
        # An agent's card: a person reaches the customer (reception.py takes it from here).
        outcome, _ = self.simulation.contact(customer_id, rec["id"], code, "desktop")
        response = await client.post(
            f"/v1/recommendations/{rec['id']}/outcome",
            json={"outcome": outcome, "note": "simulated customer"},
            headers=headers,
        )
        if response.status_code == 201:
            if outcome == "accepted":
                self.answered.accepted += 1
            else:
                self.answered.declined += 1
        else:
            self.answered.failed += 1
