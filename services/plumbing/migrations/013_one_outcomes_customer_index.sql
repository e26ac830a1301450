-- outcomes_customer (customer_id), from 007, is covered by 008's
-- outcomes_customer_recorded (customer_id, recorded_at desc): the same leading column
-- serves every lookup by customer, so one index is kept up on each insert, not two.
drop index if exists outcomes_customer;
