/** Offsets as kafkajs gives them (decimal strings; -1 when a group never committed a partition). */
export interface PartitionOffsets {
  partition: number;
  high: string;
  low?: string;
}

export interface PartitionLagView {
  partition: number;
  committed: number | null;
  high: number;
  lag: number;
}

/**
 * Lag per partition: records between the committed offset and the high watermark. A partition the
 * group never committed counts from the log start (what it would read with fromBeginning).
 */
export function partitionLags(
  highs: readonly PartitionOffsets[],
  committed: ReadonlyArray<{ partition: number; offset: string }>,
): PartitionLagView[] {
  const byPartition = new Map(committed.map((entry) => [entry.partition, Number(entry.offset)]));
  return highs.map(({ partition, high, low }) => {
    const highOffset = Number(high);
    const offset = byPartition.get(partition);
    const known = offset !== undefined && offset >= 0 ? offset : null;
    const from = known ?? Number(low ?? 0);
    return { partition, committed: known, high: highOffset, lag: Math.max(0, highOffset - from) };
  });
}

export interface CounterSample {
  at: number;
  values: Map<string, number>;
}

/** Per-second rate of each counter between two samples (null when there is no earlier sample). */
export function ratesBetween(
  previous: CounterSample | undefined,
  current: CounterSample,
): Map<string, number | null> {
  const rates = new Map<string, number | null>();
  const seconds = previous === undefined ? 0 : (current.at - previous.at) / 1000;
  for (const [key, value] of current.values) {
    const before = previous?.values.get(key);
    rates.set(
      key,
      seconds > 0 && before !== undefined ? Math.max(0, (value - before) / seconds) : null,
    );
  }
  return rates;
}
