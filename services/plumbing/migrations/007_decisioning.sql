-- Decisioning: one decision per customer moment, with look-back over the history.
--
-- Rules count in event time (a moment happens when its latest signal's event did), so
-- signals keep their event time and issue, and recommendations the moment they answered
-- and until when (event time) they answer their issues: a repeat of an issue inside that
-- time strengthens the open recommendation instead of adding another.
alter table signals add column issue text, add column occurred_at timestamptz;
update signals set issue = coalesce(payload->>'issue', type),
    occurred_at = (payload->>'occurred_at')::timestamptz;
create index signals_customer_time on signals (customer_id, occurred_at);

alter table recommendations
    add column issues text[] not null default '{}',
    add column moment_at timestamptz,
    add column open_until timestamptz,
    add column segment text,  -- the learning segment its outcome teaches; null: only "all"
    add column updated_at timestamptz;
update recommendations r set issues = array[coalesce(s.issue, s.type)],
    moment_at = r.created_at, open_until = r.expires_at
    from signals s where s.id = r.signal_id;
create index recommendations_customer_moment on recommendations (customer_id, moment_at);
create index outcomes_customer on outcomes (customer_id);

-- Every decision with its ranked candidates: each one's score and why it won or lost.
create table decisions (
    id text primary key,
    customer_id text not null,
    moment_at timestamptz not null,
    decided_at timestamptz not null,
    holdout boolean not null,
    candidates jsonb not null,
    explanation jsonb not null
);
create index decisions_customer on decisions (customer_id, moment_at desc);

-- What the outcomes taught, per action and segment ("all", or a value tier for
-- customers who allow profiling). Counts only: no customer in it.
create table action_tallies (
    action_code text not null,
    segment text not null,
    successes double precision not null default 0,
    failures double precision not null default 0,
    updated_at timestamptz not null default now(),
    primary key (action_code, segment)
);

-- One lesson per recommendation: what makes learning idempotent on replays of
-- `outcomes` (and counts a recommendation once, accepted and then completed).
create table learned_outcomes (
    recommendation_id text primary key,
    outcome_id text not null,
    customer_id text not null,
    action_code text not null,
    segment text,
    reward smallint not null,
    learned_at timestamptz not null default now()
);
create index learned_outcomes_customer on learned_outcomes (customer_id);
