-- Channel systems' API keys: only a SHA-256 of the key is kept.
create table api_keys (
    id text primary key,
    key_hash text not null unique,
    source_prefix text not null,
    allowed_types text[] not null,
    description text,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

-- Contact-centre agents and the queues their desktops follow.
create table agents (
    id text primary key,
    token_hash text not null unique,
    name text,
    queues text[] not null,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

-- Signals actions has acted on: the primary key is what stops a replayed signal.
create table signals (
    id text primary key,
    customer_id text not null,
    type text not null,
    payload jsonb not null,
    received_at timestamptz not null default now()
);

-- Recommendations; published_at null means "not yet on Kafka" (the outbox).
create table recommendations (
    id text primary key,
    seq bigserial not null unique,
    signal_id text not null references signals(id),
    customer_id text not null,
    action_code text not null,
    channel text not null,
    queue text not null,
    agent_id text,
    priority integer not null,
    holdout boolean not null,
    status text not null default 'open',
    payload jsonb not null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    published_at timestamptz
);
create index recommendations_customer on recommendations (customer_id, created_at desc);
create index recommendations_unpublished on recommendations (seq) where published_at is null;

create table outcomes (
    id text primary key,
    recommendation_id text not null references recommendations(id),
    customer_id text not null,
    action_code text not null,
    outcome text not null,
    note text,
    agent_id text,
    recorded_at timestamptz not null,
    payload jsonb not null,
    published_at timestamptz
);
create index outcomes_unpublished on outcomes (recorded_at) where published_at is null;
