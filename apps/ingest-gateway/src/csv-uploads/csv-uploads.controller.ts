import { Readable } from 'node:stream';
import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { AuthError } from '../auth/auth.errors';
import { extractApiKey, hasScope, type Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiError } from '../http/api-error';
import { gatewayTraceparent } from '../http/trace-context';
import { parseUploadMapping } from './csv-upload.options';
import { CsvUploadJobsService, type UploadSource } from './csv-upload-jobs.service';
import {
  UploadJobsRepository,
  type UploadJob,
  type UploadRowError,
} from './upload-jobs.repository';

/** `GET /api/v1/uploads/:id` */
export interface UploadJobStatusBody {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  fileName: string | null;
  /** Content-Length of the upload, when the client sent one. */
  bytesTotal: number | null;
  bytesRead: number;
  /** 0..1: bytesRead / bytesTotal (1 once succeeded; null when the size is unknown). */
  progress: number | null;
  /** Data rows read so far (header and blank rows not counted). */
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  /** Readings in Kafka (a wide row carries several). */
  readingsAccepted: number;
  /** Why the job failed as a whole. */
  error: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  links: { self: string; errors: string; result: string };
}

/** `GET /api/v1/uploads/:id/errors?after=<row>&limit=<1..1000>` */
export interface UploadErrorsBody {
  id: string;
  rowsRejected: number;
  /** Row errors in row order; at most UPLOAD_MAX_ERROR_ROWS are kept per job. */
  errors: UploadRowError[];
  /** `after` for the next page, null on the last page. */
  nextAfter: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * CSV upload jobs. Reading a job (status, errors, result) needs the `read` scope of the job's
 * tenant, or being the very key that uploaded it — so a write-only agent can follow its own
 * upload but never see anyone else's. A job of another tenant is a 404, like a missing one.
 */
@Controller('api/v1/uploads')
export class CsvUploadsController {
  constructor(
    private readonly uploads: CsvUploadJobsService,
    private readonly jobs: UploadJobsRepository,
    private readonly auth: ApiKeyAuthService,
  ) {}

  /**
   * Body: the CSV itself (`Content-Type: text/csv`; `curl --data-binary @f.csv`) or multipart with
   * a `file` field (`curl -F file=@f.csv`; a `mapping` JSON field must come before `file`).
   * Mapping from query parameters and/or `mapping` JSON (see csv-upload.options.ts).
   * 202 `{ id, status: "running", links }` once the header was checked; 400 for a header or
   * mapping that does not fit; 413 over UPLOAD_MAX_BYTES.
   */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Headers('traceparent') traceparent: string | undefined,
  ): Promise<{ id: string; status: 'running'; links: UploadJobStatusBody['links'] }> {
    const contentLength = Number(request.headers['content-length']);
    const bytesTotal = Number.isSafeInteger(contentLength) ? contentLength : null;
    let source: UploadSource;
    let mappingJson: string | undefined;
    if (request.isMultipart()) {
      const part = await request.file();
      if (part === undefined || part.fieldname !== 'file') {
        throw new ApiError(400, 'missing_file', 'multipart upload needs a "file" field', [
          { path: 'file', message: 'send the CSV as the multipart field "file"' },
        ]);
      }
      const field = part.fields['mapping'];
      const value = Array.isArray(field) ? field[0] : field;
      if (value !== undefined && value.type === 'field') mappingJson = String(value.value);
      source = {
        stream: part.file,
        fileName: part.filename || null,
        bytesTotal,
        traceparent: gatewayTraceparent(traceparent),
      };
    } else if (request.body instanceof Readable) {
      source = {
        stream: request.body,
        fileName: null,
        bytesTotal,
        traceparent: gatewayTraceparent(traceparent),
      };
    } else {
      const message =
        'Content-Type must be text/csv (the file as the body) or multipart/form-data (a "file" field)';
      throw new ApiError(415, 'unsupported_media_type', message, [
        { path: 'Content-Type', message },
      ]);
    }
    const mapping = parseUploadMapping(query, mappingJson);
    const { id } = await this.uploads.start(principal, source, mapping);
    return { id, status: 'running', links: linksOf(id) };
  }

  @Get(':id')
  async status(
    @Param('id') id: string,
    @Headers() headers: Record<string, string | string[] | undefined>,
  ): Promise<UploadJobStatusBody> {
    const job = await this.readableJob(headers, id);
    return toStatusBody(job);
  }

  @Get(':id/errors')
  async errors(
    @Param('id') id: string,
    @Query('after') after: string | undefined,
    @Query('limit') limit: string | undefined,
    @Headers() headers: Record<string, string | string[] | undefined>,
  ): Promise<UploadErrorsBody> {
    const job = await this.readableJob(headers, id);
    const afterRow = integerParam('after', after, 0, 0, Number.MAX_SAFE_INTEGER);
    const pageSize = integerParam('limit', limit, 1000, 1, 1000);
    const errors = await this.jobs.rowErrors(job.tenant, id, { afterRow, limit: pageSize });
    return {
      id,
      rowsRejected: job.rowsRejected,
      errors,
      nextAfter: errors.length === pageSize ? errors[errors.length - 1].row : null,
    };
  }

  /** The result CSV (`device,metric,unit,count,min,max,mean,headline_aggregate,headline`). */
  @Get(':id/result')
  async result(
    @Param('id') id: string,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const job = await this.readableJob(headers, id);
    if (job.status !== 'succeeded') {
      const message =
        job.status === 'running'
          ? 'the upload is still running; poll GET /api/v1/uploads/:id until status is "succeeded"'
          : `the upload failed (${job.error ?? 'unknown reason'}); it has no result`;
      throw new ApiError(
        409,
        job.status === 'running' ? 'upload_running' : 'upload_failed',
        message,
      );
    }
    const csv = (await this.jobs.resultCsv(job.tenant, id)) ?? '';
    await reply
      .status(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="upload-${id}-result.csv"`)
      .send(csv);
  }

  private async readableJob(
    headers: Record<string, string | string[] | undefined>,
    id: string,
  ): Promise<UploadJob> {
    const principal = await this.auth.authenticate(extractApiKey(headers));
    const job = UUID.test(id) ? await this.jobs.find(principal.tenant, id) : undefined;
    if (job === undefined) throw notFound(id);
    if (!hasScope(principal, 'read') && job.keyId !== principal.keyId)
      throw AuthError.missingScope('read');
    return job;
  }
}

function linksOf(id: string): UploadJobStatusBody['links'] {
  const self = `/api/v1/uploads/${id}`;
  return { self, errors: `${self}/errors`, result: `${self}/result` };
}

function toStatusBody(job: UploadJob): UploadJobStatusBody {
  let progress: number | null = null;
  if (job.status === 'succeeded') progress = 1;
  else if (job.bytesTotal !== null && job.bytesTotal > 0)
    progress = Math.min(1, job.bytesRead / job.bytesTotal);
  return {
    id: job.id,
    status: job.status,
    fileName: job.fileName,
    bytesTotal: job.bytesTotal,
    bytesRead: job.bytesRead,
    progress,
    rowsRead: job.rowsRead,
    rowsAccepted: job.rowsAccepted,
    rowsRejected: job.rowsRejected,
    readingsAccepted: job.readingsAccepted,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
    links: linksOf(job.id),
  };
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `upload ${JSON.stringify(id)} not found`, [
    { path: 'id', message: 'no upload with this id for your tenant', value: id },
  ]);
}

function integerParam(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    const message = `must be an integer from ${min} to ${max}`;
    throw new ApiError(400, 'invalid_query', `${name} ${message}`, [
      { path: name, message, value: text },
    ]);
  }
  return value;
}
