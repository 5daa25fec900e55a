-- Up Migration

-- Plain PostgreSQL only (0002 created the BRIN index; a hypertable has a B-tree time index instead).
-- A BRIN range filled after the last vacuum stays unsummarized and then matches every time
-- condition, so the batch layer's hourly scan would read all pages appended since the last vacuum.
-- With autosummarize, autovacuum summarizes each range as soon as the next one starts filling; the
-- batch layer also summarizes before its runs (RollupsRepository.summarizeNewReadings). A
-- reloption change: no table rewrite, no long lock.
DO $$
BEGIN
  IF to_regclass('readings_time_brin_idx') IS NOT NULL THEN
    ALTER INDEX readings_time_brin_idx SET (autosummarize = on);
  END IF;
END
$$;

-- Down Migration

DO $$
BEGIN
  IF to_regclass('readings_time_brin_idx') IS NOT NULL THEN
    ALTER INDEX readings_time_brin_idx RESET (autosummarize);
  END IF;
END
$$;
