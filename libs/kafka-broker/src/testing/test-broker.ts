import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';

import { BrokerOptions, EmbeddedBroker, startBroker } from '../broker/embedded-broker';

/** A broker on an ephemeral port and a fresh temp data dir, for integration tests. */
export interface TestBroker {
  readonly broker: EmbeddedBroker;
  readonly dataDir: string;
  /** A quiet kafkajs client for the current broker address. */
  kafka(clientId?: string): Kafka;
  /** Stops the broker and starts a new one on the same data dir (the port may change). */
  restart(): Promise<void>;
  /** Stops the broker and deletes the data dir. */
  destroy(): Promise<void>;
}

export async function startTestBroker(opts: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kafka-broker-test-')));
  const logger = pino({ level: process.env.BROKER_TEST_LOG_LEVEL ?? 'silent' });
  const start = (): Promise<EmbeddedBroker> => startBroker({ logger, ...opts, dataDir });
  let broker = await start();
  return {
    get broker() {
      return broker;
    },
    dataDir,
    kafka: (clientId = 'test-client') =>
      new Kafka({
        clientId,
        brokers: [broker.address],
        logLevel: logLevel.NOTHING,
        retry: { retries: 5, initialRetryTime: 100 },
      }),
    restart: async () => {
      await broker.stop();
      broker = await start();
    },
    destroy: async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let counter = 0;
/** Topic/group names unique per test run, so test files can share nothing. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}
