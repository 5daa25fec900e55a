import { RawReadingBatchSchema, RecordHeaders, Topics, decodeRecord } from '@sluice/contracts';
import { BatchConsumer, type ConsumedMessage } from '@sluice/kafka';
import { DEFAULT_SPEED_LAYER_SETTINGS, applyBatch } from '@sluice/speed-layer';
import { createRedis } from '@sluice/redis';
import { waitFor } from '@sluice/testing';
import { hashApiKey } from '../auth/api-key';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

const HOUR = 3_600_000;

describe('POST /api/v1/readings against the embedded broker', () => {
  let gw: TestGateway;
  let consumer: BatchConsumer;
  const raw: ConsumedMessage[] = [];
  const keys: Record<'writer' | 'reader' | 'other' | 'revoked' | 'scoped', string> = {
    writer: '',
    reader: '',
    other: '',
    revoked: '',
    scoped: '',
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        INGEST_MAX_READINGS: '100',
        HTTP_BODY_LIMIT_BYTES: String(64 * 1024),
        INGEST_MAX_PAST_MS: String(24 * HOUR),
        INGEST_MAX_FUTURE_MS: '60000',
        DEVICE_LAST_SEEN_FLUSH_MS: '100',
      },
      topics: [{ topic: Topics.telemetryRaw, partitions: 3 }],
    });
    keys.writer = await gw.createKey('acme', ['read', 'write']);
    keys.reader = await gw.createKey('acme', ['read']);
    keys.other = await gw.createKey('globex', ['read', 'write']);
    keys.revoked = await gw.createKey('acme', ['write']);
    await gw.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [
      hashApiKey(keys.revoked),
    ]);
    keys.scoped = await gw.createKey('acme', ['write'], ['allowed-1']);

    consumer = new BatchConsumer(gw.kafka, {
      groupId: 'raw-observer',
      topics: [Topics.telemetryRaw],
      fromBeginning: true,
      handler: async (batch) => {
        raw.push(...batch.messages);
      },
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await gw?.stop();
  }, 30_000);

  function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/readings`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${keys.writer}`,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  function recordsOf(device: string) {
    return raw
      .filter((message) => message.key === `acme/${device}`)
      .map((message) => ({ message, batch: decodeRecord(RawReadingBatchSchema, message.value) }));
  }

  /** Posts a valid marker for `device` and waits for it: a record published before it is then visible. */
  async function markerFor(device: string): Promise<void> {
    const response = await post({
      readings: [{ device, metric: 'marker', time: Date.now(), value: 1 }],
    });
    expect(response.status).toBe(202);
    await waitFor(
      async () => recordsOf(device).some(({ batch }) => batch.readings[0].metric === 'marker'),
      {
        message: `marker for ${device} consumed`,
      },
    );
  }

  it('publishes one record per device with the ingest headers, and answers 202 after the ack', async () => {
    const now = Date.now();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const before = Date.now();
    const response = await post(
      {
        device: 'room-1',
        readings: [
          { metric: 'temperature', time: now - 2000, value: 21.5, unit: 'C' },
          {
            device: 'room-2',
            metric: 'humidity',
            time: new Date(now - 1000).toISOString(),
            value: 40,
          },
          { metric: 'temperature', time: now - 1000, value: 21.7, unit: 'C', tags: { probe: 'a' } },
          { device: 'room-3', metric: 'power', time: now, value: 0 },
        ],
      },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    const after = Date.now();
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 4 });

    await waitFor(
      async () => ['room-1', 'room-2', 'room-3'].every((d) => recordsOf(d).length === 1),
      {
        message: 'one raw record per device',
      },
    );
    const [room1] = recordsOf('room-1');
    expect(room1.batch).toEqual({
      tenant: 'acme',
      device: 'room-1',
      source: 'http',
      receivedAt: expect.any(Number),
      readings: [
        { metric: 'temperature', time: now - 2000, value: 21.5, unit: 'C' },
        { metric: 'temperature', time: now - 1000, value: 21.7, unit: 'C', tags: { probe: 'a' } },
      ],
    });
    expect(recordsOf('room-2')[0].batch.readings).toEqual([
      { metric: 'humidity', time: now - 1000, value: 40 },
    ]);
    const headers = room1.message.headers;
    expect(headers[RecordHeaders.schemaVersion]).toBe('1');
    const ingestTs = Number(headers[RecordHeaders.ingestTs]);
    expect(ingestTs).toBeGreaterThanOrEqual(before);
    expect(ingestTs).toBeLessThanOrEqual(after);
    expect(ingestTs).toBe(room1.batch.receivedAt);
    expect(headers[RecordHeaders.traceparent]).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`),
    );
  });

  it('registers new devices and records when they were last seen', async () => {
    await post({ readings: [{ device: 'fresh-1', metric: 'm', time: Date.now(), value: 1 }] });
    const listed = await waitFor(
      async () => {
        const response = await fetch(`${gw.baseUrl}/api/v1/devices?limit=1000`, {
          headers: { 'x-api-key': keys.reader },
        });
        const body = (await response.json()) as {
          devices: Array<{ id: string; lastSeenAt: number | null }>;
        };
        const device = body.devices.find((d) => d.id === 'fresh-1');
        return device?.lastSeenAt ? device : undefined;
      },
      { message: 'fresh-1 listed with a last-seen time' },
    );
    expect(listed.lastSeenAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('publishes nothing from a batch with one invalid reading', async () => {
    const now = Date.now();
    const response = await post({
      device: 'all-or-nothing',
      readings: [
        { metric: 'temperature', time: now, value: 20 },
        { metric: 'temperature', time: now, value: 'hot' },
        { metric: 'temperature', time: now, value: 22 },
      ],
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: expect.stringContaining('nothing was accepted'),
        details: [
          {
            path: 'readings[1].value',
            message: 'must be a finite number (got string "hot")',
            value: 'hot',
          },
        ],
      },
    });
    await markerFor('all-or-nothing');
    expect(recordsOf('all-or-nothing').map(({ batch }) => batch.readings[0].metric)).toEqual([
      'marker',
    ]);
  });

  describe('bad input gets a 4xx JSON error naming the field and index, and publishes nothing', () => {
    const now = () => Date.now();
    const good = () => ({ device: 'bad-input', metric: 'temperature', time: now(), value: 1 });
    type Case = {
      name: string;
      body: unknown;
      headers?: Record<string, string>;
      status: number;
      code: string;
      path: string;
      message?: RegExp;
    };
    const cases: Case[] = [
      {
        name: 'malformed JSON',
        body: '{"readings":[{"device":"bad-input",}]}',
        status: 400,
        code: 'invalid_json',
        path: '(body)',
        message: /position 35/,
      },
      {
        name: 'a NaN literal',
        body: `{"readings":[{"device":"bad-input","metric":"m","time":${Date.now()},"value":NaN}]}`,
        status: 400,
        code: 'invalid_json',
        path: '(body)',
        message: /NaN or Infinity/,
      },
      {
        name: 'a number overflowing to Infinity',
        body: `{"readings":[{"device":"bad-input","metric":"m","time":${Date.now()},"value":1e999}]}`,
        status: 400,
        code: 'validation_failed',
        path: 'readings[0].value',
        message: /finite number \(got Infinity\)/,
      },
      {
        name: 'a __proto__ key in an otherwise plain batch',
        body: `{"readings":[{"device":"bad-input","metric":"m","time":${Date.now()},"value":1,"tags":{"__proto__":"x"}}]}`,
        status: 400,
        code: 'invalid_json',
        path: '(body)',
        message: /forbidden prototype property/,
      },
      { name: 'an empty body', body: '', status: 400, code: 'invalid_json', path: '(body)' },
      {
        name: 'a missing field',
        body: { readings: [good(), { device: 'bad-input', time: now(), value: 1 }] },
        status: 400,
        code: 'validation_failed',
        path: 'readings[1].metric',
        message: /is required/,
      },
      {
        name: 'a wrong type',
        body: { readings: [good(), good(), { ...good(), time: true }] },
        status: 400,
        code: 'validation_failed',
        path: 'readings[2].time',
        message: /ISO-8601/,
      },
      {
        name: 'a string as value',
        body: { readings: [{ ...good(), value: '21.5' }] },
        status: 400,
        code: 'validation_failed',
        path: 'readings[0].value',
        message: /got string "21.5"/,
      },
      {
        name: 'a timestamp older than the window',
        body: { readings: [good(), { ...good(), time: now() - 25 * HOUR }] },
        status: 400,
        code: 'validation_failed',
        path: 'readings[1].time',
        message: /must lie between/,
      },
      {
        name: 'a timestamp in the future',
        body: { readings: [{ ...good(), time: new Date(now() + 5 * 60_000).toISOString() }] },
        status: 400,
        code: 'validation_failed',
        path: 'readings[0].time',
        message: /1min ahead/,
      },
      {
        name: 'a body over the size limit',
        body: {
          readings: [{ ...good(), tags: { padding: 'x'.repeat(200) } }],
          pad: 'y'.repeat(70 * 1024),
        },
        status: 413,
        code: 'payload_too_large',
        path: '(body)',
        message: /65536 bytes/,
      },
      {
        name: 'more readings than the batch limit',
        body: { readings: Array.from({ length: 101 }, good) },
        status: 413,
        code: 'batch_too_large',
        path: 'readings',
        message: /101 readings, the limit is 100/,
      },
      {
        name: 'a missing API key',
        body: { readings: [good()] },
        headers: { authorization: '' },
        status: 401,
        code: 'unauthorized',
        path: 'Authorization',
      },
      {
        name: 'an unknown API key',
        body: { readings: [good()] },
        headers: { authorization: 'Bearer not-a-key' },
        status: 401,
        code: 'unauthorized',
        path: 'Authorization',
        message: /not recognised/,
      },
      {
        name: 'a revoked API key',
        body: { readings: [good()] },
        headers: { authorization: '' },
        status: 401,
        code: 'unauthorized',
        path: 'Authorization',
        message: /revoked/,
      },
      {
        name: 'a read-only key',
        body: { readings: [good()] },
        headers: { authorization: '' },
        status: 403,
        code: 'forbidden',
        path: 'Authorization',
        message: /"write" scope/,
      },
      {
        name: 'a key of another tenant',
        body: { tenant: 'acme', readings: [good()] },
        headers: { authorization: '' },
        status: 403,
        code: 'forbidden',
        path: 'tenant',
        message: /does not belong to tenant "acme"/,
      },
      {
        name: 'a device-scoped key writing another device',
        body: { readings: [{ ...good(), device: 'allowed-1' }, good()] },
        headers: { authorization: '' },
        status: 403,
        code: 'forbidden',
        path: 'readings[1].device',
      },
      {
        name: 'a non-JSON content type',
        body: 'device=bad-input',
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'unsupported_media_type',
        path: 'Content-Type',
      },
    ];
    // keys exist only after beforeAll, so the cases name them and are resolved here
    const keyFor: Record<string, () => string> = {
      'a missing API key': () => '',
      'a revoked API key': () => `Bearer ${keys.revoked}`,
      'a read-only key': () => `Bearer ${keys.reader}`,
      'a key of another tenant': () => `Bearer ${keys.other}`,
      'a device-scoped key writing another device': () => `Bearer ${keys.scoped}`,
    };

    it.each(cases)('$name → $status $code at $path', async (testCase) => {
      const headers = { ...testCase.headers };
      const key = keyFor[testCase.name];
      if (key) headers.authorization = key();
      const response = await post(testCase.body, headers);
      expect(response.status).toBe(testCase.status);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await response.json()) as {
        error: { code: string; message: string; details: Array<{ path: string; message: string }> };
      };
      expect(body.error.code).toBe(testCase.code);
      expect(typeof body.error.message).toBe('string');
      expect(body.error.details.map((detail) => detail.path)).toContain(testCase.path);
      if (testCase.message) {
        const detail = body.error.details.find((d) => d.path === testCase.path);
        expect(`${body.error.message} | ${detail?.message}`).toMatch(testCase.message);
      }
    });

    it('published none of them', async () => {
      await markerFor('bad-input');
      expect(recordsOf('bad-input').map(({ batch }) => batch.readings[0].metric)).toEqual([
        'marker',
      ]);
    });
  });

  it('serves the latest values of a device from the speed layer, 404 for an unknown one', async () => {
    await gw.pool.query(
      `INSERT INTO devices (tenant, id) VALUES ('acme', 'room-1') ON CONFLICT DO NOTHING`,
    );
    const redis = createRedis({ url: gw.redisUrl, keyPrefix: gw.redisPrefix });
    try {
      const now = Date.now();
      await applyBatch(
        redis,
        [
          {
            tenant: 'acme',
            device: 'room-1',
            rawPartition: 0,
            rawOffset: '1',
            readings: [
              { metric: 'temperature', time: now - 1000, value: 21 },
              { metric: 'temperature', time: now, value: 22 },
              { metric: 'humidity', time: now, value: 40 },
            ],
            origin: { topic: Topics.telemetryClean, partition: 0, offset: '0', key: 'acme/room-1' },
          },
        ],
        DEFAULT_SPEED_LAYER_SETTINGS,
      );
      const response = await fetch(`${gw.baseUrl}/api/v1/devices/room-1/latest`, {
        headers: { authorization: `Bearer ${keys.reader}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        device: 'room-1',
        readings: [
          { metric: 'humidity', time: now, value: 40 },
          { metric: 'temperature', time: now, value: 22 },
        ],
      });
      const unknown = await fetch(`${gw.baseUrl}/api/v1/devices/nope/latest`, {
        headers: { authorization: `Bearer ${keys.reader}` },
      });
      expect(unknown.status).toBe(404);
      // another tenant's device looks exactly like a missing one
      const foreign = await fetch(`${gw.baseUrl}/api/v1/devices/room-1/latest`, {
        headers: { authorization: `Bearer ${keys.other}` },
      });
      expect(foreign.status).toBe(404);
    } finally {
      const leftovers = await redis.keys(`${gw.redisPrefix}*`);
      if (leftovers.length > 0)
        await redis.del(...leftovers.map((key) => key.slice(gw.redisPrefix.length)));
      await redis.quit();
    }
  });
});
