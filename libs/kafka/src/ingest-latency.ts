import { readIngestTs, type HeaderMap } from '@sluice/contracts';
import { createHistogram, LATENCY_BUCKETS_SECONDS, type Histogram } from '@sluice/metrics';

/**
 * The points of the pipeline an end-to-end latency is measured to. A closed set, so the `stage`
 * label stays bounded; add a stage here (and to docs/operations/metrics.md) before using it.
 */
export const PIPELINE_STAGES = ['clean', 'stored', 'ws_delivered', 'command_published'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

let histogram: Histogram<'stage'> | undefined;

function ingestLatency(): Histogram<'stage'> {
  histogram ??= createHistogram({
    name: 'sluice_pipeline_ingest_latency_seconds',
    help: 'End to end: gateway accept (sluice-ingest-ts header) to the stage named by the label',
    labelNames: ['stage'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
  });
  return histogram;
}

/**
 * Observes "now − gateway accept time" for one record into
 * `sluice_pipeline_ingest_latency_seconds{stage}`. `ingest` is the record's headers (the
 * `sluice-ingest-ts` header is read) or the accept time in epoch ms; a record without one is not
 * observed (returns false) rather than counted as zero. Call it once per record, right after the
 * stage's effect is durable (produced with acks=all, committed, handed to the socket).
 */
export function observeIngestLatency(
  stage: PipelineStage,
  ingest: HeaderMap | number | undefined,
  nowMs: number = Date.now(),
): boolean {
  const ingestTs = typeof ingest === 'object' ? readIngestTs(ingest) : ingest;
  if (ingestTs === undefined || !Number.isFinite(ingestTs)) return false;
  // Clocks of different hosts may disagree by a few ms: a negative latency is reported as 0.
  ingestLatency().observe({ stage }, Math.max(0, nowMs - ingestTs) / 1000);
  return true;
}
