/**
 * Standalone embedded broker: `npm run broker -- --port 9092 --data-dir ./data/broker`.
 * Logs JSON (pino) and stops cleanly on SIGINT/SIGTERM.
 */
// Must stay the first import: it sizes libuv's thread pool before anything uses it.
import './uv-threadpool.setup';

import { createServer, Server } from 'node:http';
import { parseArgs } from 'node:util';

import pino from 'pino';

import { EmbeddedBroker, startBroker } from './broker/embedded-broker';
import type { FsyncPolicy } from './storage';

const USAGE = `usage: npm run broker -- [--port 9092] [--data-dir ./data/broker] [--host 127.0.0.1]
       [--advertised-host HOST] [--partitions 6] [--metrics-port PORT] [--fsync always|<interval ms>]
       [--offsets-retention-minutes 10080 (0: keep committed offsets of idle groups forever)]`;

class CliArgumentError extends Error {
  constructor(flag: string, value: string, rule: string) {
    super(`--${flag}=${value}: ${rule}`);
    this.name = 'CliArgumentError';
  }
}

function integer(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliArgumentError(flag, value, `must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** `always` (fsync before every acknowledgement) or an interval in ms between background fsyncs. */
function fsyncPolicy(value: string): FsyncPolicy {
  if (value === 'always') return { mode: 'always' };
  const intervalMs = integer('fsync', value, 1, 3_600_000);
  if (intervalMs === undefined)
    throw new CliArgumentError('fsync', value, "must be 'always' or milliseconds");
  return { mode: 'interval', intervalMs };
}

/** Kafka's offsets.retention.minutes; 0 turns expiry off. */
function offsetsRetention(value: string): number | null {
  const minutes = integer('offsets-retention-minutes', value, 0, 100 * 365 * 24 * 60) ?? 0;
  return minutes === 0 ? null : minutes * 60_000;
}

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '9092' },
      'data-dir': { type: 'string', default: './data/broker' },
      host: { type: 'string', default: '127.0.0.1' },
      'advertised-host': { type: 'string' },
      partitions: { type: 'string' },
      'metrics-port': { type: 'string' },
      fsync: { type: 'string', default: 'always' },
      'offsets-retention-minutes': { type: 'string', default: '10080' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  return {
    help: values.help ?? false,
    port: integer('port', values.port, 0, 65535) ?? 9092,
    dataDir: values['data-dir'] ?? './data/broker',
    host: values.host,
    advertisedHost: values['advertised-host'],
    defaultPartitions: integer('partitions', values.partitions, 1, 10_000),
    metricsPort: integer('metrics-port', values['metrics-port'], 0, 65535),
    fsync: fsyncPolicy(values.fsync ?? 'always'),
    offsetsRetentionMs: offsetsRetention(values['offsets-retention-minutes'] ?? '10080'),
  };
}

function serveMetrics(
  broker: EmbeddedBroker,
  host: string,
  port: number,
  logger: pino.Logger,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    broker.metricsRegistry.metrics().then(
      (text) =>
        res.writeHead(200, { 'content-type': broker.metricsRegistry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      logger.info(
        { metrics: typeof address === 'object' && address ? `${host}:${address.port}` : address },
        'serving /metrics',
      );
      resolve(server);
    });
  });
}

async function main(): Promise<void> {
  const logger = pino({ name: 'kafka-broker' });
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const broker = await startBroker({
    port: args.port,
    host: args.host,
    dataDir: args.dataDir,
    advertisedHost: args.advertisedHost,
    defaultPartitions: args.defaultPartitions,
    fsync: args.fsync,
    offsetsRetentionMs: args.offsetsRetentionMs,
    logger,
  });
  const metricsServer =
    args.metricsPort === undefined
      ? undefined
      : await serveMetrics(broker, args.host ?? '127.0.0.1', args.metricsPort, logger);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    metricsServer?.close();
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  pino({ name: 'kafka-broker' }).fatal({ err }, 'broker failed to start');
  process.exit(1);
});
