import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config.errors';
import { maskEnvValue } from './secret-masking';

export type EnvSource = Record<string, string | undefined>;

/**
 * Validates the environment against a zod object schema and returns the typed configuration.
 * Empty strings count as "not set" (so `FOO=` in a compose file falls back to the default).
 * Throws ConfigError listing every invalid variable, never only the first.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: EnvSource = process.env,
  service: string = env['SERVICE_NAME'] ?? 'sluice',
): z.output<S> {
  const input: EnvSource = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => toConfigIssue(issue, input)),
  );
}

function toConfigIssue(issue: z.core.$ZodIssue, input: EnvSource): ConfigIssue {
  const variable = issue.path.length > 0 ? String(issue.path[0]) : '(configuration)';
  const raw = input[variable];
  if (raw === undefined) return { variable, problem: 'is required', received: undefined };
  return { variable, problem: issue.message, received: maskEnvValue(variable, raw) };
}
