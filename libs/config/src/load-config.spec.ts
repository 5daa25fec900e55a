import { z } from 'zod';
import { ConfigError } from './config.errors';
import { databaseEnv, httpEnv, kafkaEnv, logEnv, redisEnv, shutdownEnv } from './env-fragments';
import { loadConfig } from './load-config';

const schema = z.object({
  ...databaseEnv,
  ...redisEnv,
  ...kafkaEnv,
  ...httpEnv(8080),
  ...logEnv,
  ...shutdownEnv,
});

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the embedded local defaults', () => {
    const config = loadConfig(schema, { KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      DATABASE_POOL_MAX: 10,
      DATABASE_SSL: false,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'sluice:',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      PORT: 8080,
      HOST: '0.0.0.0',
      HTTP_BODY_LIMIT_BYTES: 10 * 1024 * 1024,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: 25_000,
    });
  });

  it('parses typed values from strings', () => {
    const config = loadConfig(schema, {
      KAFKA_BROKERS: ' a:1, b:2 ,',
      DATABASE_SSL: 'yes',
      PORT: '0',
      DATABASE_POOL_MAX: '32',
    });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.DATABASE_SSL).toBe(true);
    expect(config.PORT).toBe(0);
    expect(config.DATABASE_POOL_MAX).toBe(32);
  });

  it('treats an empty variable as not set', () => {
    expect(loadConfig(schema, { KAFKA_BROKERS: 'k:1', PORT: '' }).PORT).toBe(8080);
  });

  it('names the service, every invalid variable, the problem and the value received', () => {
    const error = errorOf(() =>
      loadConfig(
        schema,
        { DATABASE_URL: 'foo', PORT: '99999', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'a:1,b' },
        'aggregator',
      ),
    );
    expect(error.message).toBe(
      [
        'Invalid configuration for aggregator:',
        '  DATABASE_URL: must be a postgres:// or postgresql:// URL (got "foo")',
        '  KAFKA_BROKERS: must be a comma-separated list of host:port (bad entry "b") (got "a:1,b")',
        '  PORT: must be <= 65535 (got "99999")',
        '  LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      ].join('\n'),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'PORT',
      'LOG_LEVEL',
    ]);
  });

  it('reports a missing required variable', () => {
    expect(errorOf(() => loadConfig(schema, {}, 'gateway')).message).toBe(
      'Invalid configuration for gateway:\n  KAFKA_BROKERS: is required (not set)',
    );
  });

  it('never prints the password of a URL', () => {
    const message = errorOf(() =>
      loadConfig(schema, { KAFKA_BROKERS: 'k:1', DATABASE_URL: 'mysql://app:s3cret@db/x' }),
    ).message;
    expect(message).toContain('(got "mysql://app:***@db/x")');
    expect(message).not.toContain('s3cret');
  });

  it('never prints the value of a *_PASSWORD or *_KEY variable', () => {
    const secrets = z.object({
      KAFKA_SASL_PASSWORD: z.string().min(12, { error: 'must be at least 12 characters' }),
      DEMO_API_KEY: z.string().regex(/^sk-/, { error: 'must start with sk-' }),
    });
    const message = errorOf(() =>
      loadConfig(secrets, { KAFKA_SASL_PASSWORD: 'hunter2', DEMO_API_KEY: 'topsecret' }),
    ).message;
    expect(message).toContain(
      'KAFKA_SASL_PASSWORD: must be at least 12 characters (got "<redacted>")',
    );
    expect(message).toContain('DEMO_API_KEY: must start with sk- (got "<redacted>")');
    expect(message).not.toMatch(/hunter2|topsecret/);
  });
});
