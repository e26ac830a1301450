-- Stream tickets: short-lived, single-use passes that open one desktop stream, so a
-- browser's EventSource (which cannot send an Authorization header) never carries the
-- agent's long-lived token in a URL. Only a SHA-256 of a ticket is kept. A ticket is spent
-- by the first stream that presents it, whichever actions replica that reaches, because
-- spending is one conditional update here. Expired rows are deleted as new ones are issued.
create table stream_tickets (
    ticket_hash text primary key,
    agent_id text not null references agents(id) on delete cascade,
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz
);
create index stream_tickets_expiry on stream_tickets (expires_at);

-- The cockpit reads one customer's signals and outcomes, newest first.
create index if not exists signals_customer_received on signals (customer_id, received_at desc);
create index if not exists outcomes_customer_recorded on outcomes (customer_id, recorded_at desc);
