import type { Redis } from 'ioredis';
import type { PackedReading, SpeedReading, TooLateContext } from './apply-batch';
import { SpeedLayerError } from './speed-layer.errors';
import { SpeedLayerKeys } from './speed-layer.keys';

/** Readings of one window that the apply script refused as too late, waiting for the DLQ. */
export interface TooLateEntry extends TooLateContext {
  /** Stream entry id, to delete after publishing. */
  id: string;
  metric: string;
  windowStart: number;
  readings: SpeedReading[];
}

/**
 * Oldest entries of the too-late outbox. Protocol: read → publish to the DLQ → deleteTooLate.
 * Deleting by id keeps concurrent drainers safe: at worst an entry is published twice.
 */
export async function readTooLate(redis: Redis, limit: number): Promise<TooLateEntry[]> {
  let entries: Array<[string, string[]]>;
  try {
    entries = await redis.xrange(SpeedLayerKeys.tooLateOutbox(), '-', '+', 'COUNT', limit);
  } catch (error) {
    throw new SpeedLayerError('readTooLate', SpeedLayerKeys.tooLateOutbox(), error);
  }
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    const context = JSON.parse(fields.ctx) as TooLateContext;
    const packed = JSON.parse(fields.readings) as PackedReading[];
    return {
      ...context,
      id,
      metric: fields.metric,
      windowStart: Number(fields.windowStart),
      readings: packed.map(([time, value, unit]) =>
        unit === undefined
          ? { metric: fields.metric, time, value }
          : { metric: fields.metric, time, value, unit },
      ),
    };
  });
}

export async function deleteTooLate(redis: Redis, ids: ReadonlyArray<string>): Promise<void> {
  if (ids.length === 0) return;
  try {
    await redis.xdel(SpeedLayerKeys.tooLateOutbox(), ...ids);
  } catch (error) {
    throw new SpeedLayerError('deleteTooLate', `${ids.length} entries`, error);
  }
}
