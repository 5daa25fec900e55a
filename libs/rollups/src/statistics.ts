/** A reading as the rollup arithmetic sees it. */
export interface Sample {
  /** epoch ms */
  time: number;
  value: number;
}

/**
 * Every statistic a rollup bucket keeps; any headline (avg, max, …) and the standard deviation
 * derive from these, and two buckets merge without the raw rows (except first/last by time).
 */
export interface BucketStats {
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstTime: number;
  last: number;
  lastTime: number;
  sumSquares: number;
  anomalies: number;
}

/** Statistics of a non-empty set of samples (any order); null when there is none. */
export function statsOf(samples: ReadonlyArray<Sample>, anomalies = 0): BucketStats | null {
  if (samples.length === 0) return null;
  const firstSample = samples[0];
  const stats: BucketStats = {
    count: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    first: firstSample.value,
    firstTime: firstSample.time,
    last: firstSample.value,
    lastTime: firstSample.time,
    sumSquares: 0,
    anomalies,
  };
  for (const { time, value } of samples) {
    stats.count += 1;
    stats.sum += value;
    stats.sumSquares += value * value;
    if (value < stats.min) stats.min = value;
    if (value > stats.max) stats.max = value;
    if (time < stats.firstTime) {
      stats.firstTime = time;
      stats.first = value;
    }
    if (time > stats.lastTime) {
      stats.lastTime = time;
      stats.last = value;
    }
  }
  return stats;
}

/** Statistics of the union of two disjoint sample sets. */
export function mergeStats(a: BucketStats | null, b: BucketStats | null): BucketStats | null {
  if (a === null) return b;
  if (b === null) return a;
  const firstFromA = a.firstTime <= b.firstTime;
  const lastFromA = a.lastTime >= b.lastTime;
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    first: firstFromA ? a.first : b.first,
    firstTime: firstFromA ? a.firstTime : b.firstTime,
    last: lastFromA ? a.last : b.last,
    lastTime: lastFromA ? a.lastTime : b.lastTime,
    sumSquares: a.sumSquares + b.sumSquares,
    anomalies: a.anomalies + b.anomalies,
  };
}

export function mean(stats: BucketStats): number {
  return stats.sum / stats.count;
}

/** Population standard deviation from count, sum and sum of squares (never negative). */
export function standardDeviation(stats: BucketStats): number {
  const avg = mean(stats);
  return Math.sqrt(Math.max(0, stats.sumSquares / stats.count - avg * avg));
}
