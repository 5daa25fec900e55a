import { Admin } from 'kafkajs';

import { kafkajsDecodeResponse, kafkajsFrame, kafkajsRequest } from '../testing/kafkajs-protocol';
import { RawKafkaSocket } from '../testing/raw-kafka-socket';
import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(30_000);

describe('embedded broker: retention', () => {
  let tb: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    // segments and committed offsets are both checked on the retention timer
    tb = await startTestBroker({ retentionCheckIntervalMs: 100, offsetsRetentionMs: 1_000 });
    admin = tb.kafka('retention').admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await tb.destroy();
  });

  it('deletes expired segments on its timer and then honours the new log start offset', async () => {
    const topic = uniqueName('expiring');
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'retention.ms', value: '60000' },
            { name: 'segment.bytes', value: '2048' },
          ],
        },
      ],
    });
    const producer = tb.kafka('retention-producer').producer();
    await producer.connect();
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 10; i++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, j) => ({
          value: 'x'.repeat(100),
          timestamp: String(hourAgo + i * 10 + j),
        })),
      });
    }
    await producer.send({ topic, messages: [{ value: 'fresh' }] });
    await producer.disconnect();

    let low = 0;
    await waitFor(async () => {
      const [offsets] = await admin.fetchTopicOffsets(topic);
      low = Number(offsets.low);
      return low > 0;
    }, 'retention to advance the log start offset');

    // Fetching below the log start is OFFSET_OUT_OF_RANGE; from the log start it returns data.
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    const fetchAt = async (offset: number, correlationId: number) => {
      const request = kafkajsRequest('fetch', 4, {
        replicaId: -1,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        topics: [
          { topic, partitions: [{ partition: 0, fetchOffset: String(offset), maxBytes: 1 << 20 }] },
        ],
      });
      raw.frame(await kafkajsFrame(request, correlationId));
      const response = await raw.nextResponse();
      const decoded = await kafkajsDecodeResponse<{
        responses: Array<{
          partitions: Array<{ errorCode: number; messages: Array<{ offset: string }> }>;
        }>;
      }>('fetch', 4, response.body);
      return decoded.responses[0].partitions[0];
    };
    expect((await fetchAt(0, 1)).errorCode).toBe(1);
    const atStart = await fetchAt(low, 2);
    expect(atStart.errorCode).toBe(0);
    expect(Number(atStart.messages[0].offset)).toBe(low);
    raw.destroy();
  });

  it('expires a group without members a retention period after its last commit, and keeps one with members', async () => {
    const topic = uniqueName('offsets-retention');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = tb.kafka('offsets-retention-producer').producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();

    const [idle, active] = [uniqueName('idle-group'), uniqueName('active-group')];
    const consumers = [idle, active].map((groupId) =>
      tb.kafka(groupId).consumer({ groupId, heartbeatInterval: 200, maxWaitTimeInMs: 100 }),
    );
    for (const consumer of consumers) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    }
    const committed = async (groupId: string): Promise<string> =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset;
    try {
      await waitFor(
        async () => (await committed(idle)) === '2' && (await committed(active)) === '2',
        'both groups to commit both messages',
      );
      await consumers[0].disconnect();

      await waitFor(
        async () => !(await admin.listGroups()).groups.some((g) => g.groupId === idle),
        'the idle group to expire',
      );
      expect(await committed(idle)).toBe('-1');
      // the active group's last commit is as old, but it has a member
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(active);
      expect(await committed(active)).toBe('2');
    } finally {
      await consumers[0].disconnect();
      await consumers[1].disconnect();
    }
  });
});
