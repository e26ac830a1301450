-- The uplift report asks, per decided customer, whether a complaint or a repeat contact
-- came after the first decision: one index lookup per customer and signal type, instead
-- of a scan of every signal.
create index if not exists signals_customer_type on signals (customer_id, type);
-- The ops page counts the last day's recommendations and outcomes per action.
create index if not exists recommendations_created on recommendations (created_at);
create index if not exists outcomes_recorded on outcomes (recorded_at);
