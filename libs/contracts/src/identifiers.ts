import { z } from 'zod';

// Identifiers end up in Kafka keys (`tenant/device`), Redis keys and URLs: no slashes, no spaces,
// bounded length, so none of those needs escaping.
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;
const UNIT_MAX = 32;
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;

export const TenantIdSchema = z
  .string()
  .regex(TENANT_ID, 'must be 1-63 chars of a-z, 0-9 and "-", starting with a letter or digit');

export const DeviceIdSchema = z
  .string()
  .regex(
    DEVICE_ID,
    'must be 1-128 chars of letters, digits, "_", ".", ":" and "-", starting with a letter or digit',
  );

export const MetricNameSchema = z
  .string()
  .regex(
    METRIC_NAME,
    'must be 1-128 chars of letters, digits, "_", ".", ":" and "-", starting with a letter or "_"',
  );

export const UnitSchema = z.string().min(1).max(UNIT_MAX);

export const TagsSchema = z.record(z.string().max(TAG_KEY_MAX), z.string().max(TAG_VALUE_MAX));

/** Epoch milliseconds: the one time representation inside Sluice. */
export const EpochMsSchema = z
  .number()
  .int('must be an integer (epoch milliseconds)')
  .nonnegative();

// zod 4 numbers already refuse NaN and ±Infinity; the name documents the guarantee for readers.
export const FiniteNumberSchema = z.number();

/**
 * Plain-JavaScript checks for the consumers that validate every reading of every record, where
 * zod's per-value machinery costs more than the rest of the work. Each accepts only values its
 * schema above accepts (string lengths are compared in UTF-16 units, which never undercount what
 * zod counts), so `false` means "ask the schema for the verdict and the message", not "invalid".
 */
export const quickCheck = {
  tenantId: (value: unknown): value is string => typeof value === 'string' && TENANT_ID.test(value),
  deviceId: (value: unknown): value is string => typeof value === 'string' && DEVICE_ID.test(value),
  metricName: (value: unknown): value is string =>
    typeof value === 'string' && METRIC_NAME.test(value),
  epochMs: (value: unknown): value is number =>
    Number.isSafeInteger(value) && (value as number) >= 0,
  finiteNumber: (value: unknown): value is number =>
    typeof value === 'number' && Number.isFinite(value),
  unit: (value: unknown): value is string =>
    typeof value === 'string' && value.length >= 1 && value.length <= UNIT_MAX,
  tags: (value: unknown): value is Record<string, string> => {
    if (!isPlainObject(value)) return false;
    for (const key in value) {
      const tag = value[key];
      if (key.length > TAG_KEY_MAX || typeof tag !== 'string' || tag.length > TAG_VALUE_MAX)
        return false;
    }
    return true;
  },
};

/** A JSON object (not null, not an array): what `z.object` and `z.record` start from. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
