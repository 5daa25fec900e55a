import { bucketStart, nextBucketStart, type RollupResolution } from './buckets';
import type { Sample } from './statistics';

/**
 * How power between two readings is assumed to behave: `trapezoid` = linear between them,
 * `left` = the earlier reading holds until the next (left Riemann sum; right for step-like loads).
 */
export type IntegrationMethod = 'trapezoid' | 'left';

export interface EnergyOptions {
  method: IntegrationMethod;
  /**
   * Two readings further apart than this are a gap: nothing is integrated between them (energy
   * is not invented for a device that was silent or offline).
   */
  maxGapMs: number;
  /** Multiplier turning a reading into watts (1 for W, 1000 for kW). */
  wattsPerUnit?: number;
}

export interface BucketEnergy {
  bucketStart: number;
  wattHours: number;
  /** Time of the bucket covered by integrated segments (the rest was a gap or outside readings). */
  coveredMs: number;
}

const MS_PER_HOUR = 3_600_000;

/**
 * Energy per bucket of a power series, counting only the part of each segment inside
 * [fromMs, toMs). Segments crossing a bucket boundary are split at it (the power at the boundary
 * is interpolated for the trapezoid rule), so hourly values add up to the daily one. Samples may
 * come in any order; duplicates of a time count once (the first).
 */
export function integrateEnergy(
  samples: ReadonlyArray<Sample>,
  fromMs: number,
  toMs: number,
  resolution: RollupResolution,
  options: EnergyOptions,
  zone = 'UTC',
): BucketEnergy[] {
  const scale = options.wattsPerUnit ?? 1;
  const sorted = [...samples].sort((a, b) => a.time - b.time);
  const byBucket = new Map<number, BucketEnergy>();
  const add = (start: number, wattHours: number, ms: number): void => {
    const entry = byBucket.get(start) ?? { bucketStart: start, wattHours: 0, coveredMs: 0 };
    entry.wattHours += wattHours;
    entry.coveredMs += ms;
    byBucket.set(start, entry);
  };

  for (let i = 1; i < sorted.length; i += 1) {
    const a = sorted[i - 1];
    const b = sorted[i];
    const span = b.time - a.time;
    if (span <= 0 || span > options.maxGapMs) continue;
    const powerAt = (t: number): number =>
      options.method === 'left' ? a.value : a.value + ((b.value - a.value) * (t - a.time)) / span;
    let segmentStart = Math.max(a.time, fromMs);
    const segmentEnd = Math.min(b.time, toMs);
    while (segmentStart < segmentEnd) {
      const bucket = bucketStart(segmentStart, resolution, zone);
      const pieceEnd = Math.min(segmentEnd, nextBucketStart(bucket, resolution, zone));
      const ms = pieceEnd - segmentStart;
      // exact for a linear (or constant) power over the piece
      const averageWatts =
        options.method === 'left' ? a.value : (powerAt(segmentStart) + powerAt(pieceEnd)) / 2;
      add(bucket, (averageWatts * scale * ms) / MS_PER_HOUR, ms);
      segmentStart = pieceEnd;
    }
  }
  return [...byBucket.values()].sort((x, y) => x.bucketStart - y.bucketStart);
}
