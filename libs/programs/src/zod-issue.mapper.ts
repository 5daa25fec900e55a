/**
 * Turns zod's issues into ProgramIssues whose messages a program author can act on: the node path,
 * what was found, what is allowed, and the likely intended spelling.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.parser';
import { joinPath, type PathSegment } from './node-path';
import type { ProgramIssue, ProgramIssueCode } from './program.errors';
import { ORDERING_OPERATORS, TIME_OF_DAY_PATTERN } from './program.schema';
import { didYouMean, suggestOperator } from './suggest';
import { knownTimeZones } from './wall-clock';

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

/** The keys the strict object at `relPath` inside `schema` accepts, for "did you mean". */
function objectKeysAt(schema: z.ZodType, relPath: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const segment of [...relPath, null]) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    }
    if (segment === null) break;
    if (current instanceof z.ZodObject) current = current.shape[String(segment)] as z.ZodType;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function operatorIssue(input: unknown, allowed: readonly string[]): string {
  const list = allowed.join(', ');
  if (allowed.length === ORDERING_OPERATORS.length && (input === '==' || input === '!=')) {
    return `bad operator ${JSON.stringify(input)}: a hysteresis threshold needs an ordering operator (${list})`;
  }
  const alias = typeof input === 'string' ? suggestOperator(input) : null;
  const hint =
    alias !== null && allowed.includes(alias) ? ` — did you mean ${JSON.stringify(alias)}?` : '';
  return `bad operator ${JSON.stringify(input)}${hint} (expected one of ${list})`;
}

export function issuesFromZod(
  issue: z.core.$ZodIssue,
  base: readonly PathSegment[],
  schema: z.ZodType,
): ProgramIssue[] {
  const segments = [...base, ...(issue.path as PathSegment[])];
  const path = joinPath(segments);
  const field = String(issue.path[issue.path.length - 1] ?? base[base.length - 1] ?? '');
  const one = (code: ProgramIssueCode, message: string): ProgramIssue[] => [
    { path, code, message },
  ];

  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return one('missing_field', `"${field}" is required`);
      return one(
        'invalid_type',
        `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`,
      );
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      if (field === 'op') return one('bad_operator', operatorIssue(issue.input, allowed));
      return one(
        'invalid_value',
        `${JSON.stringify(issue.input)} is not allowed here (expected ${allowed.map((v) => JSON.stringify(v)).join(', ')})` +
          (typeof issue.input === 'string' ? didYouMean(issue.input, allowed) : ''),
      );
    }
    case 'invalid_format': {
      const pattern = 'pattern' in issue ? String(issue.pattern) : '';
      const code: ProgramIssueCode =
        pattern === String(DURATION_PATTERN)
          ? 'bad_duration'
          : pattern === String(TIME_OF_DAY_PATTERN)
            ? 'bad_time'
            : 'invalid_value';
      const shown = JSON.stringify(issue.input);
      return one(code, issue.message.includes(shown) ? issue.message : `${shown} ${issue.message}`);
    }
    case 'custom': {
      const code = (issue.params?.code as ProgramIssueCode | undefined) ?? 'invalid_value';
      const hint =
        code === 'bad_timezone' && typeof issue.input === 'string'
          ? didYouMean(issue.input, knownTimeZones())
          : '';
      return one(code, `${issue.message}${hint}`);
    }
    case 'too_small':
      if (issue.origin === 'array')
        return one('invalid_value', `must list at least ${issue.minimum}`);
      if (issue.origin === 'string') return one('invalid_value', 'must not be empty');
      return one(
        'invalid_value',
        `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describeValue(issue.input)}`,
      );
    case 'too_big':
      return one(
        'invalid_value',
        issue.origin === 'string' || issue.origin === 'array'
          ? `is too long (at most ${String(issue.maximum)})`
          : `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${describeValue(issue.input)}`,
      );
    case 'unrecognized_keys': {
      const known = objectKeysAt(schema, issue.path);
      return issue.keys.map((key) => ({
        path: joinPath([...segments, key]),
        code: 'unknown_field' as const,
        message: `unknown field ${JSON.stringify(key)}${didYouMean(key, known)}`,
      }));
    }
    default:
      return one('invalid_value', issue.message);
  }
}
