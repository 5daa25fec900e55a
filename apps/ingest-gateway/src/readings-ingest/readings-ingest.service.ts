import { Inject, Injectable } from '@nestjs/common';
import type { IngestSource } from '@sluice/contracts';
import { AuthError } from '../auth/auth.errors';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { groupByDevice } from './raw-batch.builder';
import { readingsRejected } from './ingest.metrics';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { ReadingsPublisher } from './readings.publisher';
import { ReadingsRequestValidator, type ValidatedReading } from './readings-request.validator';

export interface IngestResult {
  accepted: number;
}

export interface IngestOutcome {
  result: IngestResult;
  /** The result of an earlier request with the same Idempotency-Key; nothing was published now. */
  replayed: boolean;
}

/**
 * The JSON ingest path: validate the whole batch, check the key may write every device, then hand
 * the readings to `ReadingsPublisher` (one record per device, acks=all) and only then report
 * success. Nothing is published for a batch with any invalid reading (all-or-nothing).
 */
@Injectable()
export class ReadingsIngestService {
  private readonly validator: ReadingsRequestValidator;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly publisher: ReadingsPublisher,
    private readonly rateLimit: RateLimitService,
    private readonly idempotency: IdempotencyService,
  ) {
    this.validator = new ReadingsRequestValidator({
      maxReadings: config.INGEST_MAX_READINGS,
      maxPastMs: config.INGEST_MAX_PAST_MS,
      maxFutureMs: config.INGEST_MAX_FUTURE_MS,
    });
  }

  /**
   * `ingest` behind an optional `Idempotency-Key`: a retry of a batch whose first attempt was
   * accepted (or is still in flight) is answered from the stored result, never published twice.
   */
  async ingestOnce(
    principal: Principal,
    body: unknown,
    traceparent: string,
    idempotencyKey: string | undefined,
    source: IngestSource = 'http',
  ): Promise<IngestOutcome> {
    if (idempotencyKey === undefined)
      return { result: await this.ingest(principal, body, traceparent, source), replayed: false };
    return this.idempotency.execute(
      principal.tenant,
      idempotencyKey,
      IdempotencyService.fingerprint(body),
      () => this.ingest(principal, body, traceparent, source),
      (published) => ({ accepted: published.accepted }),
    );
  }

  async ingest(
    principal: Principal,
    body: unknown,
    traceparent: string,
    source: IngestSource = 'http',
  ): Promise<IngestResult> {
    const receivedAt = Date.now();
    const validation = this.validator.validate(body);
    if (!validation.ok) {
      if (validation.reason === 'too_many_readings') {
        readingsRejected.inc({ reason: 'too_many_readings' }, validation.count);
        const message = `batch has ${validation.count} readings, the limit is ${validation.limit} (INGEST_MAX_READINGS)`;
        throw new ApiError(413, 'batch_too_large', message, [
          { path: 'readings', message, value: validation.count },
        ]);
      }
      readingsRejected.inc({ reason: 'invalid' }, countReadings(body));
      const more =
        validation.totalIssues > validation.issues.length
          ? ` (first ${validation.issues.length} listed)`
          : '';
      throw new ApiError(
        400,
        'validation_failed',
        `${validation.totalIssues} invalid field(s)${more}; nothing was accepted`,
        validation.issues,
      );
    }

    const { readings } = validation;
    try {
      this.authorise(principal, validation.tenant, readings);
      await this.rateLimit.consume(principal, readings.length);
    } catch (error) {
      readingsRejected.inc({ reason: (error as ApiError).code }, readings.length);
      throw error;
    }
    const { accepted } = await this.publisher.publish(principal, groupByDevice(readings), {
      source,
      traceparent,
      receivedAt,
      // only called for an error, so the scan costs nothing on the hot path
      devicePath: (device) =>
        `readings[${readings.findIndex((reading) => reading.device === device)}].device`,
    });
    return { accepted };
  }

  private authorise(
    principal: Principal,
    tenant: string | undefined,
    readings: ValidatedReading[],
  ): void {
    if (tenant !== undefined && tenant !== principal.tenant)
      throw AuthError.otherTenant(tenant, 'tenant');
    if (principal.deviceIds === null) return;
    const index = readings.findIndex((reading) => !mayAccessDevice(principal, reading.device));
    if (index >= 0)
      throw AuthError.deviceNotAllowed(readings[index].device, `readings[${index}].device`);
  }
}

function countReadings(body: unknown): number {
  const readings = (body as { readings?: unknown } | null)?.readings;
  return Array.isArray(readings) ? readings.length : 0;
}
