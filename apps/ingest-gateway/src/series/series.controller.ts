import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { formatIssues } from '@sluice/contracts';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiError } from '../http/api-error';
import { AggregatorClient } from './aggregator.client';
import {
  ENERGY_CSV_COLUMNS,
  energyRowView,
  pointCsvRow,
  pointView,
  SERIES_CSV_COLUMNS,
  type EnergyReplyMessage,
  type SeriesPageMessage,
  type SeriesPointView,
} from './series.views';

const TimeParam = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((value) => Date.parse(value)),
]);
const DeviceList = z
  .string()
  .min(1)
  .transform((value) => [
    ...new Set(
      value
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(z.array(z.string().min(1).max(200)).min(1).max(100));

const SeriesQuerySchema = z.object({
  devices: DeviceList,
  metric: z.string().min(1).max(200),
  from: TimeParam,
  to: TimeParam,
  resolution: z.enum(['raw', '1m', '1h', '1d', 'auto']).default('auto'),
  gaps: z.enum(['true', 'false']).default('true'),
  format: z.enum(['json', 'csv']).optional(),
});

const EnergyQuerySchema = z.object({
  devices: DeviceList,
  from: TimeParam,
  to: TimeParam,
  resolution: z.enum(['1h', '1d']).default('1h'),
  /** compare with the same buckets this long before (ms), e.g. 604800000 for last week */
  baselineOffsetMs: z.coerce.number().int().min(0).default(0),
  format: z.enum(['json', 'csv']).optional(),
});

const RunsQuerySchema = z.object({
  job: z.enum(['hourly', 'daily', 'dirty', 'backfill', 'retention']).optional(),
  status: z.enum(['running', 'succeeded', 'failed', 'interrupted']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional(),
});

const BackfillBodySchema = z.object({
  devices: z.array(z.string().min(1)).max(1000).optional(),
  metrics: z.array(z.string().min(1)).max(1000).optional(),
  from: z.union([
    z.number().int(),
    z.iso.datetime({ offset: true }).transform((v) => Date.parse(v)),
  ]),
  to: z.union([z.number().int(), z.iso.datetime({ offset: true }).transform((v) => Date.parse(v))]),
});

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ApiError(
      400,
      `invalid_${what}`,
      `invalid ${what} parameters`,
      formatIssues(parsed.error),
    );
  }
  return parsed.data;
}

function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format) return format === 'csv';
  return (accept ?? '').split(',').some((part) => part.trim().startsWith('text/csv'));
}

function checkDevices(principal: Principal, devices: string[]): void {
  const denied = devices.filter((device) => !mayAccessDevice(principal, device));
  if (denied.length > 0) {
    throw new ApiError(
      403,
      'device_forbidden',
      'the API key may not read these devices',
      denied.map((device) => ({ path: 'devices', message: `not allowed: ${device}` })),
    );
  }
}

/**
 * Batch and serving layers (gRPC to the aggregator's ServingService).
 * - `GET /api/v1/series?devices=a,b&metric=&from=&to=&resolution=raw|1m|1h|1d|auto[&gaps=false][&format=csv]`
 *   (`from`/`to` epoch ms or ISO-8601; `Accept: text/csv` works too) →
 *   `{tenant, metric, resolution, headline, batchWatermark, from, to, series:[{device, points:[{start, end,
 *   layer: "batch"|"speed"|"batch+speed"|"raw"|"gap", value, count, avg, min, max, sum, first, last, stddev,
 *   energyWh, cost}]}]}`. Points before `batchWatermark` come from rollups, later ones from the speed layer;
 *   `value` is the headline (avg/max/min/sum/last/count by the tenant's aggregation rules); gaps have
 *   null values. CSV (streamed): `device,start,start_iso,end,layer,value,count,avg,min,max,sum,first,last,stddev,energy_wh,cost`.
 * - `GET /api/v1/energy?devices=&from=&to=&resolution=1h|1d[&baselineOffsetMs=604800000][&format=csv]` →
 *   `{currency, totalWh, totalCost, baselineTotalWh, baselineTotalCost, savingWh, savingCost, batchWatermark,
 *   rows:[{device, metric, start, end, energyWh, cost, baselineWh, baselineCost, savingWh, savingCost}]}`.
 * - `GET /api/v1/batch/runs?job=&status=&limit=&before=` → `{hourlyWatermark, dailyWatermark, runs:[{id, job,
 *   tenant, rangeFrom, rangeTo, status, attempt, runner, rowsRead, rowsWritten, startedAt, finishedAt,
 *   durationMs, error, details}]}`.
 * - `POST /api/v1/admin/backfill` `{from, to, devices?, metrics?}` (admin) → 202 `{runId, hoursTotal}`;
 *   follow progress in `/batch/runs?job=backfill` (`details.hoursDone`).
 */
@Controller('api/v1')
export class SeriesController {
  constructor(private readonly aggregator: AggregatorClient) {}

  @Get('series')
  @RequireScope('read')
  async series(
    @CurrentPrincipal() principal: Principal,
    @Query() rawQuery: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const query = parse(SeriesQuerySchema, rawQuery, 'query');
    checkDevices(principal, query.devices);
    const pages = this.aggregator.stream<SeriesPageMessage>('QuerySeries', {
      tenant: principal.tenant,
      devices: query.devices,
      metric: query.metric,
      from: query.from,
      to: query.to,
      resolution: query.resolution,
      includeGaps: query.gaps === 'true',
      pageSize: 5_000,
    });
    // the first page carries validation errors: fail with a 4xx before any byte is sent
    const first = await pages.next();
    const firstPage = first.done ? undefined : first.value;

    if (wantsCsv(query.format, accept)) {
      const csv = stringify({ header: true, columns: [...SERIES_CSV_COLUMNS] });
      void (async () => {
        try {
          if (firstPage)
            for (const point of firstPage.points)
              csv.write(pointCsvRow(point.device, pointView(point)));
          for await (const page of pages) {
            for (const point of page.points) {
              if (!csv.write(pointCsvRow(point.device, pointView(point)))) {
                await new Promise((resolve) => csv.once('drain', resolve));
              }
            }
          }
          csv.end();
        } catch (error) {
          csv.destroy(error instanceof Error ? error : new Error(String(error)));
        }
      })();
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${query.metric}-series.csv"`);
      return new StreamableFile(csv);
    }

    const byDevice = new Map<string, SeriesPointView[]>(query.devices.map((d) => [d, []]));
    const add = (page: SeriesPageMessage) => {
      for (const point of page.points) byDevice.get(point.device)?.push(pointView(point));
    };
    if (firstPage) add(firstPage);
    for await (const page of pages) add(page);
    return {
      tenant: principal.tenant,
      metric: query.metric,
      resolution: firstPage?.resolution ?? query.resolution,
      headline: firstPage?.headline ?? null,
      batchWatermark:
        firstPage && Number(firstPage.batchWatermark) > 0 ? Number(firstPage.batchWatermark) : null,
      from: query.from,
      to: query.to,
      series: [...byDevice.entries()].map(([device, points]) => ({ device, points })),
    };
  }

  @Get('energy')
  @RequireScope('read')
  async energy(
    @CurrentPrincipal() principal: Principal,
    @Query() rawQuery: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const query = parse(EnergyQuerySchema, rawQuery, 'query');
    checkDevices(principal, query.devices);
    const result = await this.aggregator.call<EnergyReplyMessage>('Energy', {
      tenant: principal.tenant,
      devices: query.devices,
      from: query.from,
      to: query.to,
      resolution: query.resolution,
      baselineOffsetMs: query.baselineOffsetMs,
    });
    const rows = result.rows.map((row) => energyRowView(row, result.currency));
    if (wantsCsv(query.format, accept)) {
      const csv = stringify({ header: true, columns: [...ENERGY_CSV_COLUMNS] });
      for (const row of rows) {
        const cell = (value: number | null) => (value === null ? '' : value);
        csv.write([
          row.device,
          row.metric,
          row.start,
          new Date(row.start).toISOString(),
          row.end,
          row.energyWh,
          cell(row.cost),
          cell(row.baselineWh),
          cell(row.baselineCost),
          cell(row.savingWh),
          cell(row.savingCost),
        ]);
      }
      csv.end();
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="energy.csv"');
      return new StreamableFile(csv);
    }
    const hasBaseline = query.baselineOffsetMs > 0;
    return {
      tenant: principal.tenant,
      resolution: query.resolution,
      currency: result.currency || null,
      batchWatermark: Number(result.batchWatermark) > 0 ? Number(result.batchWatermark) : null,
      totalWh: result.totalWh,
      totalCost: result.currency ? result.totalCost : null,
      baselineTotalWh: hasBaseline ? result.baselineTotalWh : null,
      baselineTotalCost: hasBaseline && result.currency ? result.baselineTotalCost : null,
      savingWh: hasBaseline ? result.baselineTotalWh - result.totalWh : null,
      savingCost:
        hasBaseline && result.currency ? result.baselineTotalCost - result.totalCost : null,
      rows,
    };
  }

  @Get('batch/runs')
  @RequireScope('read')
  async runs(
    @CurrentPrincipal() principal: Principal,
    @Query() rawQuery: Record<string, unknown>,
  ): Promise<unknown> {
    const query = parse(RunsQuerySchema, rawQuery, 'query');
    const result = await this.aggregator.call<{
      runs: Array<Record<string, string | number>>;
      hourlyWatermark: string;
      dailyWatermark: string;
    }>('ListRuns', {
      tenant: principal.tenant,
      job: query.job ?? '',
      status: query.status ?? '',
      limit: query.limit,
      beforeId: query.before ?? 0,
    });
    const ms = (value: string | number) => (Number(value) > 0 ? Number(value) : null);
    return {
      hourlyWatermark: ms(result.hourlyWatermark),
      dailyWatermark: ms(result.dailyWatermark),
      runs: result.runs.map((run) => ({
        id: Number(run.id),
        job: run.job,
        tenant: run.tenant || null,
        rangeFrom: ms(run.rangeFrom),
        rangeTo: ms(run.rangeTo),
        status: run.status,
        attempt: run.attempt,
        runner: run.runner,
        rowsRead: Number(run.rowsRead),
        rowsWritten: Number(run.rowsWritten),
        startedAt: ms(run.startedAt),
        finishedAt: ms(run.finishedAt),
        durationMs: run.finishedAt && Number(run.finishedAt) > 0 ? Number(run.durationMs) : null,
        error: run.error || null,
        details: JSON.parse(String(run.detailsJson || '{}')) as Record<string, unknown>,
      })),
    };
  }

  @Post('admin/backfill')
  @HttpCode(202)
  @RequireScope('admin')
  async backfill(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
  ): Promise<unknown> {
    const request = parse(BackfillBodySchema, body, 'body');
    const result = await this.aggregator.call<{ runId: string; hoursTotal: string }>('Backfill', {
      tenant: principal.tenant,
      devices: request.devices ?? [],
      metrics: request.metrics ?? [],
      from: request.from,
      to: request.to,
    });
    return { runId: Number(result.runId), hoursTotal: Number(result.hoursTotal) };
  }
}
