import {
  Metadata,
  status as GrpcStatus,
  type Client,
  type ClientDuplexStream,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { RawReadingBatchSchema, Topics, decodeRecord } from '@sluice/contracts';
import { createGrpcClient } from '@sluice/grpc';
import { BatchConsumer, type ConsumedMessage } from '@sluice/kafka';
import { waitFor } from '@sluice/testing';
import { hashApiKey } from '../auth/api-key';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

jest.setTimeout(60_000);

interface ReadingMessage {
  device?: string;
  metric: string;
  timeMs: string | number;
  value: number;
  unit?: string;
  tags?: Record<string, string>;
}
interface BatchMessage {
  device?: string;
  readings: ReadingMessage[];
  batchId?: string;
}
interface Summary {
  messages: string;
  accepted: string;
}
interface Ack {
  sequence: string;
  batchId: string;
  accepted: number;
}

type StreamMethod = (
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, summary?: Summary) => void,
) => ClientWritableStream<BatchMessage>;
type BidiMethod = (
  metadata: Metadata,
  options: { deadline: number },
) => ClientDuplexStream<BatchMessage, Ack>;

describe('gRPC IngestService against the embedded broker', () => {
  let gw: TestGateway;
  let client: Client;
  let consumer: BatchConsumer;
  const raw: ConsumedMessage[] = [];
  const keys = { writer: '', reader: '', other: '', revoked: '', scoped: '' };

  beforeAll(async () => {
    gw = await startTestGateway({
      grpc: true,
      env: { INGEST_MAX_READINGS: '1000', AUTH_CACHE_TTL_MS: '0' },
      topics: [{ topic: Topics.telemetryRaw, partitions: 3 }],
    });
    keys.writer = await gw.createKey('acme', ['read', 'write']);
    keys.reader = await gw.createKey('acme', ['read']);
    keys.other = await gw.createKey('globex', ['write']);
    keys.revoked = await gw.createKey('acme', ['write']);
    await gw.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [
      hashApiKey(keys.revoked),
    ]);
    keys.scoped = await gw.createKey('acme', ['write'], ['grpc-allowed']);
    client = createGrpcClient({
      protoFile: 'sluice/ingest.proto',
      service: 'sluice.ingest.v1.IngestService',
      address: gw.grpcAddress as string,
    });
    consumer = new BatchConsumer(gw.kafka, {
      groupId: 'grpc-observer',
      topics: [Topics.telemetryRaw],
      fromBeginning: true,
      handler: async (batch) => {
        raw.push(...batch.messages);
      },
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await consumer?.stop();
    await gw?.stop();
  }, 30_000);

  function metadataFor(key: string | undefined, header = 'authorization'): Metadata {
    const metadata = new Metadata();
    if (key !== undefined) metadata.set(header, header === 'authorization' ? `Bearer ${key}` : key);
    return metadata;
  }

  /** Client-streaming call: writes every batch, half-closes, resolves with summary or error. */
  function streamReadings(
    batches: BatchMessage[],
    metadata = metadataFor(keys.writer),
  ): Promise<{ summary?: Summary; error?: ServiceError }> {
    const method = (client as unknown as Record<string, StreamMethod>)['StreamReadings'];
    return new Promise((resolve) => {
      const call = method.call(
        client,
        metadata,
        { deadline: Date.now() + 30_000 },
        (error, summary) => resolve(error ? { error } : { summary }),
      );
      for (const batch of batches) call.write(batch);
      call.end();
    });
  }

  function readingsOf(tenant: string, device: string) {
    return raw
      .filter((message) => message.key === `${tenant}/${device}`)
      .flatMap((message) => decodeRecord(RawReadingBatchSchema, message.value));
  }

  it('StreamReadings publishes every batch and answers a summary', async () => {
    const now = Date.now();
    const batches: BatchMessage[] = [];
    for (let b = 0; b < 20; b++) {
      batches.push({
        device: 'edge-1',
        readings: Array.from({ length: 50 }, (_, i) => ({
          metric: 'temperature',
          timeMs: String(now - 100_000 + b * 50 + i),
          value: b * 50 + i,
          unit: 'C',
          ...(i === 0 ? { tags: { line: 'a' } } : {}),
        })),
      });
    }
    batches.push({ readings: [{ device: 'edge-2', metric: 'power', timeMs: now, value: 0.5 }] });
    const { summary, error } = await streamReadings(batches);
    expect(error).toBeUndefined();
    expect(summary).toEqual({ messages: '21', accepted: '1001' });

    await waitFor(
      async () =>
        readingsOf('acme', 'edge-1').flatMap((batch) => batch.readings).length === 1000 &&
        readingsOf('acme', 'edge-2').length === 1,
      { message: 'gRPC readings in Kafka' },
    );
    const edge1 = readingsOf('acme', 'edge-1');
    expect(edge1.every((batch) => batch.source === 'grpc')).toBe(true);
    const values = edge1.flatMap((batch) => batch.readings);
    expect(values.map((reading) => reading.value)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
    expect(values[0]).toEqual({
      metric: 'temperature',
      time: now - 100_000,
      value: 0,
      unit: 'C',
      tags: { line: 'a' },
    });
    expect(values[1]).toEqual({ metric: 'temperature', time: now - 99_999, value: 1, unit: 'C' });
    expect(readingsOf('acme', 'edge-2')[0].readings[0]).toEqual({
      metric: 'power',
      time: now,
      value: 0.5,
    });
  });

  it('StreamReadingsWithAcks acks each batch in order, once it is in Kafka', async () => {
    const method = (client as unknown as Record<string, BidiMethod>)['StreamReadingsWithAcks'];
    const call = method.call(client, metadataFor(keys.writer, 'x-api-key'), {
      deadline: Date.now() + 30_000,
    });
    const acks: Ack[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on('data', (ack: Ack) => acks.push(ack));
      call.on('end', resolve);
      call.on('error', reject);
    });
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      call.write({
        batchId: `b-${i}`,
        readings: [{ device: 'acked-1', metric: 'level', timeMs: now - 1000 + i, value: i }],
      });
    call.end();
    await ended;
    expect(acks).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ sequence: String(i + 1), batchId: `b-${i}`, accepted: 1 })),
    );
    // an ack means the batch is in Kafka
    await waitFor(async () => readingsOf('acme', 'acked-1').length === 5, {
      message: 'acked readings in Kafka',
    });
  });

  it('ends the stream with INVALID_ARGUMENT naming the message and field; earlier messages stay accepted', async () => {
    const now = Date.now();
    const { error } = await streamReadings([
      { device: 'partial-1', readings: [{ metric: 'temperature', timeMs: now, value: 1 }] },
      { device: 'partial-1', readings: [{ metric: 'bad metric!', timeMs: now, value: 2 }] },
      { device: 'partial-1', readings: [{ metric: 'temperature', timeMs: now + 1, value: 3 }] },
    ]);
    expect(error?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/^message 2: validation_failed: .*readings\[0\]\.metric/);
    expect(error?.metadata.get('sluice-accepted-messages')).toEqual(['1']);
    await waitFor(async () => readingsOf('acme', 'partial-1').length === 1, {
      message: 'first message in Kafka',
    });
    expect(readingsOf('acme', 'partial-1')[0].readings.map((r) => r.value)).toEqual([1]);
  });

  describe('security', () => {
    const batch = (device: string): BatchMessage => ({
      device,
      readings: [{ metric: 'temperature', timeMs: Date.now(), value: 1 }],
    });

    it.each([
      ['no key', () => new Metadata(), GrpcStatus.UNAUTHENTICATED],
      [
        'an unknown key',
        () => metadataFor('sk_unknown-000000000000000000'),
        GrpcStatus.UNAUTHENTICATED,
      ],
      ['a revoked key', () => metadataFor(keys.revoked), GrpcStatus.UNAUTHENTICATED],
      ['a read-only key', () => metadataFor(keys.reader), GrpcStatus.PERMISSION_DENIED],
    ])('refuses a stream with %s and publishes nothing', async (_name, metadata, code) => {
      const device = `denied-${code}-${_name.replace(/\W/g, '')}`;
      const { error } = await streamReadings([batch(device)], metadata());
      expect(error?.code).toBe(code);
      expect(error?.details).not.toContain(keys.revoked);
      expect(readingsOf('acme', device)).toEqual([]);
    });

    it('refuses an acked stream with a revoked key', async () => {
      const method = (client as unknown as Record<string, BidiMethod>)['StreamReadingsWithAcks'];
      const call = method.call(client, metadataFor(keys.revoked), {
        deadline: Date.now() + 30_000,
      });
      const acks: Ack[] = [];
      call.on('data', (ack: Ack) => acks.push(ack));
      const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
      call.write(batch('denied-bidi'));
      call.end();
      expect((await failed).code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(acks).toEqual([]);
      expect(readingsOf('acme', 'denied-bidi')).toEqual([]);
    });

    it('refuses devices outside a device-scoped key', async () => {
      const { error } = await streamReadings(
        [batch('grpc-allowed'), batch('grpc-forbidden')],
        metadataFor(keys.scoped),
      );
      expect(error?.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(error?.details).toMatch(/^message 2: forbidden/);
      await waitFor(async () => readingsOf('acme', 'grpc-allowed').length === 1, {
        message: 'allowed device in Kafka',
      });
      expect(readingsOf('acme', 'grpc-forbidden')).toEqual([]);
    });

    it('stores another tenant’s stream under that tenant only', async () => {
      const { summary } = await streamReadings([batch('shared-name')], metadataFor(keys.other));
      expect(summary?.accepted).toBe('1');
      await waitFor(async () => readingsOf('globex', 'shared-name').length === 1, {
        message: 'globex reading in Kafka',
      });
      expect(readingsOf('acme', 'shared-name')).toEqual([]);
    });
  });
});
