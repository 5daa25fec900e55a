/**
 * Redis key layout of the speed layer (all keys get the client's `keyPrefix`, e.g. `sluice:`).
 *
 * Every per-device key carries the hash tag `{tenant/device}` so one device's keys would share a
 * slot on Redis Cluster; the two global keys (open windows, too-late outbox) do not, so the scripts
 * need a single Redis node (or a cluster deployment with one slot). See the README.
 *
 * Identifiers cannot contain `/`, `{`, `}` or spaces (see @sluice/contracts identifiers), so keys
 * need no escaping and are unambiguous.
 */
export const SpeedLayerKeys = {
  /** Hash: raw partition → highest raw offset applied for this device (the replay fence). */
  fence: (tenant: string, device: string): string => `speed:{${tenant}/${device}}:fence`,
  /** Hash: metric → `"<time>|<value>"` of the reading with the highest time seen. */
  latest: (tenant: string, device: string): string => `speed:{${tenant}/${device}}:latest`,
  /** Hash of one tumbling window of one metric (see WindowFields). */
  window: (tenant: string, device: string, metric: string, windowStart: number): string =>
    `speed:{${tenant}/${device}}:w:${windowStart}:${metric}`,
  /** Sorted set: open window keys (unprefixed) scored by window end, drained by the closer. */
  openWindows: (): string => 'speed:open-windows',
  /** Stream: readings refused as too late, waiting to be published to the DLQ. */
  tooLateOutbox: (): string => 'speed:too-late',
} as const;

/** Field names inside a window hash. */
export const WindowFields = {
  tenant: 't',
  device: 'd',
  metric: 'm',
  windowStart: 'ws',
  windowEnd: 'we',
  count: 'count',
  sum: 'sum',
  min: 'min',
  max: 'max',
  first: 'first',
  firstTime: 'firstTime',
  last: 'last',
  lastTime: 'lastTime',
  /** `1` once the closer claimed the window: later readings for it are too late. */
  closed: 'closed',
} as const;

export function windowStartOf(time: number, windowMs: number): number {
  return time - (((time % windowMs) + windowMs) % windowMs);
}
