import { DateTime, IANAZone } from 'luxon';

/** Rollup resolutions the batch layer stores (`raw` is served from readings directly). */
export type RollupResolution = '1m' | '1h' | '1d';

const FIXED_MS: Record<Exclude<RollupResolution, '1d'>, number> = {
  '1m': 60_000,
  '1h': 3_600_000,
};

/** A time zone name luxon (and PostgreSQL) understand; throws naming the value otherwise. */
export function assertTimeZone(zone: string): string {
  if (!IANAZone.isValidZone(zone)) {
    throw new RangeError(`unknown IANA time zone "${zone}"`);
  }
  return zone;
}

/**
 * Start (epoch ms) of the bucket holding `ms`. Minutes and hours are aligned on UTC (every zone's
 * offset is a whole number of minutes; hours are UTC hours); days start at local midnight in `zone`,
 * so a day is 23 or 25 hours long across a DST change.
 */
export function bucketStart(ms: number, resolution: RollupResolution, zone = 'UTC'): number {
  if (resolution === '1d') {
    return DateTime.fromMillis(ms, { zone }).startOf('day').toMillis();
  }
  const size = FIXED_MS[resolution];
  return Math.floor(ms / size) * size;
}

/** Start of the bucket after the one starting at `start`. */
export function nextBucketStart(start: number, resolution: RollupResolution, zone = 'UTC'): number {
  if (resolution === '1d') {
    return DateTime.fromMillis(start, { zone }).plus({ days: 1 }).startOf('day').toMillis();
  }
  return start + FIXED_MS[resolution];
}

/** Every bucket start intersecting [fromMs, toMs), oldest first. */
export function bucketStarts(
  fromMs: number,
  toMs: number,
  resolution: RollupResolution,
  zone = 'UTC',
): number[] {
  const starts: number[] = [];
  for (
    let start = bucketStart(fromMs, resolution, zone);
    start < toMs;
    start = nextBucketStart(start, resolution, zone)
  ) {
    starts.push(start);
  }
  return starts;
}

/**
 * Whether every local midnight of `zone` falls on a UTC hour boundary between the two instants:
 * then a day is a whole number of hourly buckets and daily rollups can be merged from hourly ones.
 * Zones with :30/:45 offsets (Asia/Kolkata) are refused by the batch layer's configuration.
 */
export function zoneHasWholeHourOffsets(zone: string, fromMs: number, toMs: number): boolean {
  for (let ms = fromMs; ms <= toMs; ms += 7 * 86_400_000) {
    if (DateTime.fromMillis(ms, { zone }).offset % 60 !== 0) return false;
  }
  return DateTime.fromMillis(toMs, { zone }).offset % 60 === 0;
}

/** Picks a resolution so a range yields at most `maxBuckets` buckets (the `auto` resolution). */
export function autoResolution(
  fromMs: number,
  toMs: number,
  maxBuckets = 1_500,
): RollupResolution | 'raw' {
  const span = Math.max(0, toMs - fromMs);
  if (span <= 2 * 3_600_000) return 'raw';
  if (span / FIXED_MS['1m'] <= maxBuckets) return '1m';
  if (span / FIXED_MS['1h'] <= maxBuckets) return '1h';
  return '1d';
}
