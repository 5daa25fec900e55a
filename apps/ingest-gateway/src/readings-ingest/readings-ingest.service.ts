import { Inject, Injectable } from '@nestjs/common';
import {
  Topics,
  buildHeaders,
  deviceKey,
  encodeRecord,
  type IngestSource,
} from '@sluice/contracts';
import { KafkaOperationError, KafkaProducer, type OutgoingRecord } from '@sluice/kafka';
import { AuthError } from '../auth/auth.errors';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError, type ApiErrorDetail } from '../http/api-error';
import { DeviceActivityService } from '../registry/device-activity.service';
import { buildRawBatches } from './raw-batch.builder';
import {
  ingestBatchSize,
  kafkaProduceDuration,
  readingsAccepted,
  readingsRejected,
} from './ingest.metrics';
import { ReadingsRequestValidator, type ValidatedReading } from './readings-request.validator';

export interface IngestResult {
  accepted: number;
}

/**
 * The JSON ingest path: validate the whole batch, check the key may write every device, group by
 * device, publish one record per device with acks=all, and only then report success. Nothing is
 * published for a batch with any invalid reading (all-or-nothing).
 */
@Injectable()
export class ReadingsIngestService {
  private readonly validator: ReadingsRequestValidator;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly producer: KafkaProducer,
    private readonly activity: DeviceActivityService,
  ) {
    this.validator = new ReadingsRequestValidator({
      maxReadings: config.INGEST_MAX_READINGS,
      maxPastMs: config.INGEST_MAX_PAST_MS,
      maxFutureMs: config.INGEST_MAX_FUTURE_MS,
    });
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
      const devices = [...new Set(readings.map((reading) => reading.device))];
      await this.ensureRegistered(principal.tenant, devices, readings);
      await this.publish(principal.tenant, readings, receivedAt, traceparent, source);
      this.activity.recordSeen(principal.tenant, devices, new Date(receivedAt));
    } catch (error) {
      readingsRejected.inc(
        { reason: error instanceof ApiError ? error.code : 'internal' },
        readings.length,
      );
      throw error;
    }
    readingsAccepted.inc({ source }, readings.length);
    ingestBatchSize.observe(readings.length);
    return { accepted: readings.length };
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

  private async ensureRegistered(
    tenant: string,
    devices: string[],
    readings: ValidatedReading[],
  ): Promise<void> {
    let unknown: string[];
    try {
      unknown = await this.activity.ensureRegistered(tenant, devices);
    } catch (error) {
      throw this.unavailable('registry_unavailable', 'the device registry (PostgreSQL)', error);
    }
    if (unknown.length === 0) return;
    const missing = new Set(unknown);
    const details: ApiErrorDetail[] = [];
    readings.forEach((reading, index) => {
      if (missing.delete(reading.device)) {
        details.push({
          path: `readings[${index}].device`,
          message: `device "${reading.device}" is not registered for tenant "${tenant}"`,
          value: reading.device,
        });
      }
    });
    throw new ApiError(
      400,
      'unknown_device',
      `${details.length} device(s) are not registered (INGEST_AUTO_REGISTER_DEVICES=false); nothing was accepted`,
      details,
    );
  }

  private async publish(
    tenant: string,
    readings: ValidatedReading[],
    receivedAt: number,
    traceparent: string,
    source: IngestSource,
  ): Promise<void> {
    const headers = buildHeaders({ ingestTs: receivedAt, traceparent });
    const records: OutgoingRecord[] = buildRawBatches(tenant, readings, receivedAt, source).map(
      (batch) => ({ key: deviceKey(tenant, batch.device), value: encodeRecord(batch), headers }),
    );
    const stopTimer = kafkaProduceDuration.startTimer();
    try {
      await this.producer.send(Topics.telemetryRaw, records);
      stopTimer({ outcome: 'ok' });
    } catch (error) {
      stopTimer({ outcome: 'error' });
      if (error instanceof KafkaOperationError)
        throw this.unavailable('kafka_unavailable', 'Kafka', error);
      throw error;
    }
  }

  private unavailable(code: string, dependency: string, cause: unknown): ApiError {
    const error = new ApiError(
      503,
      code,
      `${dependency} is unavailable; nothing was accepted, retry later`,
      [],
      { 'retry-after': String(this.config.INGEST_RETRY_AFTER_S) },
    );
    error.cause = cause;
    return error;
  }
}

function countReadings(body: unknown): number {
  const readings = (body as { readings?: unknown } | null)?.readings;
  return Array.isArray(readings) ? readings.length : 0;
}
