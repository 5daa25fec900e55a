/**
 * From-scratch expectations for batch-layer tests, computed the plain way (group, sort, fold)
 * without @sluice/rollups, so a bug in the lib or the SQL cannot hide in both sides.
 */
export interface TestReading {
  tenant: string;
  device: string;
  metric: string;
  time: number;
  value: number;
  unit?: string;
}

export interface ExpectedRollup {
  tenant: string;
  device: string;
  metric: string;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstTime: number;
  last: number;
  lastTime: number;
  sumSquares: number;
}

/** Keeps the first arrival of each (tenant, device, metric, time), as the readings table does. */
export function dedupeFirstArrival(readings: ReadonlyArray<TestReading>): TestReading[] {
  const seen = new Map<string, TestReading>();
  for (const reading of readings) {
    const key = `${reading.tenant}|${reading.device}|${reading.metric}|${reading.time}`;
    if (!seen.has(key)) seen.set(key, reading);
  }
  return [...seen.values()];
}

/** Local calendar day start (epoch ms) of `ms` in `zone`, found with Intl only. */
export function localDayStart(ms: number, zone: string): number {
  const dayOf = (t: number): string =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(t);
  const day = dayOf(ms);
  // walk back by hours to the first instant of the same local day (zones here have whole-hour offsets)
  let start = Math.floor(ms / 3_600_000) * 3_600_000;
  while (dayOf(start - 3_600_000) === day) start -= 3_600_000;
  return start;
}

export function expectedRollups(
  readings: ReadonlyArray<TestReading>,
  bucketOf: (ms: number) => number,
): Map<string, ExpectedRollup> {
  const groups = new Map<string, TestReading[]>();
  for (const reading of readings) {
    const key = `${reading.tenant}|${reading.device}|${reading.metric}|${bucketOf(reading.time)}`;
    const list = groups.get(key) ?? [];
    list.push(reading);
    groups.set(key, list);
  }
  const expected = new Map<string, ExpectedRollup>();
  for (const [key, list] of groups) {
    const sorted = [...list].sort((a, b) => a.time - b.time);
    const values = sorted.map((r) => r.value);
    expected.set(key, {
      tenant: sorted[0].tenant,
      device: sorted[0].device,
      metric: sorted[0].metric,
      bucket: bucketOf(sorted[0].time),
      count: sorted.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
      first: sorted[0].value,
      firstTime: sorted[0].time,
      last: sorted[sorted.length - 1].value,
      lastTime: sorted[sorted.length - 1].time,
      sumSquares: values.reduce((a, b) => a + b * b, 0),
    });
  }
  return expected;
}

export const rollupKey = (r: { tenant: string; device: string; metric: string; bucket: number }) =>
  `${r.tenant}|${r.device}|${r.metric}|${r.bucket}`;

/** Deterministic pseudo-random numbers (mulberry32) so a failing data set can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
