-- Erasures: who asked to forget a customer, and when, never what was known about them.
-- `customer_id` is kept only until the erasure is done everywhere (published to
-- `erasures` and confirmed by signals' tombstone on `customers`), then set to null;
-- `customer_key` (an HMAC of the id under ACTIONS_ID_SECRET) lets a later request for the
-- same customer be recognised without keeping the id.
create table erasures (
    id text primary key,
    customer_id text,
    customer_key text not null,
    operator_id text not null,
    requested_at timestamptz not null,
    rows_deleted jsonb not null,
    published_at timestamptz,
    confirmed_at timestamptz
);
create index erasures_unpublished on erasures (requested_at) where published_at is null;
create index erasures_pending on erasures (customer_id) where confirmed_at is null;
