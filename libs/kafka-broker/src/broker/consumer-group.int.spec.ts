import { Admin, Consumer, EachBatchPayload, Producer } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(90_000);

const PARTITIONS = 6;

interface Processed {
  consumer: string;
  generation: number;
  partition: number;
  value: string;
}

describe('embedded broker: consumer groups with kafkajs', () => {
  let tb: TestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    tb = await startTestBroker();
    admin = tb.kafka('group-admin').admin();
    producer = tb.kafka('group-producer').producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await tb.destroy();
  });

  it('rebalances on join and leave without losing a record or sharing a partition within a generation', async () => {
    const topic = uniqueName('group-topic');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });

    const processed: Processed[] = [];
    const consumers = new Map<string, Consumer>();
    const generationOf = new Map<string, number>();

    /** Starts a consumer that records, per batch, the generation it believed it was in. */
    async function startConsumer(name: string): Promise<void> {
      const consumer = tb.kafka(name).consumer({
        groupId,
        sessionTimeout: 6_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 200,
      });
      consumers.set(name, consumer);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        // GROUP_JOIN fires after SyncGroup: the broker's current generation is this member's.
        generationOf.set(name, tb.broker.describeGroup(groupId)?.generationId ?? -1);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({
          batch,
          resolveOffset,
          heartbeat,
          commitOffsetsIfNecessary,
        }: EachBatchPayload) => {
          const generation = generationOf.get(name) ?? -1;
          for (const message of batch.messages) {
            processed.push({
              consumer: name,
              generation,
              partition: batch.partition,
              value: message.value!.toString(),
            });
            resolveOffset(message.offset);
          }
          await commitOffsetsIfNecessary();
          await heartbeat();
        },
      });
    }

    const stableWith = (members: number) => () => {
      const g = tb.broker.describeGroup(groupId);
      return (
        g?.state === 'Stable' &&
        g.members.length === members &&
        [...consumers.keys()].every((n) => generationOf.get(n) === g.generationId)
      );
    };

    // Produce continuously while the group changes shape.
    const sent: string[] = [];
    let producing = true;
    const producerLoop = (async () => {
      for (let round = 0; producing; round++) {
        const batch = Array.from({ length: 20 }, (_, i) => `r${round}-m${i}`);
        await producer.send({
          topic,
          acks: -1,
          messages: batch.map((value, i) => ({ key: `k${i}`, value })),
        });
        sent.push(...batch);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await Promise.all([startConsumer('c1'), startConsumer('c2')]);
    await waitFor(stableWith(2), 'a stable group of two');
    const twoMembers = tb.broker.describeGroup(groupId)!;
    await waitFor(
      () =>
        new Set(
          processed.filter((p) => p.generation === twoMembers.generationId).map((p) => p.consumer),
        ).size === 2,
      'both consumers processing',
    );

    await startConsumer('c3');
    await waitFor(stableWith(3), 'a stable group of three');
    const threeMembers = tb.broker.describeGroup(groupId)!;
    expect(threeMembers.generationId).toBeGreaterThan(twoMembers.generationId);
    await waitFor(
      () => processed.some((p) => p.consumer === 'c3'),
      'the third consumer processing',
    );

    await consumers.get('c1')!.disconnect();
    consumers.delete('c1');
    await waitFor(stableWith(2), 'a stable group of two after c1 left');
    expect(tb.broker.describeGroup(groupId)!.generationId).toBeGreaterThan(
      threeMembers.generationId,
    );

    producing = false;
    await producerLoop;
    const seen = new Set(processed.map((p) => p.value));
    await waitFor(() => {
      for (const p of processed) seen.add(p.value);
      return sent.every((v) => seen.has(v));
    }, 'every acknowledged record consumed');

    // No record lost.
    expect(sent.filter((v) => !seen.has(v))).toEqual([]);
    // Within one generation, a partition is processed by one member only.
    const owners = new Map<string, Set<string>>();
    for (const p of processed) {
      const key = `${p.generation}/${p.partition}`;
      owners.set(key, (owners.get(key) ?? new Set()).add(p.consumer));
    }
    const shared = [...owners]
      .filter(([, who]) => who.size > 1)
      .map(([key, who]) => `${key}: ${[...who].join(',')}`);
    expect(shared).toEqual([]);
    expect(processed.every((p) => p.generation > 0)).toBe(true);

    // Committed offsets reach the end of every partition once the consumers are done.
    await Promise.all([...consumers.values()].map((c) => c.disconnect()));
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedBy = new Map(committed.partitions.map((p) => [p.partition, p.offset]));
    for (const end of ends) expect(committedBy.get(end.partition)).toBe(end.high);

    const rebalances = await tb.broker.metricsRegistry
      .getSingleMetric('kafka_broker_group_rebalances_total')
      ?.get();
    const forGroup = rebalances?.values.find((v) => v.labels.group === groupId)?.value ?? 0;
    expect(forGroup).toBeGreaterThanOrEqual(3);
  });

  it('lets a restarted consumer resume from the committed offsets', async () => {
    const topic = uniqueName('resume');
    const groupId = uniqueName('resume-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `first-${i}` })),
    });

    const runOnce = async (expected: number): Promise<string[]> => {
      const values: string[] = [];
      const consumer = tb.kafka('resume').consumer({ groupId, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void values.push(message.value!.toString()),
      });
      await waitFor(() => values.length >= expected, `${expected} records`);
      await consumer.disconnect();
      return values;
    };

    expect((await runOnce(10)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `first-${i}`).sort(),
    );
    await producer.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `second-${i}` })),
    });
    expect((await runOnce(5)).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `second-${i}`).sort(),
    );
  });
});
