import type { WindowAggregate } from '@sluice/contracts';
import type { Redis } from 'ioredis';
import { SpeedLayerError } from './speed-layer.errors';
import { SpeedLayerKeys, WindowFields, windowStartOf } from './speed-layer.keys';
import { DEFAULT_SPEED_LAYER_SETTINGS } from './speed-layer.settings';

export interface LatestReading {
  metric: string;
  time: number;
  value: number;
}

/** A speed-layer window; `closed` once the closer claimed it (its values are then final). */
export interface SpeedWindow extends WindowAggregate {
  closed: boolean;
}

/** Bounds one readWindows call; the speed layer only holds hours, longer ranges are the batch layer's. */
export const MAX_WINDOWS_PER_READ = 10_000;

/** Latest value per metric of one device (by reading time), sorted by metric name. */
export async function readLatest(
  redis: Redis,
  tenant: string,
  device: string,
): Promise<LatestReading[]> {
  let stored: Record<string, string>;
  try {
    stored = await redis.hgetall(SpeedLayerKeys.latest(tenant, device));
  } catch (error) {
    throw new SpeedLayerError('readLatest', `${tenant}/${device}`, error);
  }
  return Object.entries(stored)
    .map(([metric, packed]) => {
      const bar = packed.indexOf('|');
      return {
        metric,
        time: Number(packed.slice(0, bar)),
        value: Number(packed.slice(bar + 1)),
      };
    })
    .sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
}

/**
 * Windows of one device metric whose start lies in [fromMs, toMs), oldest first. Windows without
 * readings are absent (gaps stay gaps). Windows older than the retention have expired.
 */
export async function readWindows(
  redis: Redis,
  tenant: string,
  device: string,
  metric: string,
  fromMs: number,
  toMs: number,
  windowMs: number = DEFAULT_SPEED_LAYER_SETTINGS.windowMs,
): Promise<SpeedWindow[]> {
  const subject = `${tenant}/${device} ${metric} [${fromMs}, ${toMs})`;
  const starts: number[] = [];
  for (let start = windowStartOf(fromMs, windowMs); start < toMs; start += windowMs) {
    if (start >= fromMs) starts.push(start);
    if (starts.length > MAX_WINDOWS_PER_READ) {
      throw new SpeedLayerError(
        'readWindows',
        subject,
        `range spans more than ${MAX_WINDOWS_PER_READ} windows`,
      );
    }
  }
  if (starts.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const start of starts)
    pipeline.hgetall(SpeedLayerKeys.window(tenant, device, metric, start));
  const results = await pipeline.exec();
  if (!results) throw new SpeedLayerError('readWindows', subject, 'no reply');
  const windows: SpeedWindow[] = [];
  for (const [error, reply] of results) {
    if (error) throw new SpeedLayerError('readWindows', subject, error);
    const hash = reply as Record<string, string>;
    if (hash[WindowFields.count] !== undefined) windows.push(parseWindowHash(hash));
  }
  return windows;
}

/** Turns a window hash (as stored by the apply script) into a SpeedWindow. */
export function parseWindowHash(hash: Record<string, string>): SpeedWindow {
  const num = (field: string): number => Number(hash[field]);
  return {
    tenant: hash[WindowFields.tenant],
    device: hash[WindowFields.device],
    metric: hash[WindowFields.metric],
    windowStart: num(WindowFields.windowStart),
    windowEnd: num(WindowFields.windowEnd),
    count: num(WindowFields.count),
    sum: num(WindowFields.sum),
    min: num(WindowFields.min),
    max: num(WindowFields.max),
    first: num(WindowFields.first),
    firstTime: num(WindowFields.firstTime),
    last: num(WindowFields.last),
    lastTime: num(WindowFields.lastTime),
    closed: hash[WindowFields.closed] === '1',
  };
}
