export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; intervalMs: number };

export interface TopicConfig {
  /** delete sealed segments whose newest batch timestamp is older than this; null = keep forever */
  retentionMs: number | null;
  /** delete the oldest sealed segments while the partition stays at or above this size; null = no limit */
  retentionBytes: number | null;
  /** roll to a new segment before the active one would exceed this size */
  segmentBytes: number;
  /** also roll once the active segment is this old, so time retention can reclaim quiet topics */
  segmentMs?: number | null;
}

/** Reported when opening a partition had to repair something; the broker logs it. */
export interface RecoveryEvent {
  topic: string;
  partition: number;
  segment: string;
  action: 'truncated-tail' | 'rebuilt-index' | 'dropped-segment';
  detail: string;
}
