import { CompressionTypes } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(60_000);

describe('embedded broker: restart on the same data dir', () => {
  let tb: TestBroker;

  beforeAll(async () => {
    tb = await startTestBroker({ defaultPartitions: 3 });
  });

  afterAll(() => tb.destroy());

  it('keeps every acknowledged record and every committed offset', async () => {
    const topic = uniqueName('durable');
    const groupId = uniqueName('durable-group');
    const acked: string[] = [];

    // Before the restart: produce (plain and gzip), and let a group consume and commit part of it.
    const kafka = tb.kafka('before-restart');
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      const values = Array.from({ length: 30 }, (_, j) => `batch${i}-${j}`);
      const compression = i % 2 === 0 ? CompressionTypes.None : CompressionTypes.GZIP;
      await producer.send({
        topic,
        acks: -1,
        compression,
        messages: values.map((value) => ({ value })),
      });
      acked.push(...values);
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    const consumedBefore: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void consumedBefore.push(message.value!.toString()),
    });
    await waitFor(() => consumedBefore.length === acked.length, 'the group to consume everything');
    await consumer.disconnect(); // commits on the way out
    const admin = kafka.admin();
    await admin.connect();
    const [committedBefore] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const endsBefore = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(committedBefore.partitions.map((p) => p.offset).sort()).toEqual(
      endsBefore.map((e) => e.high).sort(),
    );

    await tb.restart();

    // After: same topics, same offsets, same records, same commits.
    const after = tb.kafka('after-restart');
    const adminAfter = after.admin();
    await adminAfter.connect();
    expect(await adminAfter.listTopics()).toContain(topic);
    const endsAfter = await adminAfter.fetchTopicOffsets(topic);
    expect(endsAfter.map((e) => [e.partition, e.high]).sort()).toEqual(
      endsBefore.map((e) => [e.partition, e.high]).sort(),
    );
    const [committedAfter] = await adminAfter.fetchOffsets({ groupId, topics: [topic] });
    expect(committedAfter.partitions.sort((a, b) => a.partition - b.partition)).toEqual(
      committedBefore.partitions.sort((a, b) => a.partition - b.partition),
    );
    await adminAfter.disconnect();

    const reader = after.consumer({ groupId: uniqueName('reread'), maxWaitTimeInMs: 200 });
    const reread: Array<{ partition: number; offset: number; value: string }> = [];
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ partition, message }) =>
        void reread.push({
          partition,
          offset: Number(message.offset),
          value: message.value!.toString(),
        }),
    });
    await waitFor(() => reread.length >= acked.length, 'every record re-read');
    await reader.disconnect();
    expect(reread.map((r) => r.value).sort()).toEqual([...acked].sort());
    for (const partition of [0, 1, 2]) {
      const offsets = reread.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }

    // The original group resumes at its commits: it sees only what is produced after the restart.
    const producerAfter = after.producer();
    await producerAfter.connect();
    await producerAfter.send({ topic, acks: -1, messages: [{ value: 'after-restart' }] });
    await producerAfter.disconnect();
    const resumed = after.consumer({ groupId, maxWaitTimeInMs: 200 });
    const resumedValues: string[] = [];
    await resumed.connect();
    await resumed.subscribe({ topic, fromBeginning: true });
    await resumed.run({
      eachMessage: async ({ message }) => void resumedValues.push(message.value!.toString()),
    });
    await waitFor(() => resumedValues.length >= 1, 'the post-restart record');
    await resumed.disconnect();
    expect(resumedValues).toEqual(['after-restart']);
  });
});
