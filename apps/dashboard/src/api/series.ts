import type { ApiClient } from './api-client';
import type { SeriesPoint } from '../live/live-series';

export type Resolution = 'raw' | '1m' | '1h' | '1d' | 'auto';

export interface SeriesQuery {
  device: string;
  metric: string;
  from: number;
  to: number;
  resolution: Resolution;
}

/**
 * History of one device metric from the serving layer (`GET /api/v1/series`, issue 4). Bucketed
 * answers are drawn at their average (the headline value when the server names one).
 */
export async function fetchSeries(
  api: ApiClient,
  query: SeriesQuery,
  signal?: AbortSignal,
): Promise<SeriesPoint[]> {
  const body = await api.json<unknown>('/api/v1/series', {
    query: {
      devices: query.device,
      metric: query.metric,
      from: new Date(query.from).toISOString(),
      to: new Date(query.to).toISOString(),
      resolution: query.resolution,
    },
    signal,
  });
  return seriesPointsOf(body, query.device, query.metric);
}

type Loose = Record<string, unknown>;

/** Accepts `{series:[{device,metric,points}]}` and flat `{points}` answers; points carry a time and a value. */
export function seriesPointsOf(body: unknown, device: string, metric: string): SeriesPoint[] {
  const root = (body ?? {}) as Loose;
  let points: unknown[] = [];
  if (Array.isArray(root.series)) {
    const entry = (root.series as Loose[]).find(
      (item) =>
        (item.device === undefined || item.device === device) &&
        (item.metric === undefined || item.metric === metric),
    );
    points = (entry?.points ?? entry?.buckets ?? entry?.data ?? []) as unknown[];
  } else if (Array.isArray(root.points)) {
    points = root.points as unknown[];
  } else if (Array.isArray(root.buckets)) {
    points = root.buckets as unknown[];
  }
  const result: SeriesPoint[] = [];
  for (const raw of points) {
    const point = raw as Loose;
    const time = toEpochMs(point.time ?? point.start ?? point.t ?? point.bucket);
    const value = pointValue(point);
    if (time !== undefined && value !== undefined) result.push({ time, value });
  }
  return result;
}

function pointValue(point: Loose): number | undefined {
  for (const candidate of [point.value, point.headline, point.avg, point.mean, point.last]) {
    if (typeof candidate === 'number' && Number.isFinite(candidate)) return candidate;
  }
  const stats = point.stats as Loose | null | undefined;
  if (stats && typeof stats === 'object') {
    if (typeof stats.avg === 'number') return stats.avg;
    if (typeof stats.sum === 'number' && typeof stats.count === 'number' && stats.count > 0) {
      return stats.sum / stats.count;
    }
  }
  return undefined;
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}
