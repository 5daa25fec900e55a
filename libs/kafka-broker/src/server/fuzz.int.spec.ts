import { Consumer, Producer } from 'kafkajs';

import { ApiKey } from '../protocol/api-keys';
import { kafkajsFrame, kafkajsRequest } from '../testing/kafkajs-protocol';
import { RawKafkaSocket } from '../testing/raw-kafka-socket';
import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(120_000);

const ROUNDS = 240;
const CONCURRENCY = 8;

/** mulberry32: a seeded generator, so a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Acceptance 4: random, truncated and bit-flipped frames and corrupt batches thrown at a running
 * broker, while a well-behaved kafkajs producer and consumer keep working through all of it.
 */
describe('embedded broker: fuzzed frames', () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const steadyTopic = uniqueName('fuzz-steady');
  const fuzzTopic = uniqueName('fuzz-target');
  const steadyGroup = uniqueName('fuzz-group');
  let tb: TestBroker;
  let producer: Producer;
  let consumer: Consumer;
  const received: string[] = [];

  beforeAll(async () => {
    tb = await startTestBroker({ defaultPartitions: 2, maxFrameBytes: 1024 * 1024 });
    const kafka = tb.kafka('fuzz-steady');
    producer = kafka.producer();
    consumer = kafka.consumer({ groupId: steadyGroup, maxWaitTimeInMs: 100 });
    await Promise.all([producer.connect(), consumer.connect()]);
    await consumer.subscribe({ topic: steadyTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void received.push(String(message.value)),
    });
  });

  afterAll(async () => {
    await Promise.all([producer?.disconnect(), consumer?.disconnect()]);
    await tb?.destroy();
  });

  /** Well-formed frames of several APIs, as kafkajs encodes them: the material to mutate. */
  async function validFrames(): Promise<Buffer[]> {
    const messages = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `fuzz-${i}` }));
    return Promise.all([
      kafkajsFrame(
        kafkajsRequest('produce', 3, {
          acks: -1,
          timeout: 1000,
          topicData: [{ topic: fuzzTopic, partitions: [{ partition: 0, messages }] }],
        }),
        1,
      ),
      kafkajsFrame(
        kafkajsRequest('metadata', 4, { topics: [fuzzTopic], allowAutoTopicCreation: true }),
        2,
      ),
      kafkajsFrame(
        kafkajsRequest('fetch', 4, {
          replicaId: -1,
          maxWaitTime: 10,
          minBytes: 1,
          maxBytes: 1024,
          isolationLevel: 1,
          topics: [
            { topic: fuzzTopic, partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1024 }] },
          ],
        }),
        3,
      ),
      kafkajsFrame(
        kafkajsRequest('joinGroup', 2, {
          groupId: uniqueName('fuzz-join'),
          sessionTimeout: 6000,
          rebalanceTimeout: 100,
          memberId: '',
          protocolType: 'consumer',
          groupProtocols: [{ name: 'roundrobin', metadata: Buffer.from([0, 1]) }],
        }),
        4,
      ),
      kafkajsFrame(
        kafkajsRequest('listOffsets', 1, {
          replicaId: -1,
          topics: [{ topic: fuzzTopic, partitions: [{ partition: 0, timestamp: -1 }] }],
        }),
        5,
      ),
      kafkajsFrame(kafkajsRequest('listGroups', 2, {}), 6),
      // The steady group has a member, so its description carries metadata and an assignment.
      kafkajsFrame(kafkajsRequest('describeGroups', 2, { groupIds: [steadyGroup, 'unknown'] }), 7),
    ]);
  }

  /** One hostile client: sends a mutated frame, then waits briefly for an answer or a close. */
  async function attack(frames: Buffer[]): Promise<'answered' | 'closed' | 'silent'> {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    const base = Buffer.from(frames[int(frames.length)]);
    switch (int(4)) {
      case 0: // random bytes, sometimes with a plausible size prefix
        raw.write(Buffer.from(Array.from({ length: 1 + int(600) }, () => int(256))));
        break;
      case 1: // bit flips anywhere in a valid frame (header, lengths, batch, CRC)
        for (let i = 0, n = 1 + int(4); i < n; i++) base[int(base.length)] ^= 1 << int(8);
        raw.frame(base);
        break;
      case 2: // a valid frame cut short, then the client goes away
        raw.write(
          Buffer.concat([Buffer.from([0, 0, base.length >> 8, base.length & 0xff]), base]).subarray(
            0,
            1 + int(base.length + 3),
          ),
        );
        break;
      default: // a frame whose declared size disagrees with its content
        raw.frame(base.subarray(0, 10 + int(Math.max(1, base.length - 10))));
    }
    raw.request(ApiKey.ApiVersions, 0, 99);
    const outcome = await raw.nextResponse(150).then(
      () => 'answered' as const,
      () => (raw.isClosed ? ('closed' as const) : ('silent' as const)),
    );
    raw.destroy();
    return outcome;
  }

  it(`keeps serving a well-behaved client throughout (FUZZ_SEED=${seed})`, async () => {
    const frames = await validFrames();
    let sent = 0;
    let fuzzing = true;
    const steady = (async () => {
      while (fuzzing) {
        await producer.send({
          topic: steadyTopic,
          acks: -1,
          messages: [{ value: `steady-${sent}` }],
        });
        sent++;
      }
    })();
    let round = 0;
    const outcomes = { answered: 0, closed: 0, silent: 0 };
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (round < ROUNDS) {
        round++;
        outcomes[await attack(frames)]++;
      }
    });
    try {
      await Promise.all(workers);
    } finally {
      fuzzing = false;
      await steady;
    }
    // The mutations reach both outcomes: parsed and answered, and rejected with a close.
    expect(outcomes.answered).toBeGreaterThan(0);
    expect(outcomes.closed).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(0);
    await waitFor(
      () => received.length >= sent,
      `the consumer to read all ${sent} steady messages (seed ${seed})`,
    );
    expect(new Set(received)).toEqual(
      new Set(Array.from({ length: sent }, (_, i) => `steady-${i}`)),
    );

    const probe = await RawKafkaSocket.connect(tb.broker.address);
    probe.request(ApiKey.ApiVersions, 0, 7);
    expect((await probe.nextResponse()).correlationId).toBe(7);
    probe.destroy();
  });
});
