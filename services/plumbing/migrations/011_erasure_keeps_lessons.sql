-- An erased customer's lessons stay, without the customer: `learned_outcomes` is what keeps
-- learning idempotent when `outcomes` is replayed, and that topic keeps the erased
-- customer's outcomes until retention removes them. Deleting the rows would teach those
-- outcomes twice; erasure sets customer_id to null instead (adapters/erasure.py).
alter table learned_outcomes alter column customer_id drop not null;
