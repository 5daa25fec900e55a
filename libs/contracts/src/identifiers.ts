import { z } from 'zod';

// Identifiers end up in Kafka keys (`tenant/device`), Redis keys and URLs: no slashes, no spaces,
// bounded length, so none of those needs escaping.
export const TenantIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 chars of a-z, 0-9 and "-", starting with a letter or digit',
  );

export const DeviceIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    'must be 1-128 chars of letters, digits, "_", ".", ":" and "-", starting with a letter or digit',
  );

export const MetricNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/,
    'must be 1-128 chars of letters, digits, "_", ".", ":" and "-", starting with a letter or "_"',
  );

export const UnitSchema = z.string().min(1).max(32);

export const TagsSchema = z.record(z.string().max(128), z.string().max(256));

/** Epoch milliseconds: the one time representation inside Sluice. */
export const EpochMsSchema = z
  .number()
  .int('must be an integer (epoch milliseconds)')
  .nonnegative();

// zod 4 numbers already refuse NaN and ±Infinity; the name documents the guarantee for readers.
export const FiniteNumberSchema = z.number();
