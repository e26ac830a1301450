"""Learning from `outcomes` on PostgreSQL, idempotent on replays.

In one transaction per batch: outcomes that channels produced straight to the topic are
stored like the others (and set their recommendation's status); then each
recommendation's first outcome that teaches something is written to `learned_outcomes`
(its primary key is the recommendation id, so a replay, or "accepted" followed by
"completed", is counted once), and only the lessons written now are added to
`action_tallies`, for the segment "all" and, with profiling consent, the customer's
segment (the recommendation's `segment`).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.actions.domain.decisioning.learning import EVERYONE
from services.actions.ports import Learned, Lesson


async def learn(pool: asyncpg.Pool, lessons: Sequence[Lesson]) -> Learned:
    if not lessons:
        return Learned(0, 0, ())
    ids = list(dict.fromkeys(lesson.outcome.recommendation_id for lesson in lessons))
    async with pool.acquire() as connection, connection.transaction():
        known = {
            row["id"]: row["segment"]
            for row in await connection.fetch(
                "select id, segment from recommendations where id = any($1)", ids
            )
        }
        unknown = tuple(i for i in ids if i not in known)
        outcomes = [
            lesson.outcome for lesson in lessons if lesson.outcome.recommendation_id in known
        ]
        if outcomes:
            stored = await connection.fetch(
                "insert into outcomes(id, recommendation_id, customer_id, action_code, outcome,"
                " note, agent_id, recorded_at, payload, published_at)"
                " select *, now() from unnest($1::text[], $2::text[], $3::text[], $4::text[],"
                " $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::jsonb[])"
                " on conflict (id) do nothing returning id, recommendation_id, outcome",
                [o.id for o in outcomes],
                [o.recommendation_id for o in outcomes],
                [o.customer_id for o in outcomes],
                [o.action_code for o in outcomes],
                [o.outcome.value for o in outcomes],
                [o.note for o in outcomes],
                [o.agent_id for o in outcomes],
                [o.recorded_at for o in outcomes],
                [o.model_dump(mode="json") for o in outcomes],
            )
            if stored:  # produced straight to the topic: the status follows them too,
                # and a snooze its time, as Repository.record_outcome sets them
                by_id = {o.id: o for o in outcomes}
                await connection.execute(
                    "update recommendations r set status = u.outcome, snoozed_until = u.until"
                    " from unnest($1::text[], $2::text[], $3::timestamptz[])"
                    " as u(id, outcome, until) where r.id = u.id",
                    [r["recommendation_id"] for r in stored],
                    [r["outcome"] for r in stored],
                    [
                        by_id[r["id"]].snooze_until if r["outcome"] == "snoozed" else None
                        for r in stored
                    ],
                )
        teaching: dict[str, Lesson] = {}
        for lesson in lessons:
            outcome = lesson.outcome
            if lesson.reward is not None and outcome.recommendation_id in known:
                teaching.setdefault(outcome.recommendation_id, lesson)
        if not teaching:
            return Learned(0, 0, unknown)
        chosen = list(teaching.values())
        written = await connection.fetch(
            "insert into learned_outcomes(recommendation_id, outcome_id, customer_id,"
            " action_code, segment, reward)"
            " select * from unnest($1::text[], $2::text[], $3::text[], $4::text[],"
            " $5::text[], $6::smallint[])"
            " on conflict (recommendation_id) do nothing"
            " returning action_code, segment, reward",
            [lesson.outcome.recommendation_id for lesson in chosen],
            [lesson.outcome.id for lesson in chosen],
            [lesson.outcome.customer_id for lesson in chosen],
            [lesson.outcome.action_code for lesson in chosen],
            [known[lesson.outcome.recommendation_id] for lesson in chosen],
            [lesson.reward for lesson in chosen],
        )
        increments: dict[tuple[str, str], list[float]] = {}
        for row in written:
            for segment in (EVERYONE, row["segment"]):
                if segment is None:
                    continue
                tally = increments.setdefault((row["action_code"], segment), [0.0, 0.0])
                tally[0 if row["reward"] else 1] += 1
        if increments:
            await connection.execute(
                "insert into action_tallies(action_code, segment, successes, failures)"
                " select * from unnest($1::text[], $2::text[], $3::float8[], $4::float8[])"
                " on conflict (action_code, segment) do update set"
                " successes = action_tallies.successes + excluded.successes,"
                " failures = action_tallies.failures + excluded.failures, updated_at = now()",
                [code for code, _ in increments],
                [segment for _, segment in increments],
                [s for s, _ in increments.values()],
                [f for _, f in increments.values()],
            )
        return Learned(len(written), len(chosen) - len(written), unknown)
