import { Admin, Producer } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName } from '../testing/test-broker';

describe('embedded broker: kafkajs admin', () => {
  let tb: TestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    tb = await startTestBroker({ defaultPartitions: 4 });
    admin = tb.kafka('admin-test').admin();
    producer = tb.kafka('admin-test-producer').producer({ allowAutoTopicCreation: false });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await tb.destroy();
  });

  it('creates topics with the requested partition count, and the default for -1', async () => {
    const three = uniqueName('three');
    const dflt = uniqueName('default');
    expect(
      await admin.createTopics({
        topics: [{ topic: three, numPartitions: 3 }, { topic: dflt }],
        waitForLeaders: true,
      }),
    ).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([three, dflt]));
    const { topics } = await admin.fetchTopicMetadata({ topics: [three, dflt] });
    const byName = Object.fromEntries(topics.map((t) => [t.name, t.partitions]));
    expect(byName[three].map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(byName[dflt]).toHaveLength(4);
    expect(byName[three][0]).toMatchObject({
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    });
  });

  it('reports an existing topic (36) as "not created" and an invalid name (17) as an error', async () => {
    const topic = uniqueName('exists');
    await admin.createTopics({ topics: [{ topic }] });
    expect(await admin.createTopics({ topics: [{ topic }] })).toBe(false);
    await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
    });
  });

  it('rejects replication factors a single node cannot honour (38)', async () => {
    await expect(
      admin.createTopics({ topics: [{ topic: uniqueName('replicated'), replicationFactor: 3 }] }),
    ).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
  });

  it('lists offsets (earliest, latest, by timestamp) after producing', async () => {
    const topic = uniqueName('offsets');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const before = Date.now();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 5 }, (_, i) => ({
        partition: 1,
        value: `v${i}`,
        timestamp: String(before + i),
      })),
    });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
      expect.objectContaining({ partition: 0, low: '0', high: '0' }),
      expect.objectContaining({ partition: 1, low: '0', high: '5' }),
    ]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, before);
    expect(byTime.find((p) => p.partition === 1)?.offset).toBe('0');
  });

  it('fetches committed offsets: -1 for a group that never committed', async () => {
    const topic = uniqueName('uncommitted');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const [result] = await admin.fetchOffsets({ groupId: uniqueName('nobody'), topics: [topic] });
    expect(result.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
  });

  it('deletes topics', async () => {
    const topic = uniqueName('doomed');
    await admin.createTopics({ topics: [{ topic }] });
    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
    await expect(admin.deleteTopics({ topics: [uniqueName('never-existed')] })).rejects.toThrow(
      /does not host this topic-partition/,
    );
  });

  it('answers 3 for an unknown topic when the client disables auto-creation', async () => {
    await expect(
      producer.send({ topic: uniqueName('absent'), messages: [{ value: 'x' }] }),
    ).rejects.toThrow(/does not host this topic-partition|unknown topic/i);
  });

  it('auto-creates unknown topics with the default partition count', async () => {
    const topic = uniqueName('auto');
    const autoProducer = tb.kafka('auto').producer();
    await autoProducer.connect();
    await autoProducer.send({ topic, messages: [{ value: 'x' }] });
    await autoProducer.disconnect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0].partitions).toHaveLength(4);
  });
});
