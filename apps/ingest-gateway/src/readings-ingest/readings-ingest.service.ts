import { Inject, Injectable } from '@nestjs/common';
import type { IngestSource } from '@sluice/contracts';
import { AuthError } from '../auth/auth.errors';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { JsonBody } from '../http/json-body.parser';
import type { DeviceBatch } from './raw-batch.builder';
import { readingsRejected } from './ingest.metrics';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { ReadingsPublisher } from './readings.publisher';
import { ReadingsRequestValidator } from './readings-request.validator';

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
    // the fingerprint is of the content, so a retry that serialises the same batch differently matches
    const content = body instanceof JsonBody ? body.parse() : body;
    return this.idempotency.execute(
      principal.tenant,
      idempotencyKey,
      IdempotencyService.fingerprint(content),
      () => this.ingest(principal, content, traceparent, source),
      (published) => ({ accepted: published.accepted }),
    );
  }

  /** `body`: the parsed request, or a `JsonBody` to read it from (see `validateJson`). */
  async ingest(
    principal: Principal,
    body: unknown,
    traceparent: string,
    source: IngestSource = 'http',
  ): Promise<IngestResult> {
    const receivedAt = Date.now();
    const validation =
      body instanceof JsonBody ? this.validator.validateJson(body) : this.validator.validate(body);
    if (!validation.ok) {
      if (validation.reason === 'too_many_readings') {
        readingsRejected.inc({ reason: 'too_many_readings' }, validation.count);
        const message = `batch has ${validation.count} readings, the limit is ${validation.limit} (INGEST_MAX_READINGS)`;
        throw new ApiError(413, 'batch_too_large', message, [
          { path: 'readings', message, value: validation.count },
        ]);
      }
      readingsRejected.inc({ reason: 'invalid' }, validation.count);
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

    const { devices, count } = validation;
    try {
      this.authorise(principal, validation.tenant, devices);
      await this.rateLimit.consume(principal, count);
    } catch (error) {
      readingsRejected.inc({ reason: (error as ApiError).code }, count);
      throw error;
    }
    const { accepted } = await this.publisher.publish(principal, devices, {
      source,
      traceparent,
      receivedAt,
      // only called for an error, so the scan costs nothing on the hot path
      devicePath: (device) =>
        `readings[${devices.find((batch) => batch.device === device)?.firstIndex}].device`,
    });
    return { accepted };
  }

  private authorise(
    principal: Principal,
    tenant: string | undefined,
    devices: readonly DeviceBatch[],
  ): void {
    if (tenant !== undefined && tenant !== principal.tenant)
      throw AuthError.otherTenant(tenant, 'tenant');
    if (principal.deviceIds === null) return;
    // devices come in order of first appearance: this names the first reading the key may not write
    const denied = devices.find((batch) => !mayAccessDevice(principal, batch.device));
    if (denied !== undefined)
      throw AuthError.deviceNotAllowed(denied.device, `readings[${denied.firstIndex}].device`);
  }
}
