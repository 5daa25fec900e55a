import {
  assembleSeries,
  autoResolution,
  bucketStart,
  headlineValue,
  nextBucketStart,
  resolveRule,
  standardDeviation,
  type AggregationRule,
  type BucketStats,
  type HeadlineAggregate,
  type RollupResolution,
  type SeriesPiece,
} from '@sluice/rollups';
import { readWindows } from '@sluice/speed-layer';
import type { Redis } from 'ioredis';
import type { BatchLayerService } from '../batch-layer/batch-layer.service';
import type { RollupsRepository, StoredRollup } from '../batch-layer/rollups.repository';
import type { SeriesRepository } from './series.repository';
import { ServingRequestError, type ServingIssue } from './serving.errors';

export type SeriesResolution = 'raw' | RollupResolution;

export interface SeriesQuery {
  tenant: string;
  devices: string[];
  metric: string;
  fromMs: number;
  toMs: number;
  resolution: SeriesResolution | 'auto';
  includeGaps: boolean;
  pageSize: number;
}

export interface SeriesPoint {
  device: string;
  start: number;
  end: number;
  layer: 'batch' | 'speed' | 'batch+speed' | 'raw' | 'gap';
  stats: BucketStats | null;
  /** headline value (raw: the reading) */
  value: number | null;
  stddev: number | null;
  wattHours: number | null;
  cost: number | null;
}

export interface SeriesPageResult {
  resolution: SeriesResolution;
  batchWatermark: number | null;
  headline: HeadlineAggregate;
  points: SeriesPoint[];
}

export interface EnergyQuery {
  tenant: string;
  devices: string[];
  fromMs: number;
  toMs: number;
  resolution: '1h' | '1d';
  baselineOffsetMs: number;
}

export interface EnergyRowResult {
  device: string;
  metric: string;
  start: number;
  end: number;
  wattHours: number;
  cost: number | null;
  baselineWattHours: number | null;
  baselineCost: number | null;
}

export interface ServingSettings {
  zone: string;
  speedWindowMs: number;
  maxDevices: number;
  /** Largest number of buckets (or raw points) one query may return. */
  maxPoints: number;
}

/** Longest range per resolution: keeps one query from scanning a year of raw rows. */
const MAX_RANGE_MS: Record<SeriesResolution, number> = {
  raw: 7 * 86_400_000,
  '1m': 7 * 86_400_000,
  '1h': 400 * 86_400_000,
  '1d': 20 * 365 * 86_400_000,
};

/**
 * The serving layer: one series query answered from rollups for buckets before the batch
 * watermark and from the speed layer (Redis windows) after it, merged into one series whose
 * points say which layer served them. Gaps stay gaps. Raw queries read the master data set.
 */
export class ServingService {
  constructor(
    private readonly batch: Pick<BatchLayerService, 'hourlyWatermark' | 'dailyWatermark'>,
    private readonly rollups: Pick<RollupsRepository, 'read' | 'tariffs'>,
    private readonly series: SeriesRepository,
    private readonly redis: Redis,
    private readonly settings: ServingSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Pages of the series, in (device, time) order. */
  async *querySeries(query: SeriesQuery): AsyncGenerator<SeriesPageResult> {
    const resolution =
      query.resolution === 'auto' ? autoResolution(query.fromMs, query.toMs) : query.resolution;
    this.validate(query, resolution);
    // independent lookups: one round trip of latency instead of three
    const [rules, hourly, daily] = await Promise.all([
      this.series.rules(query.tenant, query.metric) as Promise<AggregationRule[]>,
      this.batch.hourlyWatermark(),
      this.batch.dailyWatermark(),
    ]);
    const { headline } = resolveRule(rules, query.tenant, query.metric);
    const page = (points: SeriesPoint[]): SeriesPageResult => ({
      resolution,
      batchWatermark: hourly,
      headline,
      points,
    });

    if (resolution === 'raw') {
      let after: { device: string; time: number } | undefined;
      for (;;) {
        const rows = await this.series.rawPage(
          query.tenant,
          query.devices,
          query.metric,
          query.fromMs,
          query.toMs,
          query.pageSize,
          after,
        );
        if (rows.length > 0 || after === undefined) {
          yield page(
            rows.map((row) => ({
              device: row.device,
              start: row.time,
              end: row.time,
              layer: 'raw',
              stats: null,
              value: row.value,
              stddev: null,
              wattHours: null,
              cost: null,
            })),
          );
        }
        if (rows.length < query.pageSize) return;
        const last = rows[rows.length - 1];
        after = { device: last.device, time: last.time };
      }
    }

    const from = bucketStart(query.fromMs, resolution, this.settings.zone);
    const to = query.toMs;
    let buffer: SeriesPoint[] = [];
    let sent = false;
    for (const device of [...query.devices].sort()) {
      const pieces = await this.pieces(query, device, resolution, from, to, hourly, daily);
      for (const bucket of assembleSeries(
        pieces,
        from,
        to,
        resolution,
        this.settings.zone,
        query.includeGaps,
      )) {
        const stats = bucket.stats;
        buffer.push({
          device,
          start: bucket.start,
          end: bucket.end,
          layer: bucket.layer,
          stats,
          value: stats ? headlineValue(stats, headline) : null,
          stddev: stats && Number.isFinite(stats.sumSquares) ? standardDeviation(stats) : null,
          wattHours: bucket.wattHours ?? null,
          cost: bucket.cost ?? null,
        });
        if (buffer.length >= query.pageSize) {
          yield page(buffer);
          sent = true;
          buffer = [];
        }
      }
    }
    if (buffer.length > 0 || !sent) yield page(buffer);
  }

  /** Energy (Wh) and cost per bucket of the devices' power series, from hourly/daily rollups. */
  async energy(query: EnergyQuery): Promise<{
    rows: EnergyRowResult[];
    currency: string | null;
    batchWatermark: number | null;
  }> {
    const { resolution, ...range } = query;
    this.validate({ ...range, metric: '*', pageSize: 1, includeGaps: false }, resolution);
    const table = query.resolution === '1h' ? 'rollups_1h' : 'rollups_1d';
    const current = await this.energyRows(
      table,
      query.tenant,
      query.devices,
      query.fromMs,
      query.toMs,
    );
    const baseline =
      query.baselineOffsetMs > 0
        ? await this.energyRows(
            table,
            query.tenant,
            query.devices,
            query.fromMs - query.baselineOffsetMs,
            query.toMs - query.baselineOffsetMs,
          )
        : [];
    const baselineByKey = new Map(
      baseline.map((row) => [
        `${row.device}|${row.metric}|${row.bucket + query.baselineOffsetMs}`,
        row,
      ]),
    );
    const tariff = (await this.rollups.tariffs([query.tenant])).get(query.tenant);
    return {
      currency: tariff?.currency ?? null,
      batchWatermark: await this.batch.hourlyWatermark(),
      rows: current.map((row) => {
        const before = baselineByKey.get(`${row.device}|${row.metric}|${row.bucket}`);
        return {
          device: row.device,
          metric: row.metric,
          start: row.bucket,
          end: nextBucketStart(row.bucket, query.resolution, this.settings.zone),
          wattHours: row.wattHours ?? 0,
          cost: row.cost,
          baselineWattHours: before ? (before.wattHours ?? 0) : null,
          baselineCost: before ? before.cost : null,
        };
      }),
    };
  }

  private async energyRows(
    table: 'rollups_1h' | 'rollups_1d',
    tenant: string,
    devices: string[],
    fromMs: number,
    toMs: number,
  ): Promise<StoredRollup[]> {
    return (await this.rollups.read(table, tenant, devices, null, fromMs, toMs)).filter(
      (row) => row.wattHours !== null,
    );
  }

  /**
   * Pieces of one device's series over [from, to): daily rollups up to the daily watermark, hourly
   * rollups up to the hourly one, then the speed layer (1m resolution below the watermark is
   * aggregated from readings on demand: there is no minute rollup table).
   */
  private async pieces(
    query: SeriesQuery,
    device: string,
    resolution: RollupResolution,
    from: number,
    to: number,
    hourly: number | null,
    daily: number | null,
  ): Promise<SeriesPiece[]> {
    const pieces: SeriesPiece[] = [];
    const hourlyEnd = Math.min(to, hourly ?? from);
    let cursor = from;
    if (resolution === '1d' && daily !== null && daily > cursor) {
      const end = Math.min(hourlyEnd, daily);
      pieces.push(...(await this.rollupPieces('rollups_1d', query, device, cursor, end)));
      cursor = Math.max(cursor, end);
    }
    if (hourlyEnd > cursor) {
      if (resolution === '1m') {
        const minutes = await this.series.minutes(
          query.tenant,
          [device],
          query.metric,
          cursor,
          hourlyEnd,
        );
        pieces.push(
          ...minutes.map((m) => ({ start: m.start, layer: 'batch' as const, stats: m.stats })),
        );
      } else {
        pieces.push(...(await this.rollupPieces('rollups_1h', query, device, cursor, hourlyEnd)));
      }
      cursor = hourlyEnd;
    }
    const speedEnd = Math.min(to, this.clock() + this.settings.speedWindowMs);
    if (speedEnd > cursor) {
      const windows = await readWindows(
        this.redis,
        query.tenant,
        device,
        query.metric,
        cursor,
        speedEnd,
        this.settings.speedWindowMs,
      );
      for (const window of windows) {
        pieces.push({
          start: window.windowStart,
          layer: 'speed',
          stats: {
            count: window.count,
            sum: window.sum,
            min: window.min,
            max: window.max,
            first: window.first,
            firstTime: window.firstTime,
            last: window.last,
            lastTime: window.lastTime,
            // windows keep no sum of squares: the standard deviation is unknown for these buckets
            sumSquares: Number.NaN,
            anomalies: 0,
          },
        });
      }
    }
    return pieces;
  }

  private async rollupPieces(
    table: 'rollups_1h' | 'rollups_1d',
    query: SeriesQuery,
    device: string,
    from: number,
    to: number,
  ): Promise<SeriesPiece[]> {
    const rows = await this.rollups.read(table, query.tenant, [device], query.metric, from, to);
    return rows.map((row) => ({
      start: row.bucket,
      layer: 'batch' as const,
      stats: row.stats,
      wattHours: row.wattHours ?? undefined,
      cost: row.cost ?? undefined,
    }));
  }

  private validate(query: Omit<SeriesQuery, 'resolution'>, resolution: SeriesResolution): void {
    const issues: ServingIssue[] = [];
    if (query.devices.length === 0)
      issues.push({ path: 'devices', message: 'at least one device' });
    if (query.devices.length > this.settings.maxDevices) {
      issues.push({
        path: 'devices',
        message: `at most ${this.settings.maxDevices} devices per query`,
      });
    }
    if (!query.metric) issues.push({ path: 'metric', message: 'required' });
    if (!(query.toMs > query.fromMs)) issues.push({ path: 'to', message: 'must be after from' });
    if (query.toMs - query.fromMs > MAX_RANGE_MS[resolution]) {
      issues.push({
        path: 'to',
        message: `a ${resolution} query spans at most ${MAX_RANGE_MS[resolution] / 86_400_000} days`,
      });
    }
    if (resolution !== 'raw' && issues.length === 0) {
      const buckets =
        resolution === '1d'
          ? (query.toMs - query.fromMs) / 82_800_000
          : (query.toMs - query.fromMs) / (resolution === '1h' ? 3_600_000 : 60_000);
      if (buckets * query.devices.length > this.settings.maxPoints) {
        issues.push({
          path: 'resolution',
          message: `${Math.ceil(buckets * query.devices.length)} buckets exceed ${this.settings.maxPoints}; use a coarser resolution`,
        });
      }
    }
    if (issues.length > 0) throw new ServingRequestError('invalid series query', issues);
  }
}
