import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '@sluice/kafka-broker';
import { createLogger } from '@sluice/logging';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import { BatchConsumer, type ConsumedBatch } from './batch-consumer';
import { createKafka } from './kafka-client.factory';
import { KafkaProducer } from './kafka-producer';
import { ensureTopics } from './topic-admin';
import { KafkaOperationError } from './errors';

describe('kafka lib against the embedded broker', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker();
  });

  afterAll(async () => {
    await broker.stop();
  });

  function kafka() {
    return createKafka({ brokers: broker.brokers, clientId: uniqueName('kafka-lib-test') });
  }

  /** A new topic with `partitions`, a client, a connected producer and a fresh group id. */
  async function topicWithProducer(name: string, partitions: number) {
    const topic = uniqueName(name);
    const client = kafka();
    await ensureTopics(client, [{ topic, partitions }]);
    const producer = new KafkaProducer(client);
    await producer.connect();
    return { topic, groupId: uniqueName('group'), client, producer };
  }

  /** A member of `groupId` on `topic` that appends every record's value to `seen`. */
  function collector(
    client: ReturnType<typeof kafka>,
    groupId: string,
    topic: string,
    seen: string[],
    options: { fromBeginning?: boolean } = {},
  ): BatchConsumer {
    return new BatchConsumer(client, {
      groupId,
      topics: [topic],
      ...options,
      handler: async (batch) => {
        seen.push(...batch.messages.map((message) => message.value.toString()));
      },
    });
  }

  it('ensureTopics creates only the missing topics with the requested partitions', async () => {
    const topic = uniqueName('ensure');
    expect(await ensureTopics(kafka(), [{ topic, partitions: 3 }])).toEqual([topic]);
    expect(await ensureTopics(kafka(), [{ topic, partitions: 3 }])).toEqual([]);
    const admin = kafka().admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('delivers every produced record with its key and headers, in order per key', async () => {
    const { topic, client, producer } = await topicWithProducer('roundtrip', 2);
    const records = Array.from({ length: 500 }, (_, i) => ({
      key: `device-${i % 5}`,
      value: JSON.stringify({ i }),
      headers: { 'sluice-ingest-ts': String(i) },
    }));
    await producer.send(topic, records);

    const seen: Array<{ key: string | null; i: number; header: string }> = [];
    const consumer = new BatchConsumer(client, {
      groupId: uniqueName('group'),
      topics: [topic],
      handler: async (batch: ConsumedBatch) => {
        for (const message of batch.messages) {
          seen.push({
            key: message.key,
            i: (JSON.parse(message.value.toString()) as { i: number }).i,
            header: message.headers['sluice-ingest-ts'],
          });
        }
      },
    });
    await consumer.start();
    await waitFor(() => seen.length >= records.length || undefined, {
      message: 'all 500 records consumed',
    });
    await consumer.stop();
    await producer.disconnect();

    expect(seen).toHaveLength(records.length);
    for (const entry of seen) expect(entry.header).toBe(String(entry.i));
    for (let device = 0; device < 5; device++) {
      const order = seen
        .filter((entry) => entry.key === `device-${device}`)
        .map((entry) => entry.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('retries a failing handler without committing, so a restarted member resumes at the failed batch', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('retry', 1);
    await producer.send(topic, [{ key: 'k', value: 'first' }]);

    let attempts = 0;
    const first = new BatchConsumer(client, {
      groupId,
      topics: [topic],
      maxRetryDelayMs: 50,
      handler: async () => {
        attempts++;
        throw new Error('dependency down');
      },
    });
    await first.start();
    await waitFor(() => attempts >= 3 || undefined, { message: 'three failed attempts' });
    await first.stop();

    const delivered: string[] = [];
    const second = collector(client, groupId, topic, delivered);
    await second.start();
    await waitFor(() => delivered.length > 0 || undefined, {
      message: 'the uncommitted record redelivered',
    });
    await second.stop();
    await producer.disconnect();
    expect(delivered).toEqual(['first']);
  });

  it('commits after a successful batch, so a restarted member does not see it again', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('commit', 1);
    await producer.send(topic, [{ key: 'k', value: 'one' }]);

    const firstRun: string[] = [];
    const first = collector(client, groupId, topic, firstRun);
    await first.start();
    await waitFor(() => firstRun.length === 1 || undefined, { message: 'first record consumed' });
    await first.stop();

    await producer.send(topic, [{ key: 'k', value: 'two' }]);
    const secondRun: string[] = [];
    const second = collector(client, groupId, topic, secondRun);
    await second.start();
    await waitFor(() => secondRun.length >= 1 || undefined, { message: 'second record consumed' });
    await second.stop();
    await producer.disconnect();
    expect(secondRun).toEqual(['two']);
  });

  it('commits handled batches while it runs, not only at the next batch or at stop', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('background-commit', 2);
    await producer.send(topic, [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
      { key: 'c', value: 'three' },
    ]);
    const seen: string[] = [];
    const member = collector(client, groupId, topic, seen);
    await member.start();
    const admin = client.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      // nothing else arrives, so only a commit made in the background gets there
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return (
            ends.every(({ partition, high }) => {
              const offset = committed.partitions.find((p) => p.partition === partition)?.offset;
              return offset === high || (high === '0' && offset === '-1');
            }) || undefined
          );
        },
        { message: 'every partition committed up to its end while the member runs' },
      );
      expect(seen.sort()).toEqual(['one', 'three', 'two']);
    } finally {
      await admin.disconnect();
      await member.stop();
      await producer.disconnect();
    }
  });

  it('commits the batch that was being handled when the stop began, before leaving the group', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('stop-commit', 1);
    await producer.send(topic, [
      { key: 'k', value: 'one' },
      { key: 'k', value: 'two' },
    ]);
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const member = new BatchConsumer(client, {
      groupId,
      topics: [topic],
      handler: async () => {
        started();
        await released;
      },
    });
    await member.start();
    await handling;
    const stopped = member.stop();
    release();
    await stopped;
    const admin = client.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed.partitions).toEqual([
        expect.objectContaining({ partition: 0, offset: '2' }),
      ]);
    } finally {
      await admin.disconnect();
      await producer.disconnect();
    }
  });

  it('measures lag on a timer while the handler is stuck, and sees it drop to 0 once it catches up', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('lag', 2);
    const send = (from: number, count: number) =>
      producer.send(
        topic,
        Array.from({ length: count }, (_, i) => ({ key: `device-${from + i}`, value: 'x' })),
      );
    await send(0, 10);

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let batches = 0;
    const lag = new Map<number, number>();
    const consumer = new BatchConsumer(client, {
      groupId,
      topics: [topic],
      lagRefreshMs: 100,
      handler: async () => {
        batches++;
        await released;
      },
      observer: { lagMeasured: (info) => lag.set(info.partition, info.lag) },
    });
    await consumer.start();
    await waitFor(() => batches > 0 || undefined, { message: 'first batch in the handler' });
    // No batch completes while the handler hangs, so only the timer can see the backlog grow.
    await send(10, 20);
    const total = () => [...lag.values()].reduce((sum, value) => sum + value, 0);
    await waitFor(() => (lag.size === 2 && total() === 30) || undefined, {
      message: 'timer-measured lag reached the 30 produced records',
    });

    release();
    await waitFor(() => (lag.size === 2 && total() === 0) || undefined, {
      timeoutMs: 20_000,
      message: 'timer-measured lag back to 0 after the handler caught up',
    });
    await consumer.stop();
    await producer.disconnect();
  });

  it('fromBeginning: false starts from the group start, not from each restart (records between are not skipped)', async () => {
    const { topic, groupId, client, producer } = await topicWithProducer('latest', 2);
    await producer.send(topic, [{ key: 'before', value: 'history' }]);

    const member = (seen: string[]) =>
      collector(client, groupId, topic, seen, { fromBeginning: false });
    const firstSeen: string[] = [];
    const first = member(firstSeen);
    const joined = first.waitForAssignment();
    await first.start();
    await joined;
    await waitFor(
      async () => {
        const admin = client.admin();
        await admin.connect();
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        await admin.disconnect();
        return offsets.partitions.every((p) => p.offset !== '-1') || undefined;
      },
      { message: 'start offsets pinned for both partitions' },
    );
    await first.stop();

    // Arrive while no member runs: the next member must read them, not jump to the new end.
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `device-${i}`, value: `new-${i}` })),
    );
    const secondSeen: string[] = [];
    const second = member(secondSeen);
    await second.start();
    await waitFor(() => secondSeen.length >= 10 || undefined, {
      message: 'the 10 records produced between the two members',
    });
    await second.stop();
    await producer.disconnect();
    expect(firstSeen).toEqual([]);
    expect(secondSeen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `new-${i}`).sort());
  });

  it('stays paused when kafkajs restarts it after a crash, and resumeAtEnd reads only what comes after', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-paused-consumer-'));
    const logger = createLogger('kafka-broker', 'fatal');
    let broker = await startBroker({ dataDir, port: 0, logger });
    const port = broker.port;
    const client = createKafka({ brokers: [broker.address], clientId: uniqueName('paused') });
    const topic = uniqueName('paused');
    await ensureTopics(client, [{ topic, partitions: 2 }]);
    const producer = new KafkaProducer(client);
    await producer.connect();
    const seen: string[] = [];
    const consumer = collector(client, uniqueName('group'), topic, seen);
    const crashed = new Promise((resolve) => consumer.onCrash(resolve));
    void consumer.pause();
    const assigned = consumer.waitForAssignment();
    await consumer.start();
    await assigned;
    try {
      // the broker goes away long enough for kafkajs to give up and restart the consumer
      await broker.stop();
      await crashed;
      const rejoined = consumer.waitForAssignment(60_000);
      broker = await startBroker({ dataDir, port, logger });
      await rejoined;

      await producer.send(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: `k-${i}`, value: `while-paused-${i}` })),
      );
      await consumer.resumeAtEnd();
      await producer.send(topic, [{ key: 'k-0', value: 'after' }]);
      await waitFor(() => seen.includes('after') || undefined, { message: 'the record after' });
      expect(seen).toEqual(['after']);
    } finally {
      await consumer.stop();
      await producer.disconnect();
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('fails a send with KafkaOperationError within the bounded time once the broker is gone', async () => {
    const doomed = await startTestBroker();
    const client = createKafka({
      brokers: doomed.brokers,
      clientId: 'doomed',
      connectionTimeoutMs: 200,
    });
    const topic = uniqueName('doomed');
    await ensureTopics(client, [{ topic, partitions: 1 }]);
    const producer = new KafkaProducer(client, { sendTimeoutMs: 1_000 });
    await producer.connect();
    await producer.send(topic, [{ key: 'k', value: 'before' }]);
    await doomed.stop();

    const started = Date.now();
    await expect(producer.send(topic, [{ key: 'k', value: 'after' }])).rejects.toBeInstanceOf(
      KafkaOperationError,
    );
    // Bounded, not hanging on kafkajs's own retries (which would take ~40 s).
    expect(Date.now() - started).toBeLessThan(5_000);
    await producer.disconnect().catch(() => undefined);
  }, 30_000);
});
