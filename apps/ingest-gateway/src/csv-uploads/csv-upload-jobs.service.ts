import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  CsvFormatError,
  CsvHeaderError,
  ReadingSummaryAccumulator,
  formatSummaryCsv,
  readCsvReadings,
  type CsvReadingsBatch,
  type ParsedPoint,
} from '@sluice/ingest-parsers';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { ReadingsPublisher } from '../readings-ingest/readings.publisher';
import { ByteCounter, UploadTooLargeError } from './byte-counter';
import { toCsvReadingsOptions, type CsvUploadMapping } from './csv-upload.options';
import {
  uploadBytesRead,
  uploadJobsFinished,
  uploadJobsRunning,
  uploadRows,
} from './csv-uploads.metrics';
import {
  UploadJobsRepository,
  type UploadProgress,
  type UploadRowError,
} from './upload-jobs.repository';

export interface UploadSource {
  /** The CSV bytes (a raw request body or a multipart file part). */
  stream: Readable;
  fileName: string | null;
  /** Content-Length when known: progress is bytes read over it. */
  bytesTotal: number | null;
  traceparent: string;
}

type Batches = AsyncIterator<CsvReadingsBatch, undefined>;

interface RunningJob {
  id: string;
  principal: Principal;
  source: UploadSource;
  counter: ByteCounter;
  progress: UploadProgress;
  /** Row errors waiting to be written (only the first UPLOAD_MAX_ERROR_ROWS are ever kept). */
  pendingErrors: UploadRowError[];
  errorsKept: number;
  summary: ReadingSummaryAccumulator;
  /** Settles when the job has finished and its final state is written. */
  done?: Promise<void>;
}

class JobAbortedError extends Error {}

/**
 * Runs CSV upload jobs: reads the stream batch by batch (csv-parse pulls only as fast as batches
 * are published, so a file of any size never sits in memory), publishes each batch through
 * `ReadingsPublisher` and waits for Kafka's ack before reading on, keeps the per-device summary,
 * and records progress, row errors and the result CSV in PostgreSQL for any replica to serve.
 *
 * `start` resolves once the header and the first batch were read (so a header that does not fit
 * the mapping is a synchronous 400), and the job goes on in the background.
 */
@Injectable()
export class CsvUploadJobsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(CsvUploadJobsService.name);
  private readonly running = new Map<string, RunningJob>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly jobs: UploadJobsRepository,
    private readonly publisher: ReadingsPublisher,
  ) {}

  async start(
    principal: Principal,
    source: UploadSource,
    mapping: CsvUploadMapping,
  ): Promise<{ id: string }> {
    if (this.running.size >= this.config.UPLOAD_MAX_CONCURRENT) {
      throw new ApiError(
        503,
        'uploads_busy',
        `this gateway already runs ${this.running.size} upload jobs (UPLOAD_MAX_CONCURRENT); retry later`,
        [],
        { 'retry-after': String(this.config.INGEST_RETRY_AFTER_S) },
      );
    }
    const counter = new ByteCounter(this.config.UPLOAD_MAX_BYTES);
    source.stream.on('error', (error) => counter.destroy(error));
    // A client that goes away mid-upload closes the request without ending it.
    source.stream.on('close', () => {
      if (!source.stream.readableEnded)
        counter.destroy(new Error('the upload was cut off before the end of the file'));
    });
    source.stream.pipe(counter);
    const batches = readCsvReadings(
      counter,
      toCsvReadingsOptions(mapping, this.config.UPLOAD_BATCH_ROWS),
    )[Symbol.asyncIterator]() as Batches;

    const job: RunningJob = {
      id: randomUUID(),
      principal,
      source,
      counter,
      progress: {
        bytesRead: 0,
        rowsRead: 0,
        rowsAccepted: 0,
        rowsRejected: 0,
        readingsAccepted: 0,
      },
      pendingErrors: [],
      errorsKept: 0,
      summary: new ReadingSummaryAccumulator(),
    };
    this.running.set(job.id, job);
    uploadJobsRunning.set(this.running.size);
    let first: IteratorResult<CsvReadingsBatch, undefined>;
    try {
      first = await batches.next();
      await this.jobs.create({
        id: job.id,
        tenant: principal.tenant,
        keyId: principal.keyId,
        fileName: source.fileName,
        options: mapping,
        bytesTotal: source.bytesTotal,
      });
    } catch (error) {
      this.forget(job);
      source.stream.unpipe(counter);
      throw toStartError(error);
    }
    job.done = this.run(job, first, batches).finally(() => this.forget(job));
    return { id: job.id };
  }

  /** Jobs still reading are failed ("gateway shutting down") so their state is final. */
  async beforeApplicationShutdown(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const job of jobs) job.counter.destroy(new JobAbortedError('the gateway shut down'));
    await Promise.all(jobs.map((job) => job.done));
  }

  private async run(
    job: RunningJob,
    first: IteratorResult<CsvReadingsBatch, undefined>,
    batches: Batches,
  ): Promise<void> {
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      flushing = flushing
        .then(() => this.flushProgress(job))
        .catch((error: unknown) => {
          this.logger.warn({ msg: 'could not record upload progress', job: job.id, err: error });
        });
      return flushing;
    };
    const timer = setInterval(() => void flush(), this.config.UPLOAD_PROGRESS_INTERVAL_MS);
    timer.unref();
    let outcome: { status: 'succeeded'; resultCsv: string } | { status: 'failed'; error: string };
    try {
      for (let next = first; !next.done; next = await batches.next()) {
        await this.handleBatch(job, next.value);
      }
      outcome = { status: 'succeeded', resultCsv: formatSummaryCsv(job.summary.summaries()) };
    } catch (error) {
      outcome = { status: 'failed', error: describeFailure(error) };
      job.source.stream.unpipe(job.counter);
      job.source.stream.destroy();
      // the iterator's finally destroys the counter; nothing more is read
      await batches.return?.(undefined).catch(() => undefined);
    } finally {
      clearInterval(timer);
    }
    job.progress.bytesRead = job.counter.bytes;
    try {
      await flush();
      await this.jobs.addRowErrors(job.id, job.pendingErrors.splice(0));
      await this.jobs.finish(job.id, outcome, job.progress);
    } catch (error) {
      this.logger.error({
        msg: 'could not record the end of an upload job',
        job: job.id,
        err: error,
      });
    }
    uploadBytesRead.inc(job.counter.bytes);
    uploadJobsFinished.inc({ outcome: outcome.status });
    if (outcome.status === 'failed')
      this.logger.warn({ msg: 'upload job failed', job: job.id, reason: outcome.error });
  }

  private async handleBatch(job: RunningJob, batch: CsvReadingsBatch): Promise<void> {
    const { principal } = job;
    for (const error of batch.errors)
      this.rejectRow(job, {
        row: error.line,
        column: error.column ?? null,
        message: error.message,
      });
    let points: ParsedPoint[] = [];
    for (const point of batch.points) {
      if (mayAccessDevice(principal, point.device)) points.push(point);
      else
        this.rejectRow(job, {
          row: point.line,
          column: null,
          message: `row ${point.line}: API key is not allowed to access device "${point.device}"`,
        });
    }
    points = await this.publish(job, points);
    for (const point of points) job.summary.addPoint(point);
    job.progress.rowsRead = batch.rowsRead;
    job.progress.bytesRead = job.counter.bytes;
    uploadRows.inc({ outcome: 'accepted' }, points.length);
  }

  /** Publishes the points, retrying while Kafka is unavailable; returns the points accepted. */
  private async publish(job: RunningJob, points: ParsedPoint[]): Promise<ParsedPoint[]> {
    const giveUpAt = Date.now() + this.config.UPLOAD_PUBLISH_RETRY_MS;
    for (;;) {
      if (points.length === 0) return points;
      try {
        const { accepted } = await this.publisher.publish(job.principal, points, {
          source: 'csv',
          traceparent: job.source.traceparent,
        });
        job.progress.rowsAccepted += points.length;
        job.progress.readingsAccepted += accepted;
        return points;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.code === 'unknown_device') {
          // INGEST_AUTO_REGISTER_DEVICES=false: rows of unregistered devices are refused, not the file
          const unknown = new Set(error.details.map((detail) => String(detail.value)));
          points = points.filter((point) => {
            if (!unknown.has(point.device)) return true;
            this.rejectRow(job, {
              row: point.line,
              column: null,
              message: `row ${point.line}: device "${point.device}" is not registered`,
            });
            return false;
          });
          continue;
        }
        if (error.status !== 503 || Date.now() >= giveUpAt) throw error;
        if (job.counter.destroyed) throw new JobAbortedError('the gateway shut down');
        await delay(Math.min(1000, Math.max(0, giveUpAt - Date.now())));
      }
    }
  }

  private rejectRow(job: RunningJob, error: UploadRowError): void {
    job.progress.rowsRejected++;
    uploadRows.inc({ outcome: 'rejected' });
    if (job.errorsKept >= this.config.UPLOAD_MAX_ERROR_ROWS) return;
    job.errorsKept++;
    job.pendingErrors.push(error);
  }

  private async flushProgress(job: RunningJob): Promise<void> {
    job.progress.bytesRead = Math.max(job.progress.bytesRead, job.counter.bytes);
    await this.jobs.addRowErrors(job.id, job.pendingErrors.splice(0));
    await this.jobs.updateProgress(job.id, { ...job.progress });
  }

  private forget(job: RunningJob): void {
    this.running.delete(job.id);
    uploadJobsRunning.set(this.running.size);
  }
}

/** Errors before the job exists become the HTTP answer (the client is still sending). */
function toStartError(error: unknown): unknown {
  // the client is probably still sending a file nobody will read: close after the answer
  const close = { connection: 'close' };
  if (error instanceof CsvHeaderError) {
    return new ApiError(
      400,
      'invalid_csv_header',
      'the CSV header does not match the column mapping; nothing was read',
      error.problems.map((problem) => ({ path: 'header', message: problem })),
      close,
    );
  }
  if (error instanceof CsvFormatError) {
    return new ApiError(
      400,
      'invalid_csv',
      error.message,
      [{ path: `line ${error.line}`, message: error.message }],
      close,
    );
  }
  if (error instanceof UploadTooLargeError) {
    return new ApiError(
      413,
      'payload_too_large',
      error.message,
      [{ path: '(body)', message: error.message }],
      close,
    );
  }
  if (error instanceof ApiError) {
    return new ApiError(error.status, error.code, error.message, error.details, {
      ...error.headers,
      ...close,
    });
  }
  return error;
}

function describeFailure(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
