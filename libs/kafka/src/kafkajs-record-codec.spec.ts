import { createHash, randomBytes } from 'node:crypto';

/**
 * patches/kafkajs+2.2.4.patch also rewrites kafkajs's per-record encoding, decoding and key
 * hashing, which cost more CPU than the services' own work at a few readings per record: a
 * zero-filled 512-byte encoder per record and per header, an array and a Buffer per varint, Long
 * arithmetic for every record's offset and timestamp and for the partitioner's murmur2, a
 * byte-at-a-time CRC-32C, each record, batch, partition, topic and request encoded into its own
 * buffer and copied into the next, and two native calls (measure, write) per header string.
 * These specs pin the wire format and the partitioning to kafkajs 2.2.4's own output.
 */
const PROTOCOL = 'kafkajs/src/protocol';

interface KafkajsEncoder {
  buffer: Buffer;
  size(): number;
}
interface RecordInput {
  offsetDelta: number;
  timestampDelta: unknown;
  key: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Array<string | Buffer>>;
}
interface DecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

const encodeKafkaRecord = require(`${PROTOCOL}/recordBatch/record/v0`) as (
  input: RecordInput,
) => KafkajsEncoder;
const { RecordBatch } = require(`${PROTOCOL}/recordBatch/v0`) as {
  RecordBatch: (input: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const decodeRecordBatch = require(`${PROTOCOL}/recordBatch/v0/decoder`) as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>;
const Decoder = require(`${PROTOCOL}/decoder`) as new (buffer: Buffer) => unknown;
const crc32C = require(`${PROTOCOL}/recordBatch/crc32C`) as (buffer: Buffer) => number;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: string): unknown };
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: string | Buffer,
) => number;
interface ProduceMessage {
  key: string | Buffer | null;
  value: Buffer | string | null;
  headers?: RecordInput['headers'];
  timestamp?: string;
}
interface ProduceRequest {
  encode(): Promise<KafkajsEncoder>;
}
const produceRequest = require(`${PROTOCOL}/requests/produce/v3/request`) as (input: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  topicData: Array<{
    topic: string;
    partitions: Array<{
      partition: number;
      firstSequence?: number;
      messages: ProduceMessage[];
    }>;
  }>;
}) => ProduceRequest;
const frameRequest = require(`${PROTOCOL}/request`) as (input: {
  correlationId: number;
  clientId: string;
  request: ProduceRequest;
}) => Promise<KafkajsEncoder>;

/** The CRC-32C (Castagnoli) definition, bit by bit: the reference for the table-driven one. */
function referenceCrc32C(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs record codec (patched)', () => {
  it('encodes records byte for byte as kafkajs 2.2.4 does', () => {
    // expected bytes produced by the unpatched kafkajs 2.2.4 for the same inputs
    const cases: Array<[RecordInput, string]> = [
      [
        {
          offsetDelta: 0,
          timestampDelta: 0,
          key: 'acme/boiler-1',
          value: Buffer.from('{"readings":[]}'),
          headers: {
            'sluice-ingest-ts': '1764950000000',
            traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          },
        },
        '8a020000001a61636d652f626f696c65722d311e7b2272656164696e6773223a5b5d7d0420736c756963652d' +
          '696e676573742d74731a31373634393530303030303030167472616365706172656e746e30302d34626639' +
          '326633353737623334646136613363653932396430653065343733362d303066303637616130626139303262' +
          '372d3031',
      ],
      [
        {
          offsetDelta: 300,
          timestampDelta: -70_000,
          key: null,
          value: 'text value é',
          headers: { repeated: ['a', Buffer.from('b')] },
        },
        '5800dfc508d804011a746578742076616c756520c3a90410726570656174656402611072657065617465640262',
      ],
      [
        { offsetDelta: 2, timestampDelta: 2 ** 53 - 1, key: 'k', value: null },
        '1c00feffffffffffff1f04026b0100',
      ],
      [
        {
          offsetDelta: 7,
          timestampDelta: Long.fromValue('9000000000000000000'),
          key: 'k',
          value: Buffer.alloc(200, 1),
        },
        `b203008080a0a89c94b6e6f9010e026b9003${'01'.repeat(200)}00`,
      ],
    ];
    for (const [input, expected] of cases) {
      expect(encodeKafkaRecord(input).buffer.toString('hex')).toBe(expected);
    }
  });

  it('checksums record batches with CRC-32C', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const length of [0, 1, 7, 8, 9, 63, 1000, 65_537]) {
      const buffer = randomBytes(length);
      expect(crc32C(buffer)).toBe(referenceCrc32C(buffer));
    }
  });

  it('decodes each record offset and timestamp exactly, also beyond 2^53', async () => {
    for (const firstOffset of ['0', '1000', '9007199254740990', '9223372036854775000']) {
      const records = [0, 1, 2, 5, 40].map((offsetDelta) =>
        encodeKafkaRecord({
          offsetDelta,
          timestampDelta: offsetDelta === 40 ? 2 ** 50 : -offsetDelta * 1000,
          key: `device-${offsetDelta}`,
          value: Buffer.from(String(offsetDelta)),
          headers: offsetDelta === 1 ? { twice: ['x', 'y'] } : { 'sluice-ingest-ts': '1' },
        }),
      );
      const firstTimestamp = 1_764_950_000_000;
      const batch = await RecordBatch({
        records,
        firstOffset: Long.fromValue(firstOffset),
        firstTimestamp,
        maxTimestamp: firstTimestamp,
        lastOffsetDelta: 40,
      });
      const decoded = (await decodeRecordBatch(new Decoder(batch.buffer))).records;

      expect(decoded.map((record) => record.offset)).toEqual(
        [0n, 1n, 2n, 5n, 40n].map((delta) => String(BigInt(firstOffset) + delta)),
      );
      expect(decoded.map((record) => record.timestamp)).toEqual(
        [0, -1000, -2000, -5000, 2 ** 50].map((delta) => String(firstTimestamp + delta)),
      );
      expect(decoded.map((record) => record.key?.toString())).toEqual(
        ['0', '1', '2', '5', '40'].map((n) => `device-${n}`),
      );
      expect(decoded[1].headers.twice).toEqual([Buffer.from('x'), Buffer.from('y')]);
      expect(decoded[0].headers['sluice-ingest-ts']).toEqual(Buffer.from('1'));
    }
  });

  it('encodes a produce request into one buffer: no zero-filling, no Buffer per record or varint', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => ({
      key: `acme/device-${i}`,
      value: Buffer.from(JSON.stringify({ i })),
      headers: { 'sluice-ingest-ts': String(1_764_950_000_000 + i) },
    }));
    const alloc = jest.spyOn(Buffer, 'alloc');
    const from = jest.spyOn(Buffer, 'from');
    const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      const request = produceRequest({
        acks: -1,
        timeout: 1000,
        topicData: [{ topic: 'telemetry.clean.v1', partitions: [{ partition: 0, messages }] }],
      });
      expect((await request.encode()).size()).toBeGreaterThan(100 * 40);
      expect(alloc).not.toHaveBeenCalled();
      expect(from).not.toHaveBeenCalled();
      expect(allocUnsafe).toHaveBeenCalledTimes(1);
    } finally {
      alloc.mockRestore();
      from.mockRestore();
      allocUnsafe.mockRestore();
    }
  });

  it('frames produce requests byte for byte as kafkajs 2.2.4 does', async () => {
    // Keys, values and headers of every kind (null, string — short ASCII, long, non-ASCII —,
    // Buffer, repeated headers), explicit timestamps out of order, several topics and partitions,
    // one of them a single record.
    const headerVariants = (i: number): Array<ProduceMessage['headers']> => [
      undefined,
      { 'sluice-ingest-ts': String(1_764_950_000_000 + i) },
      { rep: ['a', Buffer.from('bé')], h: 'v' },
      // non-ASCII and long strings take the encoder's general path, short ASCII ones a fast path
      {
        ключ: 'значение é',
        long: 'x'.repeat(100),
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    ];
    const messages = (count: number, seed: string): ProduceMessage[] =>
      Array.from({ length: count }, (_, i) => ({
        key:
          i % 10 === 3
            ? `${'k'.repeat(80)}-${i}`
            : i % 10 === 7
              ? `клавиша-${i}`
              : i % 5 === 0
                ? null
                : i % 2
                  ? `acme/device-${seed}-${i}`
                  : Buffer.from(`bin-${i}`),
        value:
          i % 7 === 0
            ? null
            : i % 3
              ? Buffer.from(JSON.stringify({ seed, i, v: 'x'.repeat(i) }))
              : `text é ${i}`,
        headers: headerVariants(i)[i % 6 === 5 ? 3 : Math.min(i % 4, 2)],
        timestamp: String(1_764_950_000_000 + ((i * 7919) % 1000)),
      }));
    const framed = async (transactional: boolean) => {
      const request = produceRequest({
        acks: -1,
        timeout: 30_000,
        transactionalId: transactional ? 'tx-1' : null,
        producerId: Long.fromValue(transactional ? '12345' : '-1'),
        producerEpoch: transactional ? 3 : 0,
        topicData: [
          {
            topic: 'telemetry.clean.v1',
            partitions: [
              { partition: 0, firstSequence: 0, messages: messages(100, 'a') },
              { partition: 5, firstSequence: 0, messages: messages(1, 'b') },
            ],
          },
          {
            topic: 'tópico',
            partitions: [
              { partition: 3, firstSequence: transactional ? 17 : 0, messages: messages(300, 'c') },
            ],
          },
        ],
      });
      const bytes = (await frameRequest({ correlationId: 42, clientId: 'sluice-bench', request }))
        .buffer;
      return `${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`;
    };
    // length and SHA-256 of the unpatched kafkajs 2.2.4's bytes for the same requests
    expect(await framed(false)).toBe(
      '64994 ef5d57380d95599665ab3593c7d79168bc66f19808c4016180f1a7a92005a068',
    );
    expect(await framed(true)).toBe(
      '64998 a3b72513cd2776d8d27be62fdebf48391020b06aeca56bbca1d8cf1f7749fc0e',
    );
  });

  it("partitions keys by the Java client's murmur2 without a Buffer per short key", () => {
    // values of the unpatched kafkajs 2.2.4 (and of the Java client's Utils.murmur2)
    const expected: Array<[string | Buffer, number]> = [
      ['', 275_646_681],
      ['21', -973_932_308],
      ['demo/bench-1', -1_211_409_282],
      ['acme/boiler-17', 1_861_726_732],
      ['é/ü', -251_089_149],
      ['x'.repeat(300), 403_018_756],
      [Buffer.from([0, 1, 2, 3, 255, 254, 253]), 1_865_005_252],
    ];
    const from = jest.spyOn(Buffer, 'from');
    try {
      for (const [key, hash] of expected.slice(0, 5)) expect(murmur2(key)).toBe(hash);
      expect(from).not.toHaveBeenCalled();
    } finally {
      from.mockRestore();
    }
    for (const [key, hash] of expected.slice(5)) expect(murmur2(key)).toBe(hash);
  });
});
