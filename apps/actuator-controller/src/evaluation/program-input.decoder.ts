import {
  CleanReadingBatchSchema,
  decodeRecord,
  isPlainObject,
  quickCheck,
  type CleanReading,
} from '@sluice/contracts';

/** What program evaluation reads from a `telemetry.clean.v1` record. */
export interface ProgramInput {
  tenant: string;
  device: string;
  readings: Array<Pick<CleanReading, 'metric' | 'time' | 'value'>>;
}

/**
 * The tenant, device and readings (metric, time, value) of a clean record. The fields programs read
 * are checked in plain JavaScript against the same rules as `CleanReadingBatchSchema` (zod cost more
 * per record than evaluating it); the ones they do not read (device tags, units, the raw position)
 * are not looked at. Anything the plain checks do not accept goes through the schema, which words
 * the `RecordDecodeError`.
 */
export function decodeProgramInput(value: Buffer): ProgramInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    // the schema path reports the parse error in its own words
    return decodeRecord(CleanReadingBatchSchema, value);
  }
  return plainInput(parsed) ?? decodeRecord(CleanReadingBatchSchema, value);
}

function plainInput(parsed: unknown): ProgramInput | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const { tenant, device, readings } = parsed;
  if (
    !quickCheck.tenantId(tenant) ||
    !quickCheck.deviceId(device) ||
    !Array.isArray(readings) ||
    readings.length === 0
  ) {
    return undefined;
  }
  const checked: ProgramInput['readings'] = [];
  for (const reading of readings as unknown[]) {
    if (!isPlainObject(reading)) return undefined;
    const { metric, time, value } = reading;
    if (
      !quickCheck.metricName(metric) ||
      !quickCheck.epochMs(time) ||
      !quickCheck.finiteNumber(value)
    )
      return undefined;
    checked.push({ metric, time, value });
  }
  return { tenant, device, readings: checked };
}
