import { formatIssues } from '@sluice/contracts';
import type { z } from 'zod';
import { ApiError } from './api-error';

/**
 * A route's query or body checked against its schema: 400 `invalid_query` / `invalid_body` naming
 * every bad field. A missing body or query counts as `{}`, so defaults apply and required fields are
 * named rather than "expected object".
 */
export function parseRequestInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'query' | 'body',
): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ApiError(400, `invalid_${where}`, `invalid ${where}`, formatIssues(parsed.error));
  }
  return parsed.data;
}
