import { DeviceIdSchema, MetricNameSchema, TagsSchema, UnitSchema } from '@sluice/contracts';
import type { z } from 'zod';

/** `undefined` when the identifier is valid, else the rule it breaks (the contract's message). */
export type IdentifierCheck = (value: string) => string | undefined;

// A body repeats the same few names millions of times; validating each distinct name once keeps
// the contracts' zod schemas the single source of truth without paying zod per reading. The cap
// bounds memory against bodies made of unique names (the cache is simply restarted).
const MAX_CACHED_NAMES = 10_000;

function cachedCheck(schema: z.ZodString): IdentifierCheck {
  const verdicts = new Map<string, string | undefined>();
  return (value) => {
    const cached = verdicts.get(value);
    if (cached !== undefined || verdicts.has(value)) return cached;
    const result = schema.safeParse(value);
    const verdict = result.success ? undefined : result.error.issues[0].message;
    if (verdicts.size >= MAX_CACHED_NAMES) verdicts.clear();
    verdicts.set(value, verdict);
    return verdict;
  };
}

export const checkMetricName: IdentifierCheck = cachedCheck(MetricNameSchema);
export const checkDeviceId: IdentifierCheck = cachedCheck(DeviceIdSchema);
export const checkUnit: IdentifierCheck = cachedCheck(UnitSchema);

/** `undefined` when a tag set satisfies the contract's `TagsSchema`, else the first broken rule. */
export function checkTags(tags: Record<string, string>): string | undefined {
  const result = TagsSchema.safeParse(tags);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return `tag ${JSON.stringify(String(issue.path[0] ?? ''))}: ${issue.message}`;
}

// String field values differ on every line, so the per-line check reads the contract's limits
// instead of running the zod schema (which costs more than parsing the line itself).
const MAX_TAG_KEY_LENGTH = TagsSchema.keyType.maxLength ?? Infinity;
const MAX_TAG_VALUE_LENGTH = TagsSchema.valueType.maxLength ?? Infinity;

/** One tag against `TagsSchema`'s length limits, worded like {@link checkTags}. */
export function checkTag(key: string, value: string): string | undefined {
  if (key.length > MAX_TAG_KEY_LENGTH || value.length > MAX_TAG_VALUE_LENGTH) {
    return checkTags({ [key]: value });
  }
  return undefined;
}
