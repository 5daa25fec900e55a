/**
 * Latency buckets in seconds (Prometheus base unit), 1 ms to 30 s: fine resolution where the
 * pipeline's p50/p99 targets live (tens to hundreds of ms), coarse above.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Item-count buckets (readings per batch, records per fetch), powers of ~2.5 up to 10k. */
export const BATCH_SIZE_BUCKETS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];
