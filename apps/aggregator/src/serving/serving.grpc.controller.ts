import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';
import { catchError, finalize, from, map, throwError, type Observable } from 'rxjs';
import { BatchLayerService } from '../batch-layer/batch-layer.service';
import {
  BatchRunsRepository,
  type BatchJob,
  type BatchRun,
  type RunStatus,
} from '../batch-layer/batch-runs.repository';
import { ServingRequestError } from './serving.errors';
import { ServingService, type SeriesPoint, type SeriesResolution } from './serving.service';

const SERVICE = 'ServingService';

const queryDuration = createHistogram({
  name: 'sluice_serving_query_duration_seconds',
  help: 'Serving-layer QuerySeries calls, first request to last page sent, by requested resolution',
  labelNames: ['resolution'] as const,
  buckets: [...LATENCY_BUCKETS_SECONDS],
});
const RESOLUTIONS = ['raw', '1m', '1h', '1d', 'auto'] as const;
const JOBS: BatchJob[] = ['hourly', 'daily', 'dirty', 'backfill', 'retention'];
const STATUSES: RunStatus[] = ['running', 'succeeded', 'failed', 'interrupted'];

// int64 fields arrive as decimal strings (proto-loader longs: String)
type Int64 = string | number;

interface SeriesRequest {
  tenant: string;
  devices: string[];
  metric: string;
  from: Int64;
  to: Int64;
  resolution: string;
  includeGaps: boolean;
  pageSize: number;
}

interface EnergyRequest {
  tenant: string;
  devices: string[];
  from: Int64;
  to: Int64;
  resolution: string;
  baselineOffsetMs: Int64;
}

interface ListRunsRequest {
  tenant: string;
  job: string;
  status: string;
  limit: number;
  beforeId: Int64;
}

interface BackfillRequest {
  tenant: string;
  devices: string[];
  metrics: string[];
  from: Int64;
  to: Int64;
}

function pointMessage(point: SeriesPoint): Record<string, unknown> {
  const stats = point.stats;
  return {
    device: point.device,
    start: point.start,
    end: point.end,
    layer: point.layer,
    count: stats?.count ?? (point.layer === 'raw' ? 1 : 0),
    value: point.value ?? Number.NaN,
    avg: stats ? stats.sum / stats.count : (point.value ?? Number.NaN),
    min: stats?.min ?? point.value ?? Number.NaN,
    max: stats?.max ?? point.value ?? Number.NaN,
    sum: stats?.sum ?? point.value ?? Number.NaN,
    first: stats?.first ?? point.value ?? Number.NaN,
    firstTime: stats?.firstTime ?? point.start,
    last: stats?.last ?? point.value ?? Number.NaN,
    lastTime: stats?.lastTime ?? point.start,
    stddev: point.stddev ?? Number.NaN,
    anomalies: stats?.anomalies ?? 0,
    hasEnergy: point.wattHours !== null,
    energyWh: point.wattHours ?? 0,
    cost: point.cost ?? 0,
  };
}

function runMessage(run: BatchRun): Record<string, unknown> {
  return {
    id: run.id,
    job: run.job,
    tenant: run.tenant ?? '',
    rangeFrom: run.rangeFrom ?? 0,
    rangeTo: run.rangeTo ?? 0,
    status: run.status,
    attempt: run.attempt,
    runner: run.runner,
    rowsRead: run.rowsRead,
    rowsWritten: run.rowsWritten,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? 0,
    durationMs: run.durationMs ?? 0,
    error: run.error ?? '',
    detailsJson: JSON.stringify(run.details),
  };
}

function requireTenant(tenant: string): void {
  if (!tenant)
    throw new ServingRequestError('tenant is required', [{ path: 'tenant', message: 'required' }]);
}

function oneOf<T extends string>(value: string, allowed: ReadonlyArray<T>, path: string): T {
  if (!(allowed as ReadonlyArray<string>).includes(value)) {
    throw new ServingRequestError(`invalid ${path}`, [
      { path, message: `must be one of ${allowed.join(', ')} (got "${value}")` },
    ]);
  }
  return value as T;
}

async function rpc<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ServingRequestError) throw error.toRpc();
    throw error;
  }
}

/** `sluice.serving.v1.ServingService` for the gateway. */
@Controller()
export class ServingGrpcController {
  constructor(
    private readonly serving: ServingService,
    private readonly runs: BatchRunsRepository,
    private readonly batch: BatchLayerService,
  ) {}

  @GrpcMethod(SERVICE, 'QuerySeries')
  querySeries(request: SeriesRequest): Observable<Record<string, unknown>> {
    const pages = async function* (serving: ServingService) {
      requireTenant(request.tenant);
      const resolution = oneOf(request.resolution || 'auto', RESOLUTIONS, 'resolution');
      yield* serving.querySeries({
        tenant: request.tenant,
        devices: request.devices ?? [],
        metric: request.metric,
        fromMs: Number(request.from),
        toMs: Number(request.to),
        resolution: resolution as SeriesResolution | 'auto',
        includeGaps: request.includeGaps,
        pageSize: Math.min(Math.max(request.pageSize || 5_000, 1), 20_000),
      });
    };
    const stopTimer = queryDuration.startTimer({
      resolution: (RESOLUTIONS as ReadonlyArray<string>).includes(request.resolution)
        ? request.resolution
        : 'invalid',
    });
    return from(pages(this.serving)).pipe(
      finalize(() => stopTimer()),
      map((page) => ({
        resolution: page.resolution,
        batchWatermark: page.batchWatermark ?? 0,
        headline: page.headline,
        points: page.points.map(pointMessage),
      })),
      catchError((error: unknown) =>
        throwError(() => (error instanceof ServingRequestError ? error.toRpc() : error)),
      ),
    );
  }

  @GrpcMethod(SERVICE, 'Energy')
  energy(request: EnergyRequest): Promise<Record<string, unknown>> {
    return rpc(async () => {
      requireTenant(request.tenant);
      const result = await this.serving.energy({
        tenant: request.tenant,
        devices: request.devices ?? [],
        fromMs: Number(request.from),
        toMs: Number(request.to),
        resolution: oneOf(request.resolution || '1h', ['1h', '1d'] as const, 'resolution'),
        baselineOffsetMs: Number(request.baselineOffsetMs || 0),
      });
      const sum = (values: Array<number | null>) =>
        values.reduce<number>((a, b) => a + (b ?? 0), 0);
      const baselineRows = result.rows.filter((row) => row.baselineWattHours !== null);
      return {
        currency: result.currency ?? '',
        batchWatermark: result.batchWatermark ?? 0,
        totalWh: sum(result.rows.map((r) => r.wattHours)),
        totalCost: sum(result.rows.map((r) => r.cost)),
        baselineTotalWh: sum(baselineRows.map((r) => r.baselineWattHours)),
        baselineTotalCost: sum(baselineRows.map((r) => r.baselineCost)),
        rows: result.rows.map((row) => ({
          device: row.device,
          metric: row.metric,
          start: row.start,
          end: row.end,
          energyWh: row.wattHours,
          cost: row.cost ?? 0,
          hasBaseline: row.baselineWattHours !== null,
          baselineWh: row.baselineWattHours ?? 0,
          baselineCost: row.baselineCost ?? 0,
        })),
      };
    });
  }

  @GrpcMethod(SERVICE, 'ListRuns')
  listRuns(request: ListRunsRequest): Promise<Record<string, unknown>> {
    return rpc(async () => {
      requireTenant(request.tenant);
      const runs = await this.runs.list({
        tenant: request.tenant,
        job: request.job ? oneOf(request.job, JOBS, 'job') : undefined,
        status: request.status ? oneOf(request.status, STATUSES, 'status') : undefined,
        limit: Math.min(Math.max(request.limit || 50, 1), 500),
        beforeId: Number(request.beforeId) > 0 ? Number(request.beforeId) : undefined,
      });
      return {
        runs: runs.map(runMessage),
        hourlyWatermark: (await this.batch.hourlyWatermark()) ?? 0,
        dailyWatermark: (await this.batch.dailyWatermark()) ?? 0,
      };
    });
  }

  @GrpcMethod(SERVICE, 'Backfill')
  backfill(request: BackfillRequest): Promise<Record<string, unknown>> {
    return rpc(async () => {
      requireTenant(request.tenant);
      const fromMs = Number(request.from);
      const toMs = Number(request.to);
      if (!(toMs > fromMs)) {
        throw new ServingRequestError('invalid backfill range', [
          { path: 'to', message: 'must be after from' },
        ]);
      }
      const started = await this.batch.startBackfill({
        tenant: request.tenant,
        devices: request.devices?.length ? request.devices : undefined,
        metrics: request.metrics?.length ? request.metrics : undefined,
        fromMs,
        toMs,
      });
      // the run's outcome is recorded in batch_runs; nothing waits on it here
      started.done.catch(() => undefined);
      return { runId: started.runId, hoursTotal: started.hoursTotal };
    });
  }
}
