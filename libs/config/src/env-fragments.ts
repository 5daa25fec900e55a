import { z } from 'zod';

// Reusable zod shapes for the environment variables every service shares. Spread them into one
// z.object: `loadConfig(z.object({ ...databaseEnv, ...httpEnv(8080) }))`. Defaults target the
// embedded local setup (PostgreSQL and Redis on 127.0.0.1).

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
const TEN_MIB = 10 * 1024 * 1024;

export function envBoolean(defaultValue: boolean) {
  return z
    .stringbool({ error: 'must be a boolean (true/false, 1/0, yes/no, on/off)' })
    .default(defaultValue);
}

export function envInteger(opts: { min: number; max?: number; default: number }) {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return z.coerce
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(opts.min, { error: `must be >= ${opts.min}` })
    .max(max, { error: `must be <= ${max}` })
    .default(opts.default);
}

export function envUrl(schemes: readonly string[], defaultValue?: string) {
  const label = schemes.map((s) => `${s}://`).join(' or ');
  const url = z.string().refine((value) => isUrlWithScheme(value, schemes), {
    error: `must be a ${label} URL`,
  });
  return defaultValue === undefined ? url : url.default(defaultValue);
}

function isUrlWithScheme(value: string, schemes: readonly string[]): boolean {
  try {
    const url = new URL(value);
    return schemes.includes(url.protocol.replace(/:$/, '')) && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** "h1:9092,h2:9092" → ['h1:9092', 'h2:9092']; every entry must be host:port. */
export const brokerList = z.string().transform((value, ctx) => {
  const brokers = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const bad = brokers.find((entry) => !/^[^\s:]+:\d{1,5}$/.test(entry));
  if (brokers.length === 0 || bad !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message:
        bad === undefined
          ? 'must be a comma-separated list of host:port'
          : `must be a comma-separated list of host:port (bad entry "${bad}")`,
    });
    return z.NEVER;
  }
  return brokers;
});

export const databaseEnv = {
  DATABASE_URL: envUrl(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_POOL_MAX: envInteger({ min: 1, max: 1000, default: 10 }),
  DATABASE_SSL: envBoolean(false),
};

export const redisEnv = {
  REDIS_URL: envUrl(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('sluice:'),
};

export const kafkaEnv = {
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().optional(),
  KAFKA_SSL: envBoolean(false),
  KAFKA_SASL_MECHANISM: z
    .enum(SASL_MECHANISMS, { error: `must be one of ${SASL_MECHANISMS.join(', ')}` })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
};

export function httpEnv(defaultPort: number) {
  return {
    PORT: envInteger({ min: 0, max: 65535, default: defaultPort }),
    HOST: z.string().default('0.0.0.0'),
    HTTP_BODY_LIMIT_BYTES: envInteger({ min: 1024, default: TEN_MIB }),
  };
}

export const logEnv = {
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
};

export const shutdownEnv = {
  SHUTDOWN_GRACE_MS: envInteger({ min: 0, default: 25_000 }),
};
