-- The latest record per customer from the `customers` topic (profile, relationship
-- health, live contact, recent moments): what a screen-pop and a decision read. A
-- tombstone on the topic (an erased customer) deletes the row.
create table customers (
    customer_id text primary key,
    version bigint not null,
    record jsonb not null,
    live_agent_id text,
    health_score real not null,
    updated_at timestamptz not null
);
create index customers_live_agent on customers (live_agent_id) where live_agent_id is not null;
