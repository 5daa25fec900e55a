import { kafkajsDecodeResponse, kafkajsFrame, kafkajsRequest } from '../testing/kafkajs-protocol';
import { ApiKey, SUPPORTED_APIS } from './api-keys';
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from './apis/api-versions.codec';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './apis/create-topics.codec';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './apis/delete-topics.codec';
import {
  decodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
} from './apis/describe-groups.codec';
import { decodeFetchRequest, encodeFetchResponse } from './apis/fetch.codec';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
} from './apis/find-coordinator.codec';
import { decodeHeartbeatRequest, encodeErrorOnlyResponse } from './apis/heartbeat.codec';
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './apis/join-group.codec';
import { decodeLeaveGroupRequest } from './apis/leave-group.codec';
import { decodeListGroupsRequest, encodeListGroupsResponse } from './apis/list-groups.codec';
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from './apis/list-offsets.codec';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  MetadataResponse,
} from './apis/metadata.codec';
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './apis/offset-commit.codec';
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './apis/offset-fetch.codec';
import { decodeProduceRequest, encodeProduceResponse } from './apis/produce.codec';
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from './apis/sync-group.codec';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { MalformedRequestError } from './protocol.errors';
import { decodeRequestHeader } from './request-header.codec';

/** Encodes a request with kafkajs and returns our decoded header plus a reader on the body. */
async function viaKafkajs(
  api: string,
  version: number,
  args: object = {},
): Promise<ReturnType<typeof decodeRequestHeader>> {
  return decodeRequestHeader(await kafkajsFrame(kafkajsRequest(api, version, args)));
}

function encoded(write: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter();
  write(w);
  return w.toBuffer();
}

/** A real magic-2 record batch, as kafkajs's producer builds it. */
async function kafkajsRecordBatch(
  messages: Array<{ key: string; value: string }>,
): Promise<Buffer> {
  const { body } = await viaKafkajs('produce', 3, {
    acks: 1,
    timeout: 1000,
    topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
  });
  return decodeProduceRequest(body).topics[0].partitions[0].records!;
}

describe('request header', () => {
  it('decodes api key, version, correlation id and client id as kafkajs sends them', async () => {
    const { header, body } = await viaKafkajs('apiVersions', 0);
    expect(header).toEqual({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      correlationId: 42,
      clientId: 'codec-test',
    });
    expect(decodeApiVersionsRequest(body)).toEqual({});
  });

  it('throws MalformedRequestError naming the field for a truncated header', () => {
    const frame = Buffer.from([0, 3, 0, 1, 0, 0]);
    expect(() => decodeRequestHeader(frame)).toThrow(MalformedRequestError);
    expect(() => decodeRequestHeader(frame)).toThrow(/correlation_id/);
  });
});

describe('ByteReader bounds', () => {
  const reader = (bytes: number[]): ByteReader => new ByteReader(Buffer.from(bytes), 'test');

  it.each([
    ['a string longer than the frame', (r: ByteReader) => r.string('s'), [0, 10, 65]],
    ['a negative string length', (r: ByteReader) => r.string('s'), [0xff, 0xfe]],
    ['a null non-nullable string', (r: ByteReader) => r.string('s'), [0xff, 0xff]],
    ['bytes longer than the frame', (r: ByteReader) => r.bytes('b'), [0, 0, 0, 9, 1]],
    [
      'an array count larger than the bytes left',
      (r: ByteReader) => r.array('a', (x) => x.int8('i')),
      [0x7f, 0, 0, 0],
    ],
    [
      'a negative array count',
      (r: ByteReader) => r.array('a', (x) => x.int8('i')),
      [0xff, 0xff, 0xff, 0xf0],
    ],
    ['a boolean other than 0/1', (r: ByteReader) => r.bool('flag'), [2]],
    ['an int64 cut short', (r: ByteReader) => r.int64('n'), [0, 0, 0]],
  ])('rejects %s', (_name, read, bytes) => {
    expect(() => read(reader(bytes))).toThrow(MalformedRequestError);
  });

  it('rejects trailing bytes after a complete request body', () => {
    const r = reader([0, 0, 0, 0, 1]);
    expect(() => decodeDeleteTopicsRequest(r)).toThrow(MalformedRequestError);
  });

  it('returns null for nullable fields with length -1', () => {
    const r = reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(r.nullableString('s')).toBeNull();
    expect(r.nullableBytes('b')).toBeNull();
    expect(r.nullableArray('a', (x) => x.int8('i'))).toBeNull();
  });
});

describe('ApiVersions v0', () => {
  it('is decoded by kafkajs with exactly the advertised ranges', async () => {
    const res = await kafkajsDecodeResponse<{ errorCode: number; apiVersions: unknown[] }>(
      'apiVersions',
      0,
      encoded((w) => encodeApiVersionsResponse(w, { errorCode: 0, apiKeys: SUPPORTED_APIS })),
    );
    expect(res.errorCode).toBe(0);
    expect(res.apiVersions).toEqual(
      SUPPORTED_APIS.map((a) => ({
        apiKey: a.apiKey,
        minVersion: a.minVersion,
        maxVersion: a.maxVersion,
      })),
    );
  });

  it('advertises exactly the ranges of the issue table', () => {
    const table = Object.fromEntries(
      SUPPORTED_APIS.map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]),
    );
    expect(table).toEqual({
      18: [0, 0],
      3: [0, 4],
      0: [3, 3],
      1: [4, 4],
      2: [1, 1],
      10: [0, 0],
      11: [0, 2],
      14: [0, 1],
      15: [0, 2],
      16: [0, 2],
      12: [0, 1],
      13: [0, 1],
      8: [2, 2],
      9: [1, 1],
      19: [0, 0],
      20: [0, 0],
    });
  });
});

describe('Metadata v0-4', () => {
  const response: MetadataResponse = {
    brokers: [{ nodeId: 3, host: 'broker.local', port: 9092 }],
    clusterId: 'cluster',
    controllerId: 3,
    topics: [
      {
        errorCode: 0,
        name: 'readings',
        isInternal: false,
        partitions: [
          { errorCode: 0, partitionIndex: 0, leaderId: 3, replicaNodes: [3], isrNodes: [3] },
        ],
      },
      { errorCode: 3, name: 'missing', isInternal: false, partitions: [] },
    ],
  };

  it.each([0, 1, 2, 3, 4])('v%i round-trips through kafkajs', async (version) => {
    const { body } = await viaKafkajs('metadata', version, {
      topics: ['readings', 'missing'],
      allowAutoTopicCreation: false,
    });
    const req = decodeMetadataRequest(body, version);
    expect(req.topics).toEqual(['readings', 'missing']);
    expect(req.allowAutoTopicCreation).toBe(version < 4);

    const decoded = await kafkajsDecodeResponse<{
      brokers: Array<{ nodeId: number; host: string; port: number }>;
      controllerId?: number;
      clusterId?: string;
      topicMetadata: Array<{
        topic: string;
        topicErrorCode: number;
        partitionMetadata: Array<{ leader: number }>;
      }>;
    }>(
      'metadata',
      version,
      encoded((w) => encodeMetadataResponse(w, version, response)),
    );
    expect(decoded.brokers[0]).toMatchObject({ nodeId: 3, host: 'broker.local', port: 9092 });
    if (version >= 1) expect(decoded.controllerId).toBe(3);
    if (version >= 2) expect(decoded.clusterId).toBe('cluster');
    expect(decoded.topicMetadata.map((t) => [t.topic, t.topicErrorCode])).toEqual([
      ['readings', 0],
      ['missing', 3],
    ]);
    expect(decoded.topicMetadata[0].partitionMetadata[0].leader).toBe(3);
  });

  it('reads "all topics" from an empty v0 list and a null v1+ list', async () => {
    expect(
      decodeMetadataRequest((await viaKafkajs('metadata', 0, { topics: [] })).body, 0).topics,
    ).toBeNull();
    const v1 = new ByteReader(Buffer.from([0xff, 0xff, 0xff, 0xff]), 'metadata v1');
    expect(decodeMetadataRequest(v1, 1).topics).toBeNull();
    const v1Empty = new ByteReader(Buffer.from([0, 0, 0, 0]), 'metadata v1');
    expect(decodeMetadataRequest(v1Empty, 1).topics).toEqual([]);
  });
});

describe('Produce v3', () => {
  it('keeps the record batch bytes exactly as kafkajs sent them, without copying', async () => {
    const frame = await kafkajsFrame(
      kafkajsRequest('produce', 3, {
        acks: -1,
        timeout: 30000,
        topicData: [
          {
            topic: 'readings',
            partitions: [{ partition: 2, messages: [{ key: 'k', value: 'v' }] }],
          },
        ],
      }),
    );
    const req = decodeProduceRequest(decodeRequestHeader(frame).body);
    expect(req).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    expect(req.topics[0].partitions[0].partition).toBe(2);
    const records = req.topics[0].partitions[0].records!;
    expect(records.readInt8(16)).toBe(2); // magic
    expect(records.buffer).toBe(frame.buffer);
    expect(frame.subarray(frame.length - records.length)).toEqual(records);
  });

  it('encodes per-partition results that kafkajs decodes', async () => {
    const decoded = await kafkajsDecodeResponse<{
      topics: Array<{ topicName: string; partitions: object[] }>;
    }>(
      'produce',
      3,
      encoded((w) =>
        encodeProduceResponse(w, {
          topics: [
            {
              topic: 'readings',
              partitions: [
                { partition: 0, errorCode: 0, baseOffset: 12345678901n, logAppendTimeMs: -1n },
                { partition: 1, errorCode: 2, baseOffset: -1n, logAppendTimeMs: -1n },
              ],
            },
          ],
        }),
      ),
    );
    expect(decoded.topics[0].topicName).toBe('readings');
    expect(decoded.topics[0].partitions).toEqual([
      { partition: 0, errorCode: 0, baseOffset: '12345678901', logAppendTime: '-1' },
      { partition: 1, errorCode: 2, baseOffset: '-1', logAppendTime: '-1' },
    ]);
  });
});

describe('Fetch v4', () => {
  it('decodes the request and returns record batches kafkajs can read', async () => {
    const { body } = await viaKafkajs('fetch', 4, {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [
        { topic: 'readings', partitions: [{ partition: 1, fetchOffset: '7', maxBytes: 4096 }] },
      ],
    });
    expect(decodeFetchRequest(body)).toEqual({
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [
        {
          topic: 'readings',
          partitions: [{ partition: 1, fetchOffset: 7n, partitionMaxBytes: 4096 }],
        },
      ],
    });

    const records = await kafkajsRecordBatch([
      { key: 'a', value: 'first' },
      { key: 'b', value: 'second' },
    ]);
    const decoded = await kafkajsDecodeResponse<{
      responses: Array<{
        topicName: string;
        partitions: Array<{
          highWatermark: string;
          lastStableOffset: string;
          messages: Array<{ value: Buffer }>;
        }>;
      }>;
    }>(
      'fetch',
      4,
      encoded((w) =>
        encodeFetchResponse(w, {
          topics: [
            {
              topic: 'readings',
              partitions: [
                { partition: 1, errorCode: 0, highWatermark: 2n, lastStableOffset: 2n, records },
              ],
            },
          ],
        }),
      ),
    );
    const p = decoded.responses[0].partitions[0];
    expect(p.highWatermark).toBe('2');
    expect(p.lastStableOffset).toBe('2');
    expect(p.messages.map((m) => m.value.toString())).toEqual(['first', 'second']);
  });
});

describe('ListOffsets v1', () => {
  it('round-trips through kafkajs', async () => {
    const { body } = await viaKafkajs('listOffsets', 1, {
      replicaId: -1,
      topics: [{ topic: 'readings', partitions: [{ partition: 0, timestamp: -2 }] }],
    });
    expect(decodeListOffsetsRequest(body)).toEqual({
      replicaId: -1,
      topics: [{ topic: 'readings', partitions: [{ partition: 0, timestamp: -2n }] }],
    });
    const decoded = await kafkajsDecodeResponse<{ responses: Array<{ partitions: object[] }> }>(
      'listOffsets',
      1,
      encoded((w) =>
        encodeListOffsetsResponse(w, {
          topics: [
            {
              topic: 'readings',
              partitions: [{ partition: 0, errorCode: 0, timestamp: -1n, offset: 5n }],
            },
          ],
        }),
      ),
    );
    expect(decoded.responses[0].partitions[0]).toMatchObject({
      partition: 0,
      errorCode: 0,
      offset: '5',
    });
  });
});

describe('group APIs', () => {
  it('FindCoordinator v0 round-trips', async () => {
    const { body } = await viaKafkajs('findCoordinator', 0, { groupId: 'workers' });
    expect(decodeFindCoordinatorRequest(body)).toEqual({ key: 'workers' });
    const decoded = await kafkajsDecodeResponse<{ coordinator: object }>(
      'findCoordinator',
      0,
      encoded((w) =>
        encodeFindCoordinatorResponse(w, { errorCode: 0, nodeId: 1, host: 'h', port: 9 }),
      ),
    );
    expect(decoded.coordinator).toEqual({ nodeId: 1, host: 'h', port: 9 });
  });

  it.each([0, 1, 2])('JoinGroup v%i round-trips', async (version) => {
    const { body } = await viaKafkajs('joinGroup', version, {
      groupId: 'workers',
      sessionTimeout: 10000,
      rebalanceTimeout: 60000,
      memberId: '',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
    });
    const req = decodeJoinGroupRequest(body, version);
    expect(req).toMatchObject({
      groupId: 'workers',
      sessionTimeoutMs: 10000,
      memberId: '',
      protocolType: 'consumer',
    });
    expect(req.rebalanceTimeoutMs).toBe(version === 0 ? 10000 : 60000);
    expect(req.protocols).toEqual([{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }]);

    const decoded = await kafkajsDecodeResponse<{
      generationId: number;
      groupProtocol: string;
      leaderId: string;
      memberId: string;
      members: Array<{ memberId: string; memberMetadata: Buffer }>;
    }>(
      'joinGroup',
      version,
      encoded((w) =>
        encodeJoinGroupResponse(w, version, {
          errorCode: 0,
          generationId: 4,
          protocolName: 'RoundRobinAssigner',
          leader: 'm-1',
          memberId: 'm-1',
          members: [{ memberId: 'm-1', metadata: Buffer.from('meta') }],
        }),
      ),
    );
    expect(decoded).toMatchObject({
      generationId: 4,
      groupProtocol: 'RoundRobinAssigner',
      leaderId: 'm-1',
      memberId: 'm-1',
    });
    expect(decoded.members).toEqual([{ memberId: 'm-1', memberMetadata: Buffer.from('meta') }]);
  });

  it.each([0, 1])('SyncGroup v%i round-trips', async (version) => {
    const { body } = await viaKafkajs('syncGroup', version, {
      groupId: 'workers',
      generationId: 4,
      memberId: 'm-1',
      groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('assigned') }],
    });
    expect(decodeSyncGroupRequest(body)).toEqual({
      groupId: 'workers',
      generationId: 4,
      memberId: 'm-1',
      assignments: [{ memberId: 'm-1', assignment: Buffer.from('assigned') }],
    });
    const decoded = await kafkajsDecodeResponse<{ errorCode: number; memberAssignment: Buffer }>(
      'syncGroup',
      version,
      encoded((w) =>
        encodeSyncGroupResponse(w, version, { errorCode: 0, assignment: Buffer.from('assigned') }),
      ),
    );
    expect(decoded).toMatchObject({ errorCode: 0, memberAssignment: Buffer.from('assigned') });
  });

  it.each([0, 1])('Heartbeat and LeaveGroup v%i round-trip', async (version) => {
    const hb = await viaKafkajs('heartbeat', version, {
      groupId: 'workers',
      groupGenerationId: 4,
      memberId: 'm-1',
    });
    expect(decodeHeartbeatRequest(hb.body)).toEqual({
      groupId: 'workers',
      generationId: 4,
      memberId: 'm-1',
    });
    const leave = await viaKafkajs('leaveGroup', version, { groupId: 'workers', memberId: 'm-1' });
    expect(decodeLeaveGroupRequest(leave.body)).toEqual({ groupId: 'workers', memberId: 'm-1' });
    const decoded = await kafkajsDecodeResponse<{ errorCode: number }>(
      'heartbeat',
      version,
      encoded((w) => encodeErrorOnlyResponse(w, version, 0)),
    );
    expect(decoded.errorCode).toBe(0);
  });
});

describe('group introspection APIs', () => {
  it.each([0, 1, 2])('ListGroups v%i round-trips', async (version) => {
    const { header, body } = await viaKafkajs('listGroups', version);
    expect(header).toMatchObject({ apiKey: ApiKey.ListGroups, apiVersion: version });
    expect(decodeListGroupsRequest(body)).toEqual({});
    const groups = [
      { groupId: 'workers', protocolType: 'consumer' },
      { groupId: 'ünïcode', protocolType: 'consumer' },
    ];
    const decoded = await kafkajsDecodeResponse<{ errorCode: number; groups: unknown[] }>(
      'listGroups',
      version,
      encoded((w) => encodeListGroupsResponse(w, version, { errorCode: 0, groups })),
    );
    expect(decoded).toMatchObject({ errorCode: 0, groups });
  });

  it('ListGroups rejects a non-empty body', () => {
    expect(() => decodeListGroupsRequest(new ByteReader(Buffer.from([0]), 'ListGroups'))).toThrow(
      MalformedRequestError,
    );
  });

  it.each([0, 1, 2])('DescribeGroups v%i round-trips', async (version) => {
    const { header, body } = await viaKafkajs('describeGroups', version, {
      groupIds: ['workers', 'gone'],
    });
    expect(header).toMatchObject({ apiKey: ApiKey.DescribeGroups, apiVersion: version });
    expect(decodeDescribeGroupsRequest(body)).toEqual({ groupIds: ['workers', 'gone'] });
    const member = {
      memberId: 'm-1',
      clientId: 'c-1',
      clientHost: '/127.0.0.1',
      metadata: Buffer.from('meta'),
      assignment: Buffer.from('assigned'),
    };
    const decoded = await kafkajsDecodeResponse<{ groups: unknown[] }>(
      'describeGroups',
      version,
      encoded((w) =>
        encodeDescribeGroupsResponse(w, version, {
          groups: [
            {
              errorCode: 0,
              groupId: 'workers',
              state: 'Stable',
              protocolType: 'consumer',
              protocol: 'RoundRobinAssigner',
              members: [member],
            },
            {
              errorCode: 0,
              groupId: 'gone',
              state: 'Dead',
              protocolType: '',
              protocol: '',
              members: [],
            },
          ],
        }),
      ),
    );
    expect(decoded.groups).toEqual([
      {
        errorCode: 0,
        groupId: 'workers',
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'RoundRobinAssigner',
        members: [
          {
            memberId: 'm-1',
            clientId: 'c-1',
            clientHost: '/127.0.0.1',
            memberMetadata: Buffer.from('meta'),
            memberAssignment: Buffer.from('assigned'),
          },
        ],
      },
      { errorCode: 0, groupId: 'gone', state: 'Dead', protocolType: '', protocol: '', members: [] },
    ]);
  });

  it('DescribeGroups rejects a null group list and a truncated group id', () => {
    const reader = (bytes: number[]): ByteReader =>
      new ByteReader(Buffer.from(bytes), 'DescribeGroups');
    expect(() => decodeDescribeGroupsRequest(reader([0xff, 0xff, 0xff, 0xff]))).toThrow(
      /non-nullable array/,
    );
    expect(() => decodeDescribeGroupsRequest(reader([0, 0, 0, 1, 0, 5, 0x61]))).toThrow(
      MalformedRequestError,
    );
  });
});

describe('offset APIs', () => {
  it('OffsetCommit v2 round-trips, keeping null metadata null', async () => {
    const { body } = await viaKafkajs('offsetCommit', 2, {
      groupId: 'workers',
      groupGenerationId: -1,
      memberId: '',
      retentionTime: -1,
      topics: [{ topic: 'readings', partitions: [{ partition: 3, offset: '99' }] }],
    });
    expect(decodeOffsetCommitRequest(body)).toEqual({
      groupId: 'workers',
      generationId: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [{ topic: 'readings', partitions: [{ partition: 3, offset: 99n, metadata: null }] }],
    });
    const decoded = await kafkajsDecodeResponse<{ responses: Array<{ partitions: object[] }> }>(
      'offsetCommit',
      2,
      encoded((w) =>
        encodeOffsetCommitResponse(w, {
          topics: [{ topic: 'readings', partitions: [{ partition: 3, errorCode: 0 }] }],
        }),
      ),
    );
    expect(decoded.responses[0].partitions).toEqual([{ partition: 3, errorCode: 0 }]);
  });

  it('OffsetFetch v1 round-trips', async () => {
    const { body } = await viaKafkajs('offsetFetch', 1, {
      groupId: 'workers',
      topics: [{ topic: 'readings', partitions: [{ partition: 0 }, { partition: 1 }] }],
    });
    expect(decodeOffsetFetchRequest(body)).toEqual({
      groupId: 'workers',
      topics: [{ topic: 'readings', partitions: [0, 1] }],
    });
    const decoded = await kafkajsDecodeResponse<{ responses: Array<{ partitions: object[] }> }>(
      'offsetFetch',
      1,
      encoded((w) =>
        encodeOffsetFetchResponse(w, {
          topics: [
            {
              topic: 'readings',
              partitions: [
                { partition: 0, offset: 10n, metadata: 'm', errorCode: 0 },
                { partition: 1, offset: -1n, metadata: '', errorCode: 0 },
              ],
            },
          ],
        }),
      ),
    );
    expect(decoded.responses[0].partitions).toEqual([
      { partition: 0, offset: '10', metadata: 'm', errorCode: 0 },
      { partition: 1, offset: '-1', metadata: '', errorCode: 0 },
    ]);
  });
});

describe('topic admin APIs', () => {
  it('CreateTopics v0 round-trips with configs and assignments', async () => {
    const { body } = await viaKafkajs('createTopics', 0, {
      topics: [
        {
          topic: 'readings',
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '1000' }],
        },
        { topic: 'manual', replicaAssignment: [{ partition: 0, replicas: [0] }] },
      ],
      timeout: 1000,
    });
    expect(decodeCreateTopicsRequest(body)).toEqual({
      topics: [
        {
          name: 'readings',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'retention.ms', value: '1000' }],
        },
        {
          name: 'manual',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partition: 0, brokerIds: [0] }],
          configs: [],
        },
      ],
      timeoutMs: 1000,
    });
    const decoded = await kafkajsDecodeResponse<{ topicErrors: object[] }>(
      'createTopics',
      0,
      encoded((w) =>
        encodeCreateTopicsResponse(w, { topics: [{ name: 'readings', errorCode: 36 }] }),
      ),
    );
    expect(decoded.topicErrors).toEqual([{ topic: 'readings', errorCode: 36 }]);
  });

  it('DeleteTopics v0 round-trips', async () => {
    const { body } = await viaKafkajs('deleteTopics', 0, { topics: ['a', 'b'], timeout: 500 });
    expect(decodeDeleteTopicsRequest(body)).toEqual({ topicNames: ['a', 'b'], timeoutMs: 500 });
    const decoded = await kafkajsDecodeResponse<{ topicErrors: object[] }>(
      'deleteTopics',
      0,
      encoded((w) => encodeDeleteTopicsResponse(w, { topics: [{ name: 'a', errorCode: 0 }] })),
    );
    expect(decoded.topicErrors).toEqual([{ topic: 'a', errorCode: 0 }]);
  });
});

describe('ByteWriter', () => {
  it('passes large payloads through as their own chunk (zero-copy)', () => {
    const payload = Buffer.alloc(4096, 7);
    const w = new ByteWriter().int32(1).bytes(payload).int16(2);
    const chunks = w.toChunks();
    expect(chunks).toContain(payload);
    expect(w.length).toBe(4 + 4 + 4096 + 2);
    expect(Buffer.concat(chunks).readInt16BE(4 + 4 + 4096)).toBe(2);
  });
});
