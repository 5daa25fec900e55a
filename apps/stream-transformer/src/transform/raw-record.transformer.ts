import {
  formatIssues,
  IngestSourceSchema,
  isPlainObject,
  quickCheck,
  RawReadingBatchSchema,
  RawReadingSchema,
  type CleanReading,
  type DlqReason,
  type DlqRecord,
} from '@sluice/contracts';
import type { ConsumedMessage } from '@sluice/kafka';
import { z } from 'zod';
import { normaliseUnit } from './unit-normaliser';

export const TRANSFORMER_STAGE = 'stream-transformer';

export interface TimestampWindow {
  /** Oldest accepted reading time, relative to the record's receivedAt (gateway accept time). */
  maxPastMs: number;
  /** Newest accepted reading time, relative to receivedAt: covers sensor clock skew. */
  maxFutureMs: number;
}

export interface RawRecordSource {
  topic: string;
  partition: number;
  message: ConsumedMessage;
}

export interface AcceptedReadings {
  tenant: string;
  device: string;
  receivedAt: number;
  readings: CleanReading[];
}

export interface RawRecordOutcome {
  /** Absent when the whole record, or every reading of it, was refused. */
  accepted?: AcceptedReadings;
  rejections: DlqRecord[];
  /** Readings repeating an earlier (metric, time) of the same record: kept once, like the raw table. */
  duplicatesDropped: number;
}

// The envelope is validated on its own so one bad reading costs only that reading, not the batch.
const EnvelopeSchema = RawReadingBatchSchema.extend({ readings: z.array(z.unknown()).min(1) });

// Producers other than the gateway may send ISO-8601 times or fractional epoch ms; both are
// normalised to integer epoch ms instead of refused (an ISO time without offset is ambiguous: refused).
const LenientReadingSchema = RawReadingSchema.extend({
  time: z.union([
    z.number().nonnegative().transform(Math.floor),
    z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)),
  ]),
});

const INGEST_SOURCES: ReadonlySet<unknown> = new Set(IngestSourceSchema.options);

type Envelope = z.infer<typeof EnvelopeSchema>;

/**
 * The envelope as `EnvelopeSchema` would return it, without zod, when it is plainly valid (what
 * the gateway produces); undefined sends the record through the schema for the verdict.
 */
function quickEnvelope(parsed: unknown): Envelope | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const { tenant, device, source, receivedAt, readings } = parsed;
  if (
    quickCheck.tenantId(tenant) &&
    quickCheck.deviceId(device) &&
    INGEST_SOURCES.has(source) &&
    quickCheck.epochMs(receivedAt) &&
    Array.isArray(readings) &&
    readings.length > 0
  ) {
    return { tenant, device, source: source as Envelope['source'], receivedAt, readings };
  }
  return undefined;
}

/** A reading `LenientReadingSchema` accepts as it is, except that its time may be fractional. */
interface PlainReading {
  metric: string;
  time: number;
  value: number;
  unit?: string;
}

/**
 * True for a plainly valid reading with an epoch-ms time (what the gateway produces); the rest go
 * through `LenientReadingSchema` for the verdict. Checked in place: no copy per reading.
 */
function isPlainReading(raw: unknown): raw is PlainReading {
  if (!isPlainObject(raw)) return false;
  const { metric, time, value, unit, tags } = raw;
  return (
    quickCheck.metricName(metric) &&
    quickCheck.finiteNumber(time) &&
    time >= 0 &&
    quickCheck.finiteNumber(value) &&
    (unit === undefined || quickCheck.unit(unit)) &&
    (tags === undefined || quickCheck.tags(tags))
  );
}

/** Below this an epoch-ms time is before 1973 but a plausible "now" in seconds. */
const EPOCH_SECONDS_LIMIT = 1e11;

/**
 * Decodes, validates and normalises one raw record. Pure: enrichment (device tags) and output
 * encoding are the caller's. Every refused reading or record yields one DLQ record with the reason
 * and the original payload; nothing here throws on bad input.
 */
export function transformRawRecord(
  source: RawRecordSource,
  window: TimestampWindow,
  failedAt: number,
): RawRecordOutcome {
  const { message } = source;
  const reject = (reason: DlqReason, detail: string, originalValue: string): DlqRecord => ({
    reason,
    detail,
    stage: TRANSFORMER_STAGE,
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: message.offset,
    originalKey: message.key,
    originalValue,
    failedAt,
  });
  const originalText = message.value.toString('utf8');

  let parsed: unknown;
  try {
    if (message.value.length === 0) throw new Error('empty record value');
    parsed = JSON.parse(originalText);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      rejections: [reject('unparseable', `not JSON: ${detail}`, originalText)],
      duplicatesDropped: 0,
    };
  }

  let envelope = quickEnvelope(parsed);
  if (envelope === undefined) {
    const result = EnvelopeSchema.safeParse(parsed);
    if (!result.success) {
      const detail = formatIssues(result.error)
        .map((issue) => `${issue.path || '(record)'}: ${issue.message}`)
        .join('; ');
      return { rejections: [reject('invalid_schema', detail, originalText)], duplicatesDropped: 0 };
    }
    envelope = result.data;
  }

  const { tenant, device, source: ingestSource, receivedAt } = envelope;
  const bounds: ReadingBounds = {
    earliest: receivedAt - window.maxPastMs,
    latest: receivedAt + window.maxFutureMs,
    window,
    receivedAt,
  };
  const rejections: DlqRecord[] = [];
  const readings: CleanReading[] = [];
  const kept = new KeptReadingTimes();
  let duplicatesDropped = 0;
  const rawReadings = envelope.readings;
  for (let index = 0; index < rawReadings.length; index += 1) {
    const raw = rawReadings[index];
    const checked = cleanReading(raw, index, bounds);
    if (checked instanceof ReadingRefusal) {
      // A refused reading's DLQ payload is itself a valid raw batch of one: fix and re-publish.
      const original = JSON.stringify({
        tenant,
        device,
        source: ingestSource,
        receivedAt,
        readings: [raw],
      });
      rejections.push(reject(checked.reason, checked.detail, original));
      continue;
    }
    if (!kept.add(checked.metric, checked.time)) {
      duplicatesDropped += 1;
      continue;
    }
    readings.push(checked);
  }

  return {
    accepted: readings.length > 0 ? { tenant, device, receivedAt, readings } : undefined,
    rejections,
    duplicatesDropped,
  };
}

/**
 * The (metric, time) pairs kept so far from one record, as a set of times per metric: a string key
 * per reading cost about as much as decoding the record (an epoch-ms number formats slowly).
 */
class KeptReadingTimes {
  private readonly timesByMetric = new Map<string, Set<number>>();

  /** Adds the pair; false when it was already there. */
  add(metric: string, time: number): boolean {
    const times = this.timesByMetric.get(metric);
    if (times === undefined) {
      this.timesByMetric.set(metric, new Set([time]));
      return true;
    }
    if (times.has(time)) return false;
    times.add(time);
    return true;
  }
}

/** Why one reading is refused; `detail` names `readings[i].field`. */
class ReadingRefusal {
  constructor(
    readonly reason: DlqReason,
    readonly detail: string,
  ) {}
}

interface ReadingBounds {
  earliest: number;
  latest: number;
  window: TimestampWindow;
  receivedAt: number;
}

/** The clean form of one raw reading (time floored to integer ms, canonical unit), or its refusal. */
function cleanReading(
  raw: unknown,
  index: number,
  bounds: ReadingBounds,
): CleanReading | ReadingRefusal {
  let reading: PlainReading;
  if (isPlainReading(raw)) {
    reading = raw;
  } else {
    const at = `readings[${index}]`;
    const result = LenientReadingSchema.safeParse(raw);
    if (!result.success) {
      const issues = formatIssues(result.error, at);
      const onValue = result.error.issues.some((issue) => issue.path[0] === 'value');
      const detail = issues
        .map((issue) => `${issue.path}: ${issue.message}${receivedSuffix(raw, issue.path, at)}`)
        .join('; ');
      return new ReadingRefusal(onValue ? 'invalid_value' : 'invalid_schema', detail);
    }
    reading = result.data;
  }

  const { metric, value, unit } = reading;
  const time = Math.floor(reading.time);
  const { earliest, latest, window, receivedAt } = bounds;
  if (time < earliest || time > latest) {
    const hint = time < EPOCH_SECONDS_LIMIT ? ' (looks like epoch seconds, expected ms)' : '';
    return new ReadingRefusal(
      'timestamp_out_of_range',
      `readings[${index}].time: ${time} is outside [${earliest}, ${latest}] ` +
        `(receivedAt ${receivedAt} - ${window.maxPastMs} ms .. + ${window.maxFutureMs} ms)${hint}`,
    );
  }

  if (unit === undefined) return { metric, time, value };
  const normalised = normaliseUnit(value, unit);
  if (!normalised.ok) {
    const field = normalised.reason === 'unknown_unit' ? 'unit' : 'value';
    return new ReadingRefusal(
      normalised.reason,
      `readings[${index}].${field}: ${normalised.detail}`,
    );
  }
  return normalised.unit === undefined
    ? { metric, time, value: normalised.value }
    : { metric, time, value: normalised.value, unit: normalised.unit };
}

/** ` (got "hot")` for the offending field, so a DLQ detail shows the value and not only the rule. */
function receivedSuffix(raw: unknown, path: string, prefix: string): string {
  const field = path.slice(prefix.length + 1);
  if (field === '' || field.includes('.') || typeof raw !== 'object' || raw === null) return '';
  const value = (raw as Record<string, unknown>)[field];
  const shown = JSON.stringify(value) ?? String(value);
  return ` (got ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown})`;
}
