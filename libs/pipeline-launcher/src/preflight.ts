import Redis from 'ioredis';
import { Client } from 'pg';

export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: 'PostgreSQL' | 'Redis',
    readonly url: string,
    detail: string,
    readonly howToStart: string,
  ) {
    super(
      `${dependency} is not reachable at ${url}: ${detail}\n  To start it on this machine: ${howToStart}`,
    );
    this.name = 'DependencyUnavailableError';
  }
}

function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export async function checkPostgres(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new DependencyUnavailableError(
      'PostgreSQL',
      maskUrl(url),
      error instanceof Error ? error.message : String(error),
      'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or set DATABASE_URL)',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new DependencyUnavailableError(
      'Redis',
      maskUrl(url),
      error instanceof Error ? error.message : String(error),
      'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no   (or set REDIS_URL)',
    );
  } finally {
    redis.disconnect();
  }
}
