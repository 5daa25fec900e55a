export interface PostedReading {
  device: string;
  metric: string;
  time: number;
  value: number;
}

export interface ExpectedWindow {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * `perSeries` readings for every (device, metric), spread evenly over `[fromMs, toMs)` with
 * distinct timestamps, shuffled across devices the way a fleet's traffic interleaves.
 */
export function generateReadings(options: {
  devices: string[];
  metrics: string[];
  perSeries: number;
  fromMs: number;
  toMs: number;
}): PostedReading[] {
  const step = Math.floor((options.toMs - options.fromMs) / options.perSeries);
  const readings: PostedReading[] = [];
  for (let i = 0; i < options.perSeries; i++) {
    for (const device of options.devices) {
      for (const metric of options.metrics) {
        const value =
          Math.round((20 + 10 * Math.sin(i / 7 + device.length) + Math.random()) * 1000) / 1000;
        readings.push({ device, metric, time: options.fromMs + i * step, value });
      }
    }
  }
  return readings;
}

export function seriesKey(device: string, metric: string): string {
  return `${device}|${metric}`;
}

/** Expected 1-minute windows per series, computed independently of the speed layer. */
export function expectedWindows(
  readings: PostedReading[],
  windowMs = 60_000,
): Map<string, Map<number, ExpectedWindow>> {
  const out = new Map<string, Map<number, ExpectedWindow>>();
  for (const reading of readings) {
    const key = seriesKey(reading.device, reading.metric);
    const windows = out.get(key) ?? new Map<number, ExpectedWindow>();
    out.set(key, windows);
    const start = reading.time - (reading.time % windowMs);
    const window = windows.get(start) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
    window.count += 1;
    window.sum += reading.value;
    window.min = Math.min(window.min, reading.value);
    window.max = Math.max(window.max, reading.value);
    windows.set(start, window);
  }
  return out;
}

/** The reading with the highest time per series: what "latest" must show. */
export function expectedLatest(readings: PostedReading[]): Map<string, PostedReading> {
  const out = new Map<string, PostedReading>();
  for (const reading of readings) {
    const key = seriesKey(reading.device, reading.metric);
    const current = out.get(key);
    if (!current || reading.time > current.time) out.set(key, reading);
  }
  return out;
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
