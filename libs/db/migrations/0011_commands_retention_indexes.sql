-- Up Migration

-- The actuator-controller's retention (apps/actuator-controller/src/retention/) deletes, in batches
-- of COMMAND_RETENTION_BATCH_ROWS, final commands (with their command_events) and conflicts older
-- than COMMAND_RETENTION_DAYS. The existing indexes lead with tenant (commands, conflicts), so
-- without these each batch, and above all the pass that finds nothing to delete, would scan the
-- whole table. The commands index is partial: pending and sent rows (the outbox) are never retention
-- candidates and stay out of it. Built inside the migration transaction: inserts wait for it.
CREATE INDEX commands_final_created_idx ON commands (created_at)
  WHERE status IN ('acknowledged', 'failed', 'expired', 'rejected');
CREATE INDEX conflicts_at_idx ON conflicts (at);

-- Down Migration

DROP INDEX conflicts_at_idx;
DROP INDEX commands_final_created_idx;
