import { z } from 'zod';

export interface ContractIssue {
  /** Path into the value, e.g. `readings[3].value`. */
  path: string;
  message: string;
}

/** A record value that is not valid JSON or does not match its topic's contract. */
export class RecordDecodeError extends Error {
  constructor(
    readonly kind: 'unparseable' | 'invalid_schema',
    readonly issues: ContractIssue[],
  ) {
    super(
      `${kind === 'unparseable' ? 'unparseable record' : 'record violates contract'}: ${issues
        .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
        .join('; ')}`,
    );
    this.name = 'RecordDecodeError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function formatIssues(error: z.ZodError, prefix = ''): ContractIssue[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path, prefix),
    message: issue.message,
  }));
}

export function encodeRecord(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function decodeRecord<S extends z.ZodType>(schema: S, value: Buffer | string): z.infer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (cause) {
    throw new RecordDecodeError('unparseable', [
      { path: '', message: cause instanceof Error ? cause.message : String(cause) },
    ]);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new RecordDecodeError('invalid_schema', formatIssues(result.error));
  return result.data;
}
