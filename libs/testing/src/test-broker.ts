import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerOptions, type EmbeddedBroker, startBroker } from '@sluice/kafka-broker';
import { createLogger } from '@sluice/logging';

export interface TestBroker {
  /** Bootstrap addresses for kafkajs / KAFKA_BROKERS. */
  readonly brokers: string[];
  readonly broker: EmbeddedBroker;
  readonly dataDir: string;
  /** Stops the broker and deletes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded Kafka-protocol broker on a free port with a fresh temporary data directory.
 * Broker logs are quiet (warn) unless LOG_LEVEL says otherwise.
 */
export async function startTestBroker(
  options: Partial<Omit<BrokerOptions, 'dataDir' | 'port'>> = {},
): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-test-broker-'));
  let broker: EmbeddedBroker;
  try {
    broker = await startBroker({
      logger: createLogger('kafka-broker', process.env['LOG_LEVEL'] ?? 'warn'),
      ...options,
      port: 0,
      dataDir,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    brokers: [broker.address],
    broker,
    dataDir,
    stop: async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
