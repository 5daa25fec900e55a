import { Admin, AssignerProtocol, Consumer, Producer } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(60_000);

interface Joined {
  memberId: string;
  memberAssignment: Record<string, number[]>;
  /** The broker's generation when this member's join+sync completed. */
  generationId: number;
}

describe('embedded broker: ListGroups and DescribeGroups with the kafkajs admin', () => {
  let tb: TestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    tb = await startTestBroker();
    admin = tb.kafka('introspection-admin').admin();
    producer = tb.kafka('introspection-producer').producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await tb?.destroy();
  });

  /** A consumer of `topic` in `groupId` that records its last join (after SyncGroup). */
  async function startConsumer(
    name: string,
    groupId: string,
    topic: string,
    joins: Map<string, Joined>,
    onMessage: (value: string) => void = () => undefined,
  ): Promise<Consumer> {
    const consumer = tb.kafka(name).consumer({
      groupId,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      joins.set(name, {
        memberId: payload.memberId,
        memberAssignment: payload.memberAssignment,
        generationId: tb.broker.describeGroup(groupId)?.generationId ?? -1,
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => onMessage(String(message.value)) });
    return consumer;
  }

  it('describes a group of two running consumers: Stable, members, subscriptions and assignments', async () => {
    const topic = uniqueName('intro-topic');
    const groupId = uniqueName('intro-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const joins = new Map<string, Joined>();
    const consumers = await Promise.all(
      ['intro-a', 'intro-b'].map((name) => startConsumer(name, groupId, topic, joins)),
    );
    try {
      await waitFor(() => {
        const g = tb.broker.describeGroup(groupId);
        return (
          g?.state === 'Stable' &&
          g.members.length === 2 &&
          joins.size === 2 &&
          [...joins.values()].every((j) => j.generationId === g.generationId)
        );
      }, 'both consumers in the same stable generation');

      const { groups: listed } = await admin.listGroups();
      expect(listed).toContainEqual({ groupId, protocolType: 'consumer' });

      const { groups } = await admin.describeGroups([groupId]);
      expect(groups).toHaveLength(1);
      const [described] = groups;
      expect(described).toMatchObject({
        errorCode: 0,
        groupId,
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'RoundRobinAssigner',
      });
      expect(described.members.map((m) => m.clientId).sort()).toEqual(['intro-a', 'intro-b']);
      const assigned: number[] = [];
      for (const member of described.members) {
        const joined = joins.get(member.clientId)!;
        expect(member.memberId).toBe(joined.memberId);
        expect(member.clientHost).toBe('/127.0.0.1');
        expect(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)).toMatchObject({
          topics: [topic],
        });
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        expect(assignment?.assignment).toEqual(joined.memberAssignment);
        assigned.push(...(assignment?.assignment[topic] ?? []));
      }
      expect(assigned.sort()).toEqual([0, 1, 2, 3]);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  });

  it('lists and describes a group whose members left as Empty, also when only its committed offsets survive a restart', async () => {
    const topic = uniqueName('intro-committed');
    const groupId = uniqueName('intro-empty');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    const received: string[] = [];
    const consumer = await startConsumer(
      'intro-committer',
      groupId,
      topic,
      new Map(),
      (value) => void received.push(value),
    );
    try {
      await waitFor(async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return committed.partitions[0].offset === '2';
      }, 'the consumer to commit both messages');
    } finally {
      await consumer.disconnect();
    }
    expect(received).toEqual(['a', 'b']);

    const expectEmpty = async (): Promise<void> => {
      const { groups: listed } = await admin.listGroups();
      expect(listed).toContainEqual({ groupId, protocolType: 'consumer' });
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups).toEqual([
        {
          errorCode: 0,
          groupId,
          state: 'Empty',
          protocolType: 'consumer',
          protocol: '',
          members: [],
        },
      ]);
    };
    expect(tb.broker.describeGroup(groupId)?.state).toBe('Empty');
    await expectEmpty();

    await admin.disconnect();
    await tb.restart();
    admin = tb.kafka('introspection-admin').admin();
    await admin.connect();
    expect(tb.broker.describeGroup(groupId)).toBeUndefined();
    await expectEmpty();
  });

  it('describes an unknown group as Dead, with no members and no error (as Kafka does)', async () => {
    const groupId = uniqueName('intro-unknown');
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups).toEqual([
      { errorCode: 0, groupId, state: 'Dead', protocolType: '', protocol: '', members: [] },
    ]);
    const { groups: listed } = await admin.listGroups();
    expect(listed.map((g) => g.groupId)).not.toContain(groupId);
  });
});
