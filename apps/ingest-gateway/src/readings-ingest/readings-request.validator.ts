import { z } from 'zod';
import {
  DeviceIdSchema,
  EpochMsSchema,
  FiniteNumberSchema,
  MetricNameSchema,
  TagsSchema,
  TenantIdSchema,
  UnitSchema,
  formatPath,
  isPlainObject,
  quickCheck,
  type RawReading,
} from '@sluice/contracts';
import type { ApiErrorDetail } from '../http/api-error';
import type { JsonBody } from '../http/json-body.parser';
import { parsePlainReadings } from './plain-readings.parser';
import { DeviceBatches, type DeviceBatch } from './raw-batch.builder';

export interface ReadingsLimits {
  /** Most readings one request may carry. */
  maxReadings: number;
  /** How far in the past a reading's time may lie (ms before now). */
  maxPastMs: number;
  /** How far in the future a reading's time may lie (ms after now): device clock skew. */
  maxFutureMs: number;
}

/**
 * A valid batch: its readings (times in epoch ms) per device, devices in order of first
 * appearance, and how many there are.
 */
export interface ValidBatch {
  ok: true;
  tenant: string | undefined;
  devices: DeviceBatch[];
  count: number;
}

export type ReadingsValidation =
  | ValidBatch
  | { ok: false; reason: 'too_many_readings'; count: number; limit: number }
  | {
      ok: false;
      reason: 'invalid';
      issues: ApiErrorDetail[];
      totalIssues: number;
      /** Readings in the body (0 when it has no readings array). */
      count: number;
    };

/** Error lists are capped so a batch of 5000 bad readings does not produce a 1 MB error body. */
export const MAX_REPORTED_ISSUES = 100;

const TIME_RULE =
  'must be an ISO-8601 timestamp with a UTC offset (e.g. "2026-03-01T12:00:00Z") or epoch milliseconds (a non-negative integer)';

// Epoch values below this are 1973 in ms but a plausible "now" in seconds: the commonest unit mistake.
const EPOCH_SECONDS_SUSPICION_LIMIT = 100_000_000_000;

/**
 * Validates the body of `POST /api/v1/readings`. All-or-nothing: the caller publishes nothing unless
 * every reading is valid, so a client never has to work out which half of its batch was stored;
 * every problem is reported at once so one round trip is enough to fix a batch.
 */
export class ReadingsRequestValidator {
  private readonly schema;

  constructor(
    private readonly limits: ReadingsLimits,
    private readonly clock: () => number = Date.now,
  ) {
    const time = z
      .union([z.iso.datetime({ offset: true, error: TIME_RULE }), EpochMsSchema], {
        error: TIME_RULE,
      })
      .transform((raw) => (typeof raw === 'string' ? Date.parse(raw) : raw))
      .superRefine((epochMs, ctx) => {
        const problem = this.windowProblem(epochMs);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: epochMs });
      });
    const reading = z.object({
      device: DeviceIdSchema.optional(),
      metric: MetricNameSchema,
      time,
      value: FiniteNumberSchema,
      unit: UnitSchema.optional(),
      tags: TagsSchema.optional(),
    });
    this.schema = z.object({
      tenant: TenantIdSchema.optional(),
      device: DeviceIdSchema.optional(),
      readings: z.array(reading).min(1, 'must contain at least one reading'),
    });
  }

  /**
   * `validate(json.parse())`, read straight from the bytes when the batch is plainly valid (see
   * `parsePlainReadings`). Throws the 400 `invalid_json` ApiError for a body that is not JSON.
   */
  validateJson(json: JsonBody): ReadingsValidation {
    const now = this.clock();
    const plain = parsePlainReadings(json.bytes, {
      maxReadings: this.limits.maxReadings,
      earliest: now - this.limits.maxPastMs,
      latest: now + this.limits.maxFutureMs,
    });
    return plain === undefined ? this.validate(json.parse()) : { ok: true, ...plain };
  }

  validate(body: unknown): ReadingsValidation {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return invalid(0, [
        {
          path: '(body)',
          message: `must be a JSON object with a "readings" array (got ${describeValue(body)})`,
        },
      ]);
    }
    const record = body as Record<string, unknown>;
    // Checked before the schema so an oversized batch is refused without validating every item.
    if (Array.isArray(record.readings) && record.readings.length > this.limits.maxReadings) {
      return {
        ok: false,
        reason: 'too_many_readings',
        count: record.readings.length,
        limit: this.limits.maxReadings,
      };
    }

    const plain = this.quickReadings(record);
    if (plain !== undefined) return plain;

    const count = Array.isArray(record.readings) ? record.readings.length : 0;
    const issues = missingDeviceIssues(record);
    const parsed = this.schema.safeParse(body, { reportInput: true });
    if (!parsed.success) issues.push(...parsed.error.issues.map(toDetail));
    if (!parsed.success || issues.length > 0) return invalid(count, sortByReadingIndex(issues));
    const data = parsed.data;

    const batches = new DeviceBatches();
    data.readings.forEach((item, index) => {
      const reading: RawReading = { metric: item.metric, time: item.time, value: item.value };
      if (item.unit !== undefined) reading.unit = item.unit;
      if (item.tags !== undefined) reading.tags = item.tags;
      // missingDeviceIssues guarantees one of the two is present
      batches.add((item.device ?? data.device) as string, reading, index);
    });
    return { ok: true, tenant: data.tenant, devices: batches.list(), count };
  }

  /**
   * The schema's result for a plainly valid batch (epoch-ms times inside the window, the usual
   * machine-made request), checked without zod, which cost more than the rest of accepting it.
   * undefined when anything needs a closer look: the schema then decides and words the problems.
   */
  private quickReadings(body: Record<string, unknown>): ValidBatch | undefined {
    // read once per batch: every access to a binding re-exported by a barrel runs a getter
    const check = quickCheck;
    const isObject = isPlainObject;
    const { tenant, device, readings } = body;
    if (tenant !== undefined && !check.tenantId(tenant)) return undefined;
    if (device !== undefined && !check.deviceId(device)) return undefined;
    if (!Array.isArray(readings) || readings.length === 0) return undefined;
    const now = this.clock();
    const earliest = now - this.limits.maxPastMs;
    const latest = now + this.limits.maxFutureMs;
    // A batch names few devices and metrics many times: each distinct name is matched once.
    const goodDevices = new Set<unknown>();
    const goodMetrics = new Set<unknown>();
    const tagSets = new TagSetInterner();
    const batches = new DeviceBatches();
    for (let index = 0; index < readings.length; index += 1) {
      const item: unknown = readings[index];
      if (!isObject(item)) return undefined;
      const itemDevice = item.device === undefined ? device : item.device;
      const { metric, time, value, unit, tags } = item;
      if (!goodDevices.has(itemDevice)) {
        if (!check.deviceId(itemDevice)) return undefined;
        goodDevices.add(itemDevice);
      }
      if (!goodMetrics.has(metric)) {
        if (!check.metricName(metric)) return undefined;
        goodMetrics.add(metric);
      }
      if (
        !check.epochMs(time) ||
        time < earliest ||
        time > latest ||
        !check.finiteNumber(value) ||
        (unit !== undefined && !check.unit(unit)) ||
        (tags !== undefined && !check.tags(tags))
      ) {
        return undefined;
      }
      const reading = { metric, time, value } as RawReading;
      if (unit !== undefined) reading.unit = unit;
      if (tags !== undefined) reading.tags = tagSets.intern(itemDevice as string, tags);
      batches.add(itemDevice as string, reading, index);
    }
    return {
      ok: true,
      tenant: tenant as string | undefined,
      devices: batches.list(),
      count: readings.length,
    };
  }

  private windowProblem(epochMs: number): string | undefined {
    const now = this.clock();
    const earliest = now - this.limits.maxPastMs;
    const latest = now + this.limits.maxFutureMs;
    if (epochMs >= earliest && epochMs <= latest) return undefined;
    const window = `must lie between ${iso(earliest)} and ${iso(latest)} (${formatDuration(
      this.limits.maxPastMs,
    )} back, ${formatDuration(this.limits.maxFutureMs)} ahead)`;
    const hint =
      epochMs < EPOCH_SECONDS_SUSPICION_LIMIT
        ? '; epoch values must be milliseconds, not seconds'
        : '';
    return `${window}, got ${iso(epochMs)}${hint}`;
  }
}

/**
 * One frozen object per distinct tag set of a device in a batch: readings of a device usually carry
 * the same tags, and the raw-record encoder serialises a frozen tag object once instead of once per
 * reading. Only the device's previous tag set is compared, which is what keeps the check cheap.
 */
class TagSetInterner {
  private readonly lastByDevice = new Map<string, Readonly<Record<string, string>>>();

  intern(device: string, tags: Record<string, string>): Record<string, string> {
    const last = this.lastByDevice.get(device);
    if (last !== undefined && sameTags(last, tags)) return last;
    const frozen = Object.freeze({ ...tags });
    this.lastByDevice.set(device, frozen);
    return frozen;
  }
}

/** Same keys in the same order with the same values (the order decides the serialised JSON). */
function sameTags(a: Readonly<Record<string, string>>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  let index = 0;
  for (const key in b) {
    if (keys[index] !== key || a[key] !== b[key]) return false;
    index += 1;
  }
  return index === keys.length;
}

function missingDeviceIssues(body: Record<string, unknown>): ApiErrorDetail[] {
  if (body.device !== undefined || !Array.isArray(body.readings)) return [];
  const issues: ApiErrorDetail[] = [];
  body.readings.forEach((item: unknown, index) => {
    if (typeof item === 'object' && item !== null && !('device' in item)) {
      issues.push({
        path: `readings[${index}].device`,
        message: 'is required (set it on the reading, or once as a top-level "device")',
      });
    }
  });
  return issues;
}

function toDetail(issue: z.core.$ZodIssue): ApiErrorDetail {
  const path = formatPath(issue.path) || '(body)';
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type') {
    if (input === undefined) return { path, message: 'is required' };
    return {
      path,
      message: `must be ${expectedType(issue.expected)} (got ${describeValue(input)})`,
      value: echoable(input),
    };
  }
  if (input === undefined || issue.code === 'custom') return { path, message: issue.message };
  return {
    path,
    message: `${issue.message} (got ${describeValue(input)})`,
    value: echoable(input),
  };
}

function expectedType(expected: string): string {
  switch (expected) {
    case 'number':
      return 'a finite number';
    case 'int':
      return 'an integer';
    case 'object':
    case 'array':
      return `an ${expected}`;
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(truncate(value))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function echoable(value: unknown): unknown {
  if (typeof value === 'string') return truncate(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  }
  return undefined;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

function invalid(count: number, issues: ApiErrorDetail[]): ReadingsValidation {
  return {
    ok: false,
    reason: 'invalid',
    issues: issues.slice(0, MAX_REPORTED_ISSUES),
    totalIssues: issues.length,
    count,
  };
}

const INDEX = /^readings\[(\d+)\]/;

function sortByReadingIndex(issues: ApiErrorDetail[]): ApiErrorDetail[] {
  const indexOf = (issue: ApiErrorDetail) => Number(INDEX.exec(issue.path)?.[1] ?? -1);
  return issues.sort((a, b) => indexOf(a) - indexOf(b));
}

function iso(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? String(epochMs) : date.toISOString();
}

function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
