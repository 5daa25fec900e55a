import { Inject, Injectable } from '@nestjs/common';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { RawReading } from '@sluice/contracts';
import {
  BodyLimitError,
  LineProtocolParser,
  type ParseError,
  type Precision,
} from '@sluice/ingest-parsers';
import type { Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ingestRequestsRejected, readingsRejected } from '../readings-ingest/ingest.metrics';
import { ReadingsPublisher, type DeviceReadings } from '../readings-ingest/readings.publisher';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { InfluxError } from './influx-error';

export interface LineProtocolWrite {
  principal: Principal;
  body: Readable;
  /** `Content-Encoding` of the request. */
  contentEncoding: string | undefined;
  precision: Precision;
  traceparent: string;
}

/**
 * A body's good readings per device (in line order), the line each device first appears on (for
 * error details), and the bad lines.
 */
interface ParsedBody {
  devices: DeviceReadings[];
  firstLines: Map<string, number>;
  errors: ParseError[];
  errorCount: number;
  readingCount: number;
}

export interface LineProtocolWriteResult {
  accepted: number;
  /** Lines refused; the rest was written (InfluxDB's partial write). */
  errorCount: number;
  errors: ParseError[];
}

/**
 * Parses a line-protocol body as it streams in (gunzipped when `Content-Encoding: gzip`, bounded by
 * `LINE_PROTOCOL_MAX_BYTES` after decoding so a gzip bomb stops at the limit), then publishes the
 * good points through `ReadingsPublisher`. Bad lines do not stop the good ones: the caller answers
 * 400 naming them (InfluxDB's partial write) after the good points are in Kafka.
 */
@Injectable()
export class LineProtocolWriteService {
  private readonly parser: LineProtocolParser;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly publisher: ReadingsPublisher,
    private readonly rateLimit: RateLimitService,
  ) {
    this.parser = new LineProtocolParser({
      deviceTagKeys: config.LINE_PROTOCOL_DEVICE_TAGS,
      defaultDevice: config.LINE_PROTOCOL_DEFAULT_DEVICE,
      stringFields: config.LINE_PROTOCOL_STRING_FIELDS,
      maxBytes: config.LINE_PROTOCOL_MAX_BYTES,
      maxLines: config.LINE_PROTOCOL_MAX_LINES,
    });
  }

  async write(request: LineProtocolWrite): Promise<LineProtocolWriteResult> {
    const receivedAt = Date.now();
    const parsed = await this.parse(request, receivedAt);
    const readings = parsed.readingCount;
    if (readings > 0) {
      try {
        await this.rateLimit.consume(request.principal, readings);
      } catch (error) {
        readingsRejected.inc({ reason: 'rate_limited' }, readings);
        throw error;
      }
      await this.publisher.publish(request.principal, parsed.devices, {
        source: 'line-protocol',
        traceparent: request.traceparent,
        receivedAt,
        devicePath: (device) => `line ${parsed.firstLines.get(device) ?? '?'}`,
      });
    }
    if (parsed.errorCount > 0) readingsRejected.inc({ reason: 'invalid_line' }, parsed.errorCount);
    return { accepted: readings, errorCount: parsed.errorCount, errors: parsed.errors };
  }

  private async parse(request: LineProtocolWrite, receivedAt: number): Promise<ParsedBody> {
    const encoding = (request.contentEncoding ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      ingestRequestsRejected.inc({ reason: 'unsupported_encoding' });
      request.body.resume();
      throw new InfluxError(
        415,
        'unsupported media type',
        `Content-Encoding ${JSON.stringify(encoding)} is not supported: send identity or gzip`,
      );
    }
    const gunzip = encoding === 'gzip' ? createGunzip() : undefined;
    const source: Readable = gunzip ? request.body.pipe(gunzip) : request.body;
    if (gunzip) request.body.on('error', (error) => gunzip.destroy(error));
    const stream = this.parser.createStream({
      precision: request.precision,
      defaultTime: receivedAt,
    });
    // Grouped as they are parsed: the per-line point objects then die young instead of surviving
    // (and being copied by every scavenge) until the whole body is in Kafka.
    const readingsByDevice = new Map<string, RawReading[]>();
    const firstLines = new Map<string, number>();
    const errors: ParseError[] = [];
    let errorCount = 0;
    let readingCount = 0;
    const take = (result: ReturnType<typeof stream.write>) => {
      for (const point of result.points) {
        const readings = readingsByDevice.get(point.device);
        if (readings === undefined) {
          readingsByDevice.set(point.device, point.readings); // a fresh array per point: ours to extend
          firstLines.set(point.device, point.line);
        } else {
          for (const reading of point.readings) readings.push(reading);
        }
      }
      for (const error of result.errors) if (errors.length < 100) errors.push(error);
      errorCount += result.errorCount;
      readingCount += result.readingCount;
    };
    try {
      for await (const chunk of source) take(stream.write(chunk as Buffer));
      take(stream.end());
    } catch (error) {
      // stop inflating; the route drains what is left of the request and closes the connection
      if (gunzip) {
        request.body.unpipe(gunzip);
        gunzip.destroy();
      }
      if (error instanceof BodyLimitError) {
        ingestRequestsRejected.inc({ reason: 'payload_too_large' });
        throw error;
      }
      if (encoding === 'gzip' && isZlibError(error)) {
        ingestRequestsRejected.inc({ reason: 'invalid_gzip' });
        throw new InfluxError(
          400,
          'invalid',
          `body is not valid gzip: ${(error as Error).message}`,
        );
      }
      throw error;
    }
    const devices: DeviceReadings[] = [];
    for (const [device, readings] of readingsByDevice) devices.push({ device, readings });
    return { devices, firstLines, errors, errorCount, readingCount };
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
