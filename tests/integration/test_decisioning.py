"""Decisioning end to end on a real broker and PostgreSQL, services as processes: customers
played through several moments over simulated days (event times in the past: every rule
counts in event time), asserting the decisions, the suppressions and what was learned."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from schemas.topics import Topics
from services.actions.adapters.people import create_agent
from services.ingest.adapters.keys import create_key
from tests.backends import Backend
from tests.harness import ServiceProcess, cloudevent, eventually, produce, read_topic
from tests.integration.conftest import base_url

# Twenty days ago at 10:00 UTC: far enough back for days of moments, close enough that
# the issues are still open when the test asks for the next best action now.
DAY0 = (datetime.now(UTC) - timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)


def at(days: float, hours: float = 0) -> str:
    return (DAY0 + timedelta(days=days, hours=hours)).isoformat()


class Channel:
    """Sends a customer's events to ingest and waits for what actions makes of them."""

    def __init__(self, client: httpx.AsyncClient, key: str, pool: asyncpg.Pool, run_id: str):
        self.client, self.key, self.pool, self.run_id = client, key, pool, run_id
        self.sent = 0

    async def send(self, customer: str, kind: str, data: dict[str, Any], when: str) -> None:
        self.sent += 1
        event = cloudevent(customer, kind, data, event_id=f"{self.run_id}-{self.sent}", time_=when)
        answer = await self.client.post(
            "/v1/events",
            content=json.dumps(event),
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/cloudevents+json",
            },
        )
        assert answer.status_code == 202, answer.text

    async def decided(self, customer: str, count: int) -> list[asyncpg.Record]:
        """Wait for the customer's `count`-th decision; returns them all, oldest first."""

        async def enough() -> list[asyncpg.Record] | None:
            rows = await self.pool.fetch(
                "select candidates, explanation, moment_at from decisions"
                " where customer_id = $1 order by moment_at",
                customer,
            )
            return list(rows) if len(rows) >= count else None

        return await eventually(enough, 60, f"decision {count} for {customer}")

    async def cards(self, customer: str) -> list[asyncpg.Record]:
        return list(
            await self.pool.fetch(
                "select id, action_code, channel, status, payload from recommendations"
                " where customer_id = $1 order by seq",
                customer,
            )
        )


def verdict(decision: asyncpg.Record, code: str) -> tuple[str, str]:
    candidate = next(c for c in decision["candidates"] if c["action_code"] == code)
    return candidate["verdict"], candidate["reason"]


async def tally(pool: asyncpg.Pool, code: str) -> tuple[float, float]:
    row = await pool.fetchrow(
        "select successes, failures from action_tallies where action_code = $1 and segment = 'all'",
        code,
    )
    return (row["successes"], row["failures"]) if row else (0.0, 0.0)


async def test_customers_through_moments_over_days_decisions_suppressions_and_learning(
    backend: Backend,
    topics: Topics,
    services: Callable[..., ServiceProcess],
    pool: asyncpg.Pool,
    api_key: str,
    run_id: str,
) -> None:
    ingest, signals, actions = services("ingest"), services("signals"), services("actions")
    for process in (ingest, signals, actions):
        await process.wait_ready()
    token = await create_agent(
        pool, f"agent-{run_id}", ["care", "retention", "complaints", "collections"], "Test"
    )
    stranger = await create_agent(pool, f"stranger-{run_id}", ["sales"], "Elsewhere")
    email_key = (await create_key(pool, "/channels/email", ["outcome"], "email channel")).key
    agent = {"Authorization": f"Bearer {token}"}
    story, quiet, tired = (f"cust-{run_id}-{name}" for name in ("story", "quiet", "tired"))

    async with (
        httpx.AsyncClient(base_url=base_url(ingest)) as ingest_client,
        httpx.AsyncClient(base_url=base_url(actions)) as client,
    ):
        channel = Channel(ingest_client, api_key, pool, run_id)

        # Day 0: a divorce. The card is separation support, not bereavement support.
        await channel.send(
            story, "life_event.reported", {"channel": "voice", "kind": "divorce"}, at(0)
        )
        [first] = await channel.decided(story, 1)
        assert verdict(first, "care.separation_support")[0] == "won"
        assert verdict(first, "care.bereavement_support")[0] == "ineligible"

        # Day 0, an hour on: the same complaint three times in minutes is one card.
        for minute in range(3):
            await channel.send(
                story,
                "complaint.filed",
                {"channel": "email", "category": "billing", "severity": "medium"},
                at(0, 1 + minute / 60),
            )

        async def complaint_thrice() -> list[asyncpg.Record] | None:
            cards = [
                c for c in await channel.cards(story) if c["action_code"] == "complaints.own_it"
            ]
            return cards if cards and cards[-1]["payload"]["occurrences"] == 3 else None

        [complaint] = await eventually(complaint_thrice, 60, "one complaint card, three times")
        assert len(complaint["payload"]["why"]["signals"]) == 3

        # Day 2: asking to cancel. The card carries the divorce into the conversation.
        decisions = len(await channel.decided(story, 1))
        await channel.send(
            story,
            "cancellation.requested",
            {"channel": "voice", "product": "broadband", "reason": "moving out"},
            at(2),
        )
        await channel.decided(story, decisions + 1)
        [cancel] = [
            c for c in await channel.cards(story) if c["action_code"] == "retention.life_changed"
        ]
        reasons = cancel["payload"]["why"]["reasons"]
        assert "Asked to cancel broadband on voice" in reasons
        assert any(
            r.startswith("Earlier: Told us about a divorce or separation (2 days ago)")
            for r in reasons
        )
        assert not [
            c
            for c in await channel.cards(story)
            if c["action_code"] == "retention.ask_what_changed"
        ]

        # The agent walks the guide to the life-events team: a follow-on card for care.
        path = [
            {"step": "ask", "answer": "Yes, that is why"},
            {"step": "team", "answer": "Yes, put me through"},
            {"step": "to_team"},
        ]
        walked = await client.post(
            f"/v1/recommendations/{cancel['id']}/outcome",
            json={"outcome": "accepted", "path": path},
            headers=agent,
        )
        assert walked.status_code == 201 and walked.json()["path"] == [
            {**choice, "answer": choice.get("answer")} for choice in path
        ]
        [team] = [
            c for c in await channel.cards(story) if c["action_code"] == "care.life_events_team"
        ]
        assert team["payload"]["queue"] == "care"

        # Day 3: a renewal 30% up, above what a new customer pays. No loyalty penalty:
        # confirming the quote is refused, the fair price goes to the desktop and email.
        decisions = len(await channel.decided(story, 1))
        await channel.send(
            story,
            "renewal.quoted",
            {
                "product": "broadband",
                "previous_price": 400.0,
                "quoted_price": 520.0,
                "currency": "EUR",
            },
            at(3),
        )
        renewal = (await channel.decided(story, decisions + 1))[-1]
        assert verdict(renewal, "renewal.confirm_quote") == (
            "ineligible",
            "Would price broadband at 520.00 EUR, above the 420.00 a new customer pays",
        )
        assert verdict(renewal, "retention.fair_renewal_price")[0] == "won"
        [email] = [c for c in await channel.cards(story) if c["channel"] == "email"]
        assert "Offer broadband at 400.00 EUR (quoted 520.00)" in email["payload"]["why"]["reasons"]

        # The email channel reports that the customer took it, with its own key; actions
        # learns it from `outcomes`, once however often it is posted.
        body = {"id": f"mail-{run_id}", "recommendation_id": email["id"], "outcome": "accepted"}
        for _ in range(2):
            posted = await client.post(
                "/v1/outcomes", json=body, headers={"Authorization": f"Bearer {email_key}"}
            )
            assert posted.status_code == 201 and posted.json()["channel"] == "email"
        refused = await client.post("/v1/outcomes", json=body, headers=agent)
        assert refused.status_code == 401

        async def learned_email() -> bool:
            return await tally(pool, "email.renewal_options") == (1.0, 0.0)

        await eventually(learned_email, 30, "the email's outcome learned")

        # Quiet hours: a missed payment at 22:30 in Berlin gets a person, not an SMS.
        await channel.send(quiet, "profile.updated", {"timezone": "Europe/Berlin"}, at(1, 11))
        await channel.send(
            quiet,
            "payment.missed",
            {"amount": 54.0, "currency": "EUR", "days_overdue": 12},
            at(1, 11.5),
        )
        [night] = await channel.decided(quiet, 1)
        sms_verdict, sms_reason = verdict(night, "sms.payment_help")
        assert sms_verdict == "ineligible" and sms_reason.startswith("Quiet hours: ")
        assert "in Europe/Berlin, so no sms before 08:00" in sms_reason
        assert verdict(night, "collections.breathing_space")[0] == "won"

        # Two declines in thirty days suppress an action; both are learned as failures.
        for n, day in enumerate((0, 8)):
            await channel.send(
                tired, "feedback.submitted", {"channel": "app", "scale": "nps", "score": 2}, at(day)
            )
            await channel.decided(tired, n + 1)
            [card] = [
                c
                for c in await channel.cards(tired)
                if c["action_code"] == "care.listen_and_reassure" and c["status"] == "open"
            ]
            declined = await client.post(
                f"/v1/recommendations/{card['id']}/outcome",
                json={"outcome": "declined", "reason": "customer_not_interested"},
                headers=agent,
            )
            assert declined.status_code == 201
        await channel.send(
            tired, "feedback.submitted", {"channel": "app", "scale": "nps", "score": 1}, at(16)
        )
        third = (await channel.decided(tired, 3))[-1]
        suppressed, why = verdict(third, "care.listen_and_reassure")
        assert suppressed == "ineligible"
        assert why.startswith("Declined 2 times in the last 30 days: not offered again before")
        assert (
            len(
                [
                    c
                    for c in await channel.cards(tired)
                    if c["action_code"] == "care.listen_and_reassure"
                ]
            )
            == 2
        )

        async def learned_declines() -> bool:
            return await tally(pool, "care.listen_and_reassure") == (0.0, 2.0)

        await eventually(learned_declines, 30, "both declines learned")

        # Replaying `outcomes` (a restart, a rebalance) teaches nothing twice.
        replay = await read_topic(backend.bootstrap_servers, topics.outcomes, lambda m: len(m) >= 4)
        await produce(
            backend.bootstrap_servers, topics.outcomes, [(m.key, m.value, []) for m in replay]
        )
        # Then one outcome produced straight to the topic per customer replayed (a
        # channel may do that): behind the replays on their partitions, so once they
        # are stored the replays have been read.
        tired_card = (await channel.cards(tired))[0]
        markers = [
            (story, team["id"], "care.life_events_team", "completed"),
            (tired, tired_card["id"], "care.listen_and_reassure", "snoozed"),
        ]
        await produce(
            backend.bootstrap_servers,
            topics.outcomes,
            [
                (
                    customer.encode(),
                    json.dumps(
                        {
                            "id": f"marker-{customer}",
                            "recommendation_id": rec_id,
                            "customer_id": customer,
                            "action_code": code,
                            "outcome": outcome,
                            "recorded_at": datetime.now(UTC).isoformat(),
                        }
                    ).encode(),
                    [],
                )
                for customer, rec_id, code, outcome in markers
            ],
        )

        async def markers_stored() -> bool:
            count = await pool.fetchval(
                "select count(*) from outcomes where id = any($1)",
                [f"marker-{story}", f"marker-{tired}"],
            )
            return int(count) == 2

        await eventually(markers_stored, 30, "the outcomes produced straight to the topic")
        assert await tally(pool, "care.life_events_team") == (1.0, 0.0)
        assert await tally(pool, "care.listen_and_reassure") == (0.0, 2.0)
        assert await tally(pool, "email.renewal_options") == (1.0, 0.0)
        stored = await pool.fetchval("select status from recommendations where id = $1", team["id"])
        assert stored == "completed"

        # Asking: the ranked candidates, the winners and why, for an agent who may see them.
        asked = await client.get(f"/v1/customers/{story}/next-best-action", headers=agent)
        assert asked.status_code == 200
        answer = asked.json()
        scores = [c["score"] for c in answer["candidates"] if c["score"] is not None]
        assert scores == sorted(scores, reverse=True) and answer["explanation"]
        assert {c["verdict"] for c in answer["candidates"]} <= {"won", "lost", "ineligible"}
        before = await pool.fetchval(
            "select count(*) from recommendations where customer_id = $1", story
        )
        again = await client.get(f"/v1/customers/{story}/next-best-action", headers=agent)
        assert again.status_code == 200
        after = await pool.fetchval(
            "select count(*) from recommendations where customer_id = $1", story
        )
        assert before == after  # asking stores nothing
        other = await client.get(
            f"/v1/customers/{story}/next-best-action",
            headers={"Authorization": f"Bearer {stranger}"},
        )
        assert other.status_code == 404
