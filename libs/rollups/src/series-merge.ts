import { bucketStart, nextBucketStart, type RollupResolution } from './buckets';
import { mergeStats, type BucketStats } from './statistics';

/** Which layer answered a bucket: rollups (batch), Redis windows (speed), or nothing (gap). */
export type ServingLayer = 'batch' | 'speed' | 'gap';

/** A piece of a series from one layer, at its own resolution (an hourly rollup, a 1-minute window…). */
export interface SeriesPiece {
  start: number;
  layer: Exclude<ServingLayer, 'gap'>;
  stats: BucketStats;
  /** Energy in Wh carried by batch pieces of power metrics. */
  wattHours?: number;
  cost?: number;
}

export interface ServedBucket {
  start: number;
  end: number;
  /** `batch` and `speed` both contributed when a bucket straddles the batch watermark. */
  layers: ReadonlyArray<Exclude<ServingLayer, 'gap'>>;
  layer: ServingLayer | 'batch+speed';
  stats: BucketStats | null;
  wattHours?: number;
  cost?: number;
}

/**
 * Folds pieces (daily/hourly rollups below the watermark, speed-layer windows above it) into the
 * target resolution over [fromMs, toMs): one entry per bucket, oldest first. Buckets no piece
 * reached are reported as gaps (stats null) when `includeGaps`, never interpolated. The caller
 * guarantees pieces do not overlap (each instant is served by exactly one layer).
 */
export function assembleSeries(
  pieces: ReadonlyArray<SeriesPiece>,
  fromMs: number,
  toMs: number,
  resolution: RollupResolution,
  zone = 'UTC',
  includeGaps = true,
): ServedBucket[] {
  const buckets = new Map<number, ServedBucket>();
  for (const piece of pieces) {
    if (piece.start < fromMs || piece.start >= toMs) continue;
    const start = bucketStart(piece.start, resolution, zone);
    const existing = buckets.get(start);
    const layers = new Set(existing?.layers ?? []);
    layers.add(piece.layer);
    const sorted = [...layers].sort();
    buckets.set(start, {
      start,
      end: nextBucketStart(start, resolution, zone),
      layers: sorted,
      layer: sorted.length === 2 ? 'batch+speed' : sorted[0],
      stats: mergeStats(existing?.stats ?? null, piece.stats),
      wattHours: addOptional(existing?.wattHours, piece.wattHours),
      cost: addOptional(existing?.cost, piece.cost),
    });
  }
  const served: ServedBucket[] = [];
  for (
    let start = bucketStart(fromMs, resolution, zone);
    start < toMs;
    start = nextBucketStart(start, resolution, zone)
  ) {
    const bucket = buckets.get(start);
    if (bucket) served.push(bucket);
    else if (includeGaps) {
      served.push({
        start,
        end: nextBucketStart(start, resolution, zone),
        layers: [],
        layer: 'gap',
        stats: null,
      });
    }
  }
  return served;
}

function addOptional(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a + b;
}
