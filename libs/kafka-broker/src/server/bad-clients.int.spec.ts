import { randomBytes } from 'node:crypto';

import { Consumer, Producer } from 'kafkajs';

import { ApiKey, SUPPORTED_APIS } from '../protocol/api-keys';
import { decodeProduceRequest } from '../protocol/apis/produce.codec';
import { ByteReader } from '../protocol/byte-reader';
import { decodeRequestHeader } from '../protocol/request-header.codec';
import { kafkajsDecodeResponse, kafkajsFrame, kafkajsRequest } from '../testing/kafkajs-protocol';
import { RawKafkaSocket } from '../testing/raw-kafka-socket';
import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(60_000);

function decodeApiVersionsV0(body: Buffer): { errorCode: number; apis: number[][] } {
  const r = new ByteReader(body, 'ApiVersions response');
  const errorCode = r.int16('error_code');
  const apis = r.array('api_keys', (r) => [r.int16('key'), r.int16('min'), r.int16('max')]);
  return { errorCode, apis };
}

type ProduceResult = {
  topics: Array<{ partitions: Array<{ errorCode: number; baseOffset: string }> }>;
};

describe('embedded broker: misbehaving clients', () => {
  let tb: TestBroker;
  let producer: Producer;
  let consumer: Consumer;
  const topic = uniqueName('steady');
  const received: string[] = [];
  let sequence = 0;

  /** A well-behaved producer → consumer round trip: proves other clients were not disturbed. */
  async function wellBehavedRoundTrip(): Promise<void> {
    const value = `steady-${++sequence}`;
    await producer.send({ topic, acks: -1, messages: [{ value }] });
    await waitFor(() => received.includes(value), `well-behaved consumer to receive ${value}`);
  }

  async function openConnections(): Promise<number> {
    const metric = await tb.broker.metricsRegistry
      .getSingleMetric('kafka_broker_open_connections')
      ?.get();
    return metric?.values[0]?.value ?? 0;
  }

  async function produceFrame(correlationId: number, acks: number, partition = 0): Promise<Buffer> {
    return kafkajsFrame(
      kafkajsRequest('produce', 3, {
        acks,
        timeout: 1000,
        topicData: [
          { topic, partitions: [{ partition, messages: [{ value: `raw-${correlationId}` }] }] },
        ],
      }),
      correlationId,
    );
  }

  beforeAll(async () => {
    tb = await startTestBroker({ defaultPartitions: 1, maxFrameBytes: 1024 * 1024 });
    const kafka = tb.kafka('steady');
    producer = kafka.producer();
    consumer = kafka.consumer({ groupId: uniqueName('steady-group'), maxWaitTimeInMs: 100 });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void received.push(message.value!.toString()),
    });
    await wellBehavedRoundTrip();
  });

  afterAll(async () => {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
    await tb.destroy();
  });

  afterEach(() => wellBehavedRoundTrip());

  it('answers ApiVersions above v0 with error 35 in the v0 layout and keeps the connection open', async () => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    raw.request(ApiKey.ApiVersions, 3, 1);
    const refused = await raw.nextResponse();
    expect(refused.correlationId).toBe(1);
    expect(decodeApiVersionsV0(refused.body).errorCode).toBe(35);
    raw.request(ApiKey.ApiVersions, 0, 2);
    const accepted = await raw.nextResponse();
    expect(accepted.correlationId).toBe(2);
    const { errorCode, apis } = decodeApiVersionsV0(accepted.body);
    expect(errorCode).toBe(0);
    expect(apis).toHaveLength(SUPPORTED_APIS.length);
    expect(raw.isClosed).toBe(false);
    raw.destroy();
  });

  it.each([
    ['an unknown api key', (raw: RawKafkaSocket) => raw.request(999, 0, 1)],
    [
      'an unsupported version of a known api',
      (raw: RawKafkaSocket) => raw.request(ApiKey.Metadata, 9, 1),
    ],
    [
      'a body shorter than its fields (array count without items)',
      (raw: RawKafkaSocket) => raw.request(ApiKey.Metadata, 1, 1, Buffer.from([0, 0, 0, 5])),
    ],
    [
      'a ListGroups request with a body (v0-2 have none)',
      (raw: RawKafkaSocket) => raw.request(ApiKey.ListGroups, 2, 1, Buffer.from([0, 0, 0, 0])),
    ],
    [
      'a DescribeGroups request whose group id runs past the frame',
      (raw: RawKafkaSocket) =>
        raw.request(ApiKey.DescribeGroups, 1, 1, Buffer.from([0, 0, 0, 1, 0, 9, 0x61])),
    ],
    [
      'DescribeGroups v3 (include_authorized_operations is not supported)',
      (raw: RawKafkaSocket) =>
        raw.request(ApiKey.DescribeGroups, 3, 1, Buffer.from([0, 0, 0, 0, 0])),
    ],
    [
      'a frame too short to hold a header',
      (raw: RawKafkaSocket) => raw.frame(Buffer.from([0, 3, 0])),
    ],
    [
      'a frame larger than maxFrameBytes',
      (raw: RawKafkaSocket) => raw.write(Buffer.from([0x0c, 0, 0, 0, 1, 2, 3])),
    ],
    [
      'a negative frame size',
      (raw: RawKafkaSocket) => raw.write(Buffer.from([0xff, 0xff, 0xff, 0xfe])),
    ],
    ['random bytes', (raw: RawKafkaSocket) => raw.write(randomBytes(4096))],
  ])('closes only the connection that sent %s', async (_name, misbehave) => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    misbehave(raw);
    expect(await raw.closedWithin(5_000)).toBe(true);
  });

  it('forgets a truncated frame when its client goes away', async () => {
    const before = await openConnections();
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    await waitFor(
      async () => (await openConnections()) === before + 1,
      'the raw connection counted',
    );
    raw.write(Buffer.concat([Buffer.from([0, 0, 0, 100]), randomBytes(10)]));
    raw.end();
    await waitFor(async () => (await openConnections()) === before, 'the raw connection released');
  });

  it('answers a corrupt record batch with CORRUPT_MESSAGE (2) and keeps serving the connection', async () => {
    const frame = await produceFrame(7, -1);
    const records = decodeProduceRequest(decodeRequestHeader(frame).body).topics[0].partitions[0]
      .records!;
    records[records.length - 1] ^= 0xff; // inside the CRC-32C range
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    raw.frame(frame);
    const res = await raw.nextResponse();
    const decoded = await kafkajsDecodeResponse<ProduceResult>('produce', 3, res.body);
    expect(decoded.topics[0].partitions[0].errorCode).toBe(2);
    raw.request(ApiKey.ApiVersions, 0, 8);
    expect((await raw.nextResponse()).correlationId).toBe(8);
    raw.destroy();
  });

  it('answers a produce to an unknown partition with UNKNOWN_TOPIC_OR_PARTITION (3)', async () => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    raw.frame(await produceFrame(3, 1, 99));
    const decoded = await kafkajsDecodeResponse<ProduceResult>(
      'produce',
      3,
      (await raw.nextResponse()).body,
    );
    expect(decoded.topics[0].partitions[0].errorCode).toBe(3);
    raw.destroy();
  });

  it('sends nothing for acks=0 and answers the next request normally', async () => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    raw.frame(await produceFrame(5, 0));
    raw.request(ApiKey.ApiVersions, 0, 6);
    expect((await raw.nextResponse()).correlationId).toBe(6);
    await waitFor(() => received.includes('raw-5'), 'the acks=0 record to be stored');
    raw.destroy();
  });

  it('answers pipelined requests in order even when the first one is parked', async () => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    const offsets = await kafkajsFrame(
      kafkajsRequest('listOffsets', 1, {
        replicaId: -1,
        topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }],
      }),
      20,
    );
    raw.frame(offsets);
    const end = await kafkajsDecodeResponse<{
      responses: Array<{ partitions: Array<{ offset: string }> }>;
    }>('listOffsets', 1, (await raw.nextResponse()).body);
    const fetch = kafkajsRequest('fetch', 4, {
      replicaId: -1,
      maxWaitTime: 20_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [
        {
          topic,
          partitions: [
            { partition: 0, fetchOffset: end.responses[0].partitions[0].offset, maxBytes: 1 << 20 },
          ],
        },
      ],
    });
    raw.frame(await kafkajsFrame(fetch, 21));
    raw.request(ApiKey.ApiVersions, 0, 22);
    await waitFor(async () => {
      const parked = await tb.broker.metricsRegistry
        .getSingleMetric('kafka_broker_parked_fetches')
        ?.get();
      return (parked?.values[0]?.value ?? 0) >= 2; // the steady consumer's and ours
    }, 'our fetch to park');
    await producer.send({ topic, messages: [{ value: 'wake-up' }] });
    const first = await raw.nextResponse();
    const second = await raw.nextResponse();
    expect([first.correlationId, second.correlationId]).toEqual([21, 22]);
    const fetched = await kafkajsDecodeResponse<{
      responses: Array<{ partitions: Array<{ messages: Array<{ value: Buffer }> }> }>;
    }>('fetch', 4, first.body);
    expect(fetched.responses[0].partitions[0].messages.map((m) => m.value.toString())).toContain(
      'wake-up',
    );
    raw.destroy();
  });

  it('answers a fetch beyond the log end with OFFSET_OUT_OF_RANGE (1)', async () => {
    const raw = await RawKafkaSocket.connect(tb.broker.address);
    const fetch = kafkajsRequest('fetch', 4, {
      replicaId: -1,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [
        { topic, partitions: [{ partition: 0, fetchOffset: '1000000', maxBytes: 1 << 20 }] },
      ],
    });
    raw.frame(await kafkajsFrame(fetch, 30));
    const decoded = await kafkajsDecodeResponse<{
      responses: Array<{ partitions: Array<{ errorCode: number }> }>;
    }>('fetch', 4, (await raw.nextResponse()).body);
    expect(decoded.responses[0].partitions[0].errorCode).toBe(1);
    raw.destroy();
  });
});
