-- The desktops' cursor: a position in commit order, not in insert order.
--
-- `seq` is taken when a row is inserted, so two transactions can commit their rows out of
-- `seq` order, and a reader that has seen seq 12 may later find seq 11: a cursor on `seq`
-- skips rows. `desktop_pos` is assigned after the decision commits, by a short transaction
-- that holds one advisory lock until it commits, so positions become visible in the
-- order they are handed out: a reader that sees position N has seen every committed
-- position below N. A desktop resumes from the last position it saw.
create sequence desktop_positions;
alter table recommendations add column desktop_pos bigint unique;
update recommendations set desktop_pos = nextval('desktop_positions')
    where channel = 'desktop' and not holdout and published_at is not null;
