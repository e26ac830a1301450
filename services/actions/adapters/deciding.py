"""The decision's unit of work on PostgreSQL: one transaction per poll of `signals`.

Each statement covers the whole poll: the signals are inserted in one statement, each
history table is read once for all the poll's customers (`customer_id = any($1)`), and
the decisions, new recommendations and strengthened ones are written with one statement
each. Nothing is visible to other transactions until the decisions commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from schemas.customers import CustomerRecord
from schemas.recommendations import DeclineReason, OutcomeKind, Recommendation
from schemas.signals import Signal
from services.actions.domain.decisioning.context import (
    CustomerHistory,
    PastOutcome,
    PastRecommendation,
    Tallies,
    Tally,
    issue_of,
)
from services.actions.domain.decisioning.decide import Decision, NewRecommendation
from services.actions.domain.desktop import StoredRecommendation


async def load_histories(
    connection: asyncpg.Connection, customer_ids: Sequence[str], since: datetime
) -> dict[str, CustomerHistory]:
    ids = list(dict.fromkeys(customer_ids))
    records = await connection.fetch(
        "select customer_id, record from customers where customer_id = any($1)", ids
    )
    signals = await connection.fetch(
        "select customer_id, payload from signals where customer_id = any($1)"
        " and occurred_at >= $2 order by occurred_at, received_at",
        ids,
        since,
    )
    recommendations = await connection.fetch(
        "select customer_id, status, payload, issues, moment_at, open_until"
        " from recommendations"
        # the look-back's, and any still answering its issues however old
        " where customer_id = any($1) and (moment_at >= $2 or open_until >= $2)"
        " order by moment_at, seq",
        ids,
        since,
    )
    outcomes = await connection.fetch(
        "select o.customer_id, o.recommendation_id, o.action_code, o.outcome,"
        " o.payload->>'reason' as reason, r.moment_at from outcomes o"
        " join recommendations r on r.id = o.recommendation_id"
        " where o.customer_id = any($1) and r.moment_at >= $2 order by r.moment_at",
        ids,
        since,
    )
    found: dict[str, dict[str, list[object]]] = {
        c: {"signals": [], "recommendations": [], "outcomes": []} for c in ids
    }
    for row in signals:
        found[row["customer_id"]]["signals"].append(Signal.model_validate(row["payload"]))
    for row in recommendations:
        rec = Recommendation.model_validate(row["payload"])
        if not rec.issues and row["issues"]:  # decided before recommendations named them
            rec = rec.model_copy(update={"issues": list(row["issues"])})
        found[row["customer_id"]]["recommendations"].append(
            PastRecommendation(
                rec,
                row["status"],
                row["moment_at"],
                row["open_until"],
            )
        )
    for row in outcomes:
        found[row["customer_id"]]["outcomes"].append(
            PastOutcome(
                row["recommendation_id"],
                row["action_code"],
                OutcomeKind(row["outcome"]),
                DeclineReason(row["reason"]) if row["reason"] else None,
                row["moment_at"],
            )
        )
    record_of = {r["customer_id"]: CustomerRecord.model_validate(r["record"]) for r in records}
    return {
        c: CustomerHistory(
            record_of.get(c),
            tuple(parts["signals"]),  # type: ignore[arg-type]
            tuple(parts["recommendations"]),  # type: ignore[arg-type]
            tuple(parts["outcomes"]),  # type: ignore[arg-type]
        )
        for c, parts in found.items()
    }


async def load_tallies(connection: asyncpg.Connection | asyncpg.Pool) -> Tallies:
    rows = await connection.fetch(
        "select action_code, segment, successes, failures from action_tallies"
    )
    return {(r["action_code"], r["segment"]): Tally(r["successes"], r["failures"]) for r in rows}


class PostgresDecisionUnit:
    def __init__(self, connection: asyncpg.Connection):
        self.connection = connection

    async def record_signals(self, signals: Sequence[Signal]) -> list[Signal]:
        unique = list({s.id: s for s in signals}.values())
        if not unique:
            return []
        inserted = await self.connection.fetch(
            "insert into signals(id, customer_id, type, issue, occurred_at, payload)"
            " select * from unnest($1::text[], $2::text[], $3::text[], $4::text[],"
            " $5::timestamptz[], $6::jsonb[])"
            " on conflict (id) do nothing returning id",
            [s.id for s in unique],
            [s.customer_id for s in unique],
            [s.type.value for s in unique],
            [issue_of(s) for s in unique],
            [s.occurred_at for s in unique],
            [s.model_dump(mode="json") for s in unique],
        )
        new = {row["id"] for row in inserted}
        return [s for s in unique if s.id in new]

    async def histories(
        self, customer_ids: Sequence[str], since: datetime
    ) -> dict[str, CustomerHistory]:
        return await load_histories(self.connection, customer_ids, since)

    async def tallies(self) -> Tallies:
        return await load_tallies(self.connection)

    async def save(
        self, decisions: Sequence[Decision], decided_at: datetime
    ) -> list[StoredRecommendation]:
        if not decisions:
            return []
        await self.connection.execute(
            # JSON lists go as text: asyncpg would read a list of lists as a 2-D array
            "insert into decisions(id, customer_id, moment_at, decided_at, holdout, candidates,"
            " explanation) select u.id, u.customer_id, u.moment_at, u.decided_at, u.holdout,"
            " u.candidates::jsonb, u.explanation::jsonb from unnest($1::text[], $2::text[],"
            " $3::timestamptz[], $4::timestamptz[], $5::bool[], $6::text[], $7::text[])"
            " as u(id, customer_id, moment_at, decided_at, holdout, candidates, explanation)"
            " on conflict (id) do nothing",
            [d.id for d in decisions],
            [d.customer_id for d in decisions],
            [d.at for d in decisions],
            [decided_at for _ in decisions],
            [d.holdout for d in decisions],
            [json.dumps([c.model_dump(mode="json") for c in d.candidates]) for d in decisions],
            [json.dumps(list(d.explanation)) for d in decisions],
        )
        shown = await self.add([m for d in decisions for m in d.made])
        updates = [s for d in decisions for s in d.strengthened]
        if updates:
            rows = await self.connection.fetch(
                "update recommendations r set payload = u.payload, expires_at = u.expires_at,"
                " open_until = u.open_until, updated_at = u.updated_at,"
                " published_at = case when u.republish then null else r.published_at end,"
                " desktop_pos = case when u.republish then null else r.desktop_pos end"
                " from unnest($1::text[], $2::jsonb[], $3::timestamptz[], $4::timestamptz[],"
                " $5::timestamptz[], $6::bool[])"
                " as u(id, payload, expires_at, open_until, updated_at, republish)"
                " where r.id = u.id returning r.seq, r.status, r.payload, u.republish",
                [u.recommendation.id for u in updates],
                [u.recommendation.model_dump(mode="json") for u in updates],
                [u.recommendation.expires_at for u in updates],
                [u.open_until for u in updates],
                [u.recommendation.updated_at for u in updates],
                [u.republish for u in updates],
            )
            shown += [
                StoredRecommendation(
                    r["seq"], r["status"], Recommendation.model_validate(r["payload"])
                )
                for r in rows
                if r["republish"]
            ]
        return shown

    async def add(self, made: Sequence[NewRecommendation]) -> list[StoredRecommendation]:
        if not made:
            return []
        recs = [m.recommendation for m in made]
        rows = await self.connection.fetch(
            "insert into recommendations(id, signal_id, customer_id, action_code, channel,"
            " queue, agent_id, priority, holdout, payload, created_at, expires_at,"
            " published_at, issues, moment_at, open_until, segment)"
            " select u.id, u.signal_id, u.customer_id, u.action_code, u.channel, u.queue,"
            " u.agent_id, u.priority, u.holdout, u.payload, u.created_at, u.expires_at,"
            " u.published_at, array(select jsonb_array_elements_text(u.issues::jsonb)),"
            " u.moment_at, u.open_until, u.segment"
            " from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::text[], $7::text[], $8::int[], $9::bool[], $10::jsonb[],"
            " $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[],"
            " $15::timestamptz[], $16::timestamptz[], $17::text[])"
            " as u(id, signal_id, customer_id, action_code, channel, queue, agent_id, priority,"
            " holdout, payload, created_at, expires_at, published_at, issues, moment_at,"
            " open_until, segment)"
            " on conflict (id) do nothing returning id, seq",
            [r.id for r in recs],
            [m.signal_id for m in made],
            [r.customer_id for r in recs],
            [r.action.code for r in recs],
            [r.channel.value for r in recs],
            [r.queue for r in recs],
            [r.agent_id for r in recs],
            [r.priority for r in recs],
            [r.holdout for r in recs],
            [r.model_dump(mode="json") for r in recs],
            [r.created_at for r in recs],
            [r.expires_at for r in recs],
            [r.created_at if r.holdout else None for r in recs],  # holdout: never published
            [json.dumps(r.issues) for r in recs],
            [m.moment_at for m in made],
            [m.open_until for m in made],
            [m.segment for m in made],
        )
        seq = {row["id"]: row["seq"] for row in rows}
        return [
            StoredRecommendation(seq[r.id], "open", r)
            for r in recs
            if r.id in seq and not r.holdout
        ]
