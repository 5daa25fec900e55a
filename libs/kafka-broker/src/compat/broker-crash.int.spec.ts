import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { Kafka, logLevel } from 'kafkajs';

import { uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(120_000);

const CLI = join(__dirname, '..', 'cli.ts');
const PARTITIONS = 3;
const SENDERS = 4;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** The standalone broker as its own process, so it can really be killed with SIGKILL. */
async function startBrokerProcess(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', CLI, '--port', String(port), '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let listening = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes('"kafka broker listening"')) listening = true;
  });
  await waitFor(() => listening || child.exitCode !== null, 'the broker process to listen', 30_000);
  if (!listening) throw new Error(`broker process exited with ${child.exitCode}`);
  return child;
}

function kafkaFor(port: number, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

describe('broker crash (kill -9 during an acks=-1 produce loop)', () => {
  let dataDir: string;
  let broker: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kafka-broker-crash-'));
  });

  afterAll(async () => {
    if (broker && broker.exitCode === null) {
      const exited = new Promise((resolve) => broker!.once('exit', resolve));
      broker.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged message, contiguous offsets and no torn batch after restart', async () => {
    const port = await freePort();
    const topic = uniqueName('crash');
    broker = await startBrokerProcess(port, dataDir);

    const admin = kafkaFor(port, 'crash-admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const producer = kafkaFor(port, 'crash-producer').producer();
    await producer.connect();
    /** Values of every acknowledged message (each send that resolved). */
    const acked = new Set<string>();
    let next = 0;
    const sender = async (): Promise<void> => {
      for (;;) {
        const messages = Array.from({ length: 1 + (next % 7) }, () => {
          const n = next++;
          return { key: `k${n}`, value: `v${n}` };
        });
        try {
          await producer.send({ topic, acks: -1, messages });
        } catch {
          return; // the broker is gone: this send is not acknowledged, and the loop ends
        }
        for (const m of messages) acked.add(m.value);
      }
    };
    const senders = Array.from({ length: SENDERS }, () => sender());
    await waitFor(() => acked.size >= 2_000, 'acknowledged messages before the kill', 60_000);
    const exited = new Promise((resolve) => broker!.once('exit', resolve));
    broker.kill('SIGKILL');
    await exited;
    await Promise.all(senders);
    await producer.disconnect();
    expect(acked.size).toBeGreaterThanOrEqual(2_000);

    broker = await startBrokerProcess(port, dataDir);
    const reader = kafkaFor(port, 'crash-reader');
    const readAdmin = reader.admin();
    await readAdmin.connect();
    const watermarks = await readAdmin.fetchTopicOffsets(topic);
    await readAdmin.disconnect();
    const highWatermark = watermarks.reduce((sum, p) => sum + Number(p.high), 0);

    const offsetsByPartition = new Map<number, number[]>();
    const values = new Set<string>();
    let batchRecords = 0;
    const consumer = reader.consumer({ groupId: uniqueName('crash-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        batchRecords += batch.messages.length;
        const offsets = offsetsByPartition.get(batch.partition) ?? [];
        for (const m of batch.messages) {
          offsets.push(Number(m.offset));
          values.add(String(m.value));
        }
        offsetsByPartition.set(batch.partition, offsets);
      },
    });
    await waitFor(() => batchRecords >= highWatermark, 'every stored record to be read', 60_000);
    await consumer.disconnect();

    // Everything below the high watermark decoded as whole batches (kafkajs drops a partial
    // trailing batch silently, so a torn tail would show as fewer records than the watermark).
    expect(batchRecords).toBe(highWatermark);
    for (const { partition, high } of watermarks) {
      const offsets = offsetsByPartition.get(partition) ?? [];
      expect(offsets).toEqual(Array.from({ length: Number(high) }, (_, i) => i));
    }
    const missing = [...acked].filter((v) => !values.has(v));
    expect(missing).toEqual([]);
  });
});
