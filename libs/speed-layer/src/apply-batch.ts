import type { Redis } from 'ioredis';
import { keyPrefixOf, speedLayerPipeline } from './speed-layer.commands';
import { SpeedLayerError } from './speed-layer.errors';
import { SpeedLayerKeys, windowStartOf } from './speed-layer.keys';
import { validateSpeedLayerSettings, type SpeedLayerSettings } from './speed-layer.settings';

/** Where a clean record was consumed from; copied into the DLQ records of too-late readings. */
export interface BatchOrigin {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

export interface SpeedReading {
  metric: string;
  time: number;
  value: number;
  unit?: string;
}

/** One clean record: readings of one device, with the raw position the fence is checked against. */
export interface DeviceBatch {
  tenant: string;
  device: string;
  rawPartition: number;
  rawOffset: string;
  readings: ReadonlyArray<SpeedReading>;
  origin: BatchOrigin;
}

export interface ApplyOutcome {
  /** false when the batch was at or below the device's fence, i.e. a replay: nothing changed. */
  applied: boolean;
  readingsApplied: number;
  readingsTooLate: number;
}

/**
 * Context stored with too-late readings in the outbox: APPLY_BATCH_LUA writes it as JSON from a
 * record's fields, too-late-outbox.ts reads it.
 */
export interface TooLateContext {
  tenant: string;
  device: string;
  rawPartition: number;
  rawOffset: string;
  origin: BatchOrigin;
}

/** A reading as stored in a window group: [time, value] or [time, value, unit]. */
export type PackedReading = [number, number] | [number, number, string];

interface WindowGroup {
  key: string;
  metric: string;
  windowStart: number;
  readings: PackedReading[];
}

/** Records per Lua call: amortises the per-command cost while keeping each call short in Redis. */
const RECORDS_PER_CALL = 250;

/**
 * Applies clean records to the speed layer: per record, fence check, windows and latest values in
 * one atomic step; records go in chunks of Lua calls, all calls of the given batches in ONE
 * pipeline round trip. Records run in order, so several records of one device are fenced correctly.
 *
 * Readings for windows closed longer ago than the allowed lateness are not applied; they are put in
 * the too-late outbox in the same atomic step, so a crash cannot lose their DLQ record.
 */
export async function applyBatch(
  redis: Redis,
  batches: ReadonlyArray<DeviceBatch>,
  settings: SpeedLayerSettings,
  nowMs: number = Date.now(),
): Promise<ApplyOutcome[]> {
  if (batches.length === 0) return [];
  validateSpeedLayerSettings(settings);
  const pipeline = speedLayerPipeline(redis);
  const prefix = keyPrefixOf(redis);
  for (let from = 0; from < batches.length; from += RECORDS_PER_CALL) {
    const records = batches
      .slice(from, from + RECORDS_PER_CALL)
      .map((batch) => encode(batch, settings));
    pipeline.sluiceSpeedApply(
      SpeedLayerKeys.openWindows(),
      SpeedLayerKeys.tooLateOutbox(),
      prefix,
      nowMs,
      settings.allowedLatenessMs,
      settings.retentionMs,
      JSON.stringify(records),
    );
  }

  const results = await pipeline.exec();
  if (!results) throw new SpeedLayerError('applyBatch', `${batches.length} batches`, 'no reply');
  const outcomes: ApplyOutcome[] = [];
  results.forEach(([error, reply], call) => {
    if (error) {
      const first = batches[call * RECORDS_PER_CALL];
      const last = batches[Math.min(batches.length, (call + 1) * RECORDS_PER_CALL) - 1];
      throw new SpeedLayerError(
        'applyBatch',
        `records ${first.tenant}/${first.device} raw ${first.rawPartition}:${first.rawOffset} .. ` +
          `${last.tenant}/${last.device} raw ${last.rawPartition}:${last.rawOffset}`,
        error,
      );
    }
    const flat = reply as number[];
    for (let i = 0; i < flat.length; i += 3) {
      outcomes.push({
        applied: flat[i] === 1,
        readingsApplied: flat[i + 1],
        readingsTooLate: flat[i + 2],
      });
    }
  });
  return outcomes;
}

/** One record in the script's JSON layout (see APPLY_BATCH_LUA). */
function encode(batch: DeviceBatch, settings: SpeedLayerSettings): unknown[] {
  const { origin } = batch;
  return [
    SpeedLayerKeys.fence(batch.tenant, batch.device),
    SpeedLayerKeys.latest(batch.tenant, batch.device),
    String(batch.rawPartition),
    batch.rawOffset,
    batch.tenant,
    batch.device,
    latestPerMetric(batch.readings),
    [origin.topic, origin.partition, origin.offset, origin.key],
    groupByWindow(batch, settings.windowMs).map((group) => [
      group.key,
      group.metric,
      String(group.windowStart),
      String(group.windowStart + settings.windowMs),
      group.readings,
    ]),
  ];
}

/**
 * Readings grouped by metric and window, in order of first appearance. Looked up by metric then
 * window start, so no key string is built per reading (only per group), and a backfilled record
 * spanning thousands of windows stays linear.
 */
function groupByWindow(batch: DeviceBatch, windowMs: number): WindowGroup[] {
  const byMetric = new Map<string, Map<number, WindowGroup>>();
  const groups: WindowGroup[] = [];
  for (const reading of batch.readings) {
    const windowStart = windowStartOf(reading.time, windowMs);
    let byStart = byMetric.get(reading.metric);
    if (!byStart) {
      byStart = new Map();
      byMetric.set(reading.metric, byStart);
    }
    let group = byStart.get(windowStart);
    if (!group) {
      const key = SpeedLayerKeys.window(batch.tenant, batch.device, reading.metric, windowStart);
      group = { key, metric: reading.metric, windowStart, readings: [] };
      byStart.set(windowStart, group);
      groups.push(group);
    }
    group.readings.push(
      reading.unit === undefined
        ? [reading.time, reading.value]
        : [reading.time, reading.value, reading.unit],
    );
  }
  return groups;
}

/**
 * The newest reading per metric, as strings so Redis stores the exact JS representation; the script
 * only replaces a stored latest value with a strictly newer one (ties keep the earlier arrival).
 */
function latestPerMetric(readings: ReadonlyArray<SpeedReading>): Array<[string, string, string]> {
  const latest = new Map<string, SpeedReading>();
  for (const reading of readings) {
    const current = latest.get(reading.metric);
    if (!current || reading.time > current.time) latest.set(reading.metric, reading);
  }
  return [...latest.values()].map((r) => [r.metric, String(r.time), String(r.value)]);
}
