import { Admin, CompressionTypes, Consumer, IHeaders, KafkaMessage, Producer } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

interface Seen {
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: IHeaders;
  timestamp: string;
}

const MESSAGES = 200;

jest.setTimeout(30_000);

describe('embedded broker: produce and consume with kafkajs', () => {
  let tb: TestBroker;
  let admin: Admin;
  let producer: Producer;
  let consumers: Consumer[] = [];

  beforeAll(async () => {
    tb = await startTestBroker({ defaultPartitions: 3 });
    admin = tb.kafka('pc-admin').admin();
    producer = tb.kafka('pc-producer').producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    consumers = [];
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await tb.destroy();
  });

  async function consumeAll(topic: string, expected: number): Promise<Seen[]> {
    const consumer = tb
      .kafka('pc-consumer')
      .consumer({ groupId: uniqueName('pc-group'), maxWaitTimeInMs: 200 });
    consumers.push(consumer);
    const seen: Seen[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }: { partition: number; message: KafkaMessage }) => {
        seen.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: message.headers ?? {},
          timestamp: message.timestamp,
        });
      },
    });
    await waitFor(() => seen.length >= expected, `${expected} messages on ${topic}`);
    return seen;
  }

  function messages(tag: string, timestamp: number) {
    return Array.from({ length: MESSAGES }, (_, i) => ({
      key: `key-${i % 17}`,
      value: `${tag}-value-${i}-${'x'.repeat(i % 50)}`,
      headers: { seq: String(i), tag },
      timestamp: String(timestamp + i),
    }));
  }

  describe.each([
    ['acks=-1', -1],
    ['acks=1', 1],
    ['acks=0', 0],
  ])('%s', (_label, acks) => {
    it.each([
      ['uncompressed', CompressionTypes.None],
      ['gzip', CompressionTypes.GZIP],
    ])(
      'delivers every %s record byte-identical with contiguous offsets',
      async (_name, compression) => {
        const topic = uniqueName(`pc-${acks}-${compression}`);
        await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
        const sent = messages(topic, 1_700_000_000_000);
        // Several sends so each partition gets several batches.
        const results = [];
        for (let i = 0; i < sent.length; i += 50) {
          results.push(
            ...(await producer.send({ topic, acks, compression, messages: sent.slice(i, i + 50) })),
          );
        }
        if (acks === 0)
          expect(results).toEqual([]); // no response at all for acks=0
        else expect(results.every((r) => r.errorCode === 0)).toBe(true);

        const seen = await consumeAll(topic, MESSAGES);
        expect(seen).toHaveLength(MESSAGES);
        const byValue = new Map(seen.map((s) => [s.value, s]));
        for (const m of sent) {
          const got = byValue.get(m.value);
          expect(got).toBeDefined();
          expect(got?.key).toBe(m.key);
          expect(got?.timestamp).toBe(m.timestamp);
          expect(
            Object.fromEntries(Object.entries(got?.headers ?? {}).map(([k, v]) => [k, String(v)])),
          ).toEqual(m.headers);
        }
        for (const partition of [0, 1, 2]) {
          const offsets = seen
            .filter((s) => s.partition === partition)
            .map((s) => Number(s.offset));
          expect(offsets).toEqual(offsets.map((_, i) => i));
        }
        // Messages with the same key land on the same partition, in send order.
        const key0 = seen.filter((s) => s.key === 'key-0');
        expect(new Set(key0.map((s) => s.partition)).size).toBe(1);
        expect(key0.map((s) => Number(s.headers.seq?.toString()))).toEqual(
          sent.filter((m) => m.key === 'key-0').map((m) => Number(m.headers.seq)),
        );
      },
    );
  });

  it('wakes a long-polling consumer as soon as a record is appended', async () => {
    const topic = uniqueName('long-poll');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const consumer = tb
      .kafka('long-poll')
      .consumer({ groupId: uniqueName('lp'), maxWaitTimeInMs: 4_000 });
    consumers.push(consumer);
    const arrivals: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.run({ eachMessage: async () => void arrivals.push(Date.now()) });
    await waitFor(() => joined, 'consumer joined');
    // Once the consumer's fetch is parked, a produce must answer it before max wait (4 s) passes.
    await waitFor(async () => {
      const parked = await tb.broker.metricsRegistry
        .getSingleMetric('kafka_broker_parked_fetches')
        ?.get();
      return (parked?.values[0]?.value ?? 0) >= 1;
    }, 'a parked fetch');
    await producer.send({ topic, messages: [{ value: 'ping' }] });
    await waitFor(() => arrivals.length === 1, 'the record', 3_000);
  });
});
