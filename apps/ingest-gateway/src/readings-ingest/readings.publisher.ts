import { Inject, Injectable } from '@nestjs/common';
import {
  Topics,
  buildHeaders,
  deviceKey,
  newTraceparent,
  type IngestSource,
  type RawReading,
  type RawReadingBatch,
} from '@sluice/contracts';
import {
  KafkaOperationError,
  KafkaProducer,
  KafkaTimeoutError,
  type OutgoingRecord,
} from '@sluice/kafka';
import { AuthError } from '../auth/auth.errors';
import { mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError, type ApiErrorDetail } from '../http/api-error';
import { DeviceActivityService } from '../registry/device-activity.service';
import { encodeRawBatches } from './raw-record.encoder';
import {
  ingestBatchSize,
  ingestInflightBytes,
  kafkaProduceDuration,
  readingsAccepted,
  readingsRejected,
} from './ingest.metrics';

/**
 * A device's readings are split into records of at most this many, so a million-line body of one
 * device never becomes one record larger than the broker's message limit.
 */
const MAX_READINGS_PER_RECORD = 5000;

/** Readings of one device, already validated (names, finite values, epoch-ms times). */
export interface DeviceReadings {
  device: string;
  readings: RawReading[];
}

export interface PublishOptions {
  /** Which ingest path produced the readings (carried on every raw record). */
  source: IngestSource;
  /** W3C traceparent for the records' headers; a new trace when omitted. */
  traceparent?: string;
  /** When the gateway received the data (epoch ms); defaults to now. */
  receivedAt?: number;
  /** Names the input location of a device in error details (default: `device`). */
  devicePath?: (device: string) => string;
}

export interface PublishResult {
  /** Readings now in Kafka (acks=all). */
  accepted: number;
  /** Distinct devices they belong to. */
  devices: number;
}

/**
 * The one way readings enter Kafka, whatever the ingest path (JSON, line protocol, CSV jobs, gRPC,
 * MQTT): authorise every device against the principal, make sure the devices are registered, send
 * one `telemetry.raw.v1` record per device with acks=all, and only then resolve.
 *
 * It throws `ApiError`s, so HTTP callers let them propagate and other transports map
 * `status`/`code` (gRPC: 401→UNAUTHENTICATED, 403→PERMISSION_DENIED, 400→INVALID_ARGUMENT,
 * 503→UNAVAILABLE; MQTT: do not PUBACK on 503):
 * - 403 `forbidden` — a device outside a device-scoped key (nothing published);
 * - 400 `unknown_device` — auto-registration off and a device not registered (nothing published);
 * - 503 `registry_unavailable` / `kafka_unavailable` (with `retry-after`) — nothing is guaranteed
 *   published: the caller must retry the same content (consumers are idempotent; use
 *   `IdempotencyService` for client-visible exactly-once);
 * - 503 `ingest_overloaded` (with `retry-after`) — more than `INGEST_MAX_INFLIGHT_BYTES` are already
 *   waiting for Kafka acks; refused at once so memory stays bounded while Kafka is slow.
 *
 * A send that Kafka has not acknowledged within `INGEST_PUBLISH_TIMEOUT_MS` is answered 503
 * `kafka_unavailable`; its bytes stay counted as in flight until the producer gives up on it.
 */
@Injectable()
export class ReadingsPublisher {
  private inflightBytes = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly producer: KafkaProducer,
    private readonly activity: DeviceActivityService,
  ) {}

  /** Bytes of encoded records sent and not yet acknowledged or failed. */
  get inflight(): number {
    return this.inflightBytes;
  }

  async publish(
    principal: Principal,
    groups: readonly DeviceReadings[],
    options: PublishOptions,
  ): Promise<PublishResult> {
    const receivedAt = options.receivedAt ?? Date.now();
    const byDevice = mergeByDevice(groups);
    let count = 0;
    for (const readings of byDevice.values()) count += readings.length;
    if (count === 0) return { accepted: 0, devices: 0 };
    const devices = [...byDevice.keys()];
    const devicePath = options.devicePath ?? (() => 'device');
    try {
      this.authorise(principal, devices, devicePath);
      await this.ensureRegistered(principal.tenant, devices, devicePath);
      const records = this.encode(principal.tenant, byDevice, receivedAt, options);
      await this.send(records, { accepted: count, devices: devices.length });
      this.activity.recordSeen(principal.tenant, devices, new Date(receivedAt));
    } catch (error) {
      readingsRejected.inc({ reason: error instanceof ApiError ? error.code : 'internal' }, count);
      throw error;
    }
    readingsAccepted.inc({ source: options.source }, count);
    ingestBatchSize.observe(count);
    return { accepted: count, devices: devices.length };
  }

  private authorise(
    principal: Principal,
    devices: readonly string[],
    devicePath: (device: string) => string,
  ): void {
    if (principal.deviceIds === null) return;
    const denied = devices.find((device) => !mayAccessDevice(principal, device));
    if (denied !== undefined) throw AuthError.deviceNotAllowed(denied, devicePath(denied));
  }

  private async ensureRegistered(
    tenant: string,
    devices: readonly string[],
    devicePath: (device: string) => string,
  ): Promise<void> {
    let unknown: string[];
    try {
      unknown = await this.activity.ensureRegistered(tenant, devices);
    } catch (error) {
      throw this.unavailable('registry_unavailable', 'the device registry (PostgreSQL)', error);
    }
    if (unknown.length === 0) return;
    const details: ApiErrorDetail[] = unknown.map((device) => ({
      path: devicePath(device),
      message: `device "${device}" is not registered for tenant "${tenant}"`,
      value: device,
    }));
    throw new ApiError(
      400,
      'unknown_device',
      `${details.length} device(s) are not registered (INGEST_AUTO_REGISTER_DEVICES=false); nothing was accepted`,
      details,
    );
  }

  private encode(
    tenant: string,
    byDevice: Map<string, RawReading[]>,
    receivedAt: number,
    options: PublishOptions,
  ): OutgoingRecord[] {
    const headers = buildHeaders({
      ingestTs: receivedAt,
      traceparent: options.traceparent ?? newTraceparent(),
    });
    const keys: string[] = [];
    const batches: RawReadingBatch[] = [];
    for (const [device, readings] of byDevice) {
      const key = deviceKey(tenant, device);
      // Same key, same partition, one sendBatch: the split keeps the device's order.
      for (let start = 0; start < readings.length; start += MAX_READINGS_PER_RECORD) {
        keys.push(key);
        batches.push({
          tenant,
          device,
          source: options.source,
          receivedAt,
          readings:
            readings.length <= MAX_READINGS_PER_RECORD
              ? readings
              : readings.slice(start, start + MAX_READINGS_PER_RECORD),
        });
      }
    }
    return encodeRawBatches(batches).map((value, i) => ({ key: keys[i], value, headers }));
  }

  private async send(records: OutgoingRecord[], result: PublishResult): Promise<void> {
    let bytes = 0;
    for (const record of records) bytes += record.value.length + record.key.length;
    // One request larger than the whole budget is still let through when nothing else is in
    // flight, so a big (but body-limited) request cannot be refused forever.
    if (
      this.inflightBytes > 0 &&
      this.inflightBytes + bytes > this.config.INGEST_MAX_INFLIGHT_BYTES
    ) {
      throw new ApiError(
        503,
        'ingest_overloaded',
        `more than ${this.config.INGEST_MAX_INFLIGHT_BYTES} bytes are waiting for Kafka (INGEST_MAX_INFLIGHT_BYTES); nothing was accepted, retry later`,
        [],
        { 'retry-after': String(this.config.INGEST_RETRY_AFTER_S) },
      );
    }
    this.inflightBytes += bytes;
    ingestInflightBytes.set(this.inflightBytes);
    const stopTimer = kafkaProduceDuration.startTimer();
    const sending = this.producer.send(Topics.telemetryRaw, records).finally(() => {
      this.inflightBytes -= bytes;
      ingestInflightBytes.set(this.inflightBytes);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishDeadlineError(this.config.INGEST_PUBLISH_TIMEOUT_MS)),
        this.config.INGEST_PUBLISH_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([sending, deadline]);
      stopTimer({ outcome: 'ok' });
    } catch (error) {
      stopTimer({ outcome: 'error' });
      sending.catch(() => undefined);
      if (error instanceof PublishDeadlineError) {
        // the send is still running and may yet be acknowledged
        throw new PublishOutcomeUnknownError(
          this.unavailable('kafka_unavailable', 'Kafka', error),
          sending.then(() => result),
        );
      }
      if (error instanceof KafkaTimeoutError) {
        // the producer gave up waiting, but kafkajs may still deliver it: never known
        throw new PublishOutcomeUnknownError(
          this.unavailable('kafka_unavailable', 'Kafka', error),
          Promise.reject(error),
        );
      }
      if (error instanceof KafkaOperationError)
        throw this.unavailable('kafka_unavailable', 'Kafka', error);
      throw error;
    } finally {
      clearTimeout(timer);
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

/**
 * 503 `kafka_unavailable` for a publish that may still land: the gateway stopped waiting, the
 * records did not necessarily stop travelling. `settled` resolves if they were acknowledged after
 * all and rejects if that stays unknown — what `IdempotencyService` needs to keep a retry from
 * publishing the same batch a second time.
 */
export class PublishOutcomeUnknownError extends ApiError {
  constructor(
    unavailable: ApiError,
    readonly settled: Promise<PublishResult>,
  ) {
    super(unavailable.status, unavailable.code, unavailable.message, [], unavailable.headers);
    this.name = 'PublishOutcomeUnknownError';
    this.cause = unavailable.cause;
    settled.catch(() => undefined);
  }
}

class PublishDeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms (INGEST_PUBLISH_TIMEOUT_MS)`);
    this.name = 'PublishDeadlineError';
  }
}

function mergeByDevice(groups: readonly DeviceReadings[]): Map<string, RawReading[]> {
  const byDevice = new Map<string, RawReading[]>();
  // Arrays made here, safe to append to; a caller's array is never mutated (it is copied once when
  // a second group of its device arrives — line protocol gives one group per line).
  const owned = new Set<RawReading[]>();
  for (const { device, readings } of groups) {
    if (readings.length === 0) continue;
    let list = byDevice.get(device);
    if (list === undefined) {
      byDevice.set(device, readings);
      continue;
    }
    if (!owned.has(list)) {
      list = list.slice();
      owned.add(list);
      byDevice.set(device, list);
    }
    for (const reading of readings) list.push(reading);
  }
  return byDevice;
}
