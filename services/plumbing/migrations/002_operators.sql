-- Operators: people who read reports and erase customers. Only a SHA-256 of the token.
create table operators (
    id text primary key,
    token_hash text not null unique,
    name text,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
