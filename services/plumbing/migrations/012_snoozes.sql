-- A snoozed recommendation comes back at the time the agent chose: until then it is out
-- of the queue (status `snoozed`); at `snoozed_until` it is open again and published
-- afresh (a new desktop position), so every desktop of its queue sees it again.
alter table recommendations add column snoozed_until timestamptz;
create index recommendations_snoozed on recommendations (snoozed_until) where status = 'snoozed';
