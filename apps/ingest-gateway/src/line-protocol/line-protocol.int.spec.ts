import { gzipSync } from 'node:zlib';
import {
  RawReadingBatchSchema,
  Topics,
  decodeRecord,
  type RawReading,
  type RawReadingBatch,
} from '@sluice/contracts';
import { BatchConsumer, type ConsumedMessage } from '@sluice/kafka';
import { waitFor } from '@sluice/testing';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

jest.setTimeout(60_000);

/**
 * Line-protocol conformance through the real gateway (issue 5 acceptance 2): every body is posted
 * over HTTP and its readings are read back from `telemetry.raw.v1` on the embedded broker.
 */
describe('InfluxDB line protocol endpoints', () => {
  let gw: TestGateway;
  let consumer: BatchConsumer;
  const raw: ConsumedMessage[] = [];
  let writer = '';
  let reader = '';
  const NOW_S = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    gw = await startTestGateway({
      env: { LINE_PROTOCOL_MAX_BYTES: String(16 * 1024 * 1024), LINE_PROTOCOL_MAX_LINES: '200000' },
      topics: [{ topic: Topics.telemetryRaw, partitions: 2 }],
    });
    writer = await gw.createKey('acme', ['write']);
    reader = await gw.createKey('acme', ['read']);
    consumer = new BatchConsumer(gw.kafka, {
      groupId: 'lp-observer',
      topics: [Topics.telemetryRaw],
      fromBeginning: true,
      handler: async (batch) => {
        raw.push(...batch.messages);
      },
    });
    await consumer.start();
  }, 90_000);

  afterAll(async () => {
    await consumer?.stop();
    await gw?.stop();
  }, 30_000);

  function write(
    body: string | Buffer,
    options: { path?: string; query?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const path = options.path ?? '/api/v2/write';
    return fetch(`${gw.baseUrl}${path}?${options.query ?? 'org=acme&bucket=b'}`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        authorization: `Token ${writer}`,
        ...options.headers,
      },
      body,
    });
  }

  function batchesOf(device: string): RawReadingBatch[] {
    return raw
      .filter((message) => message.key === `acme/${device}`)
      .map((message) => decodeRecord(RawReadingBatchSchema, message.value));
  }

  async function readingsOf(device: string, count: number): Promise<RawReading[]> {
    await waitFor(async () => batchesOf(device).flatMap((b) => b.readings).length >= count, {
      message: `${count} readings of ${device}`,
      timeoutMs: 20_000,
    });
    return batchesOf(device).flatMap((batch) => batch.readings);
  }

  it('answers GET /ping with 204 and X-Influxdb-Version', async () => {
    const response = await fetch(`${gw.baseUrl}/ping`);
    expect(response.status).toBe(204);
    expect(response.headers.get('x-influxdb-version')).toMatch(/^1\.\d+/);
  });

  it('answers /health in InfluxDB’s shape to InfluxDB agents and keeps the readiness report for others', async () => {
    const influx = await fetch(`${gw.baseUrl}/health`, {
      headers: { 'user-agent': 'influxdb-client-python/1.40.0' },
    });
    expect(influx.status).toBe(200);
    expect(await influx.json()).toMatchObject({ status: 'pass', name: expect.any(String) });
    const plain = await fetch(`${gw.baseUrl}/health`);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ status: 'ok', checks: expect.any(Object) });
  });

  it('maps measurement + field to metrics, the device tag to the device, other tags to tags (204)', async () => {
    const response = await write(
      [
        `cpu,device=lp-map,host=h1,region=eu usage_idle=97.5,usage_user=2i ${NOW_S}000000000`,
        `temperature,device=lp-map value=21.5 ${NOW_S}000000000`,
      ].join('\n'),
    );
    expect(response.status).toBe(204);
    const readings = await readingsOf('lp-map', 3);
    expect(readings).toEqual(
      expect.arrayContaining([
        {
          metric: 'cpu.usage_idle',
          time: NOW_S * 1000,
          value: 97.5,
          tags: { host: 'h1', region: 'eu' },
        },
        {
          metric: 'cpu.usage_user',
          time: NOW_S * 1000,
          value: 2,
          tags: { host: 'h1', region: 'eu' },
        },
        { metric: 'temperature', time: NOW_S * 1000, value: 21.5 },
      ]),
    );
    // without a device tag, Telegraf's host tag names the device
    expect((await write(`mem,host=lp-host used=1 ${NOW_S}000000000`)).status).toBe(204);
    expect(await readingsOf('lp-host', 1)).toEqual([
      { metric: 'mem.used', time: NOW_S * 1000, value: 1 },
    ]);
  });

  it('reads every field type: float, integer, unsigned, booleans; string fields become tags', async () => {
    const response = await write(
      `state,device=lp-types f=-1.5e3,i=-42i,u=42u,b1=t,b2=FALSE,b3=True,s="v1 \\"q\\"" ${NOW_S}000000000`,
    );
    expect(response.status).toBe(204);
    const readings = await readingsOf('lp-types', 6);
    const byMetric = Object.fromEntries(readings.map((r) => [r.metric, r]));
    expect(byMetric['state.f'].value).toBe(-1500);
    expect(byMetric['state.i'].value).toBe(-42);
    expect(byMetric['state.u'].value).toBe(42);
    expect(byMetric['state.b1'].value).toBe(1);
    expect(byMetric['state.b2'].value).toBe(0);
    expect(byMetric['state.b3'].value).toBe(1);
    expect(byMetric['state.f'].tags).toEqual({ s: 'v1 "q"' });
  });

  it('unescapes commas, spaces and equals signs in names before checking them', async () => {
    const line = `my\\ meas\\,x,device=lp-esc v=1 ${NOW_S}000000000`;
    const response = await write(line);
    // "my meas,x" is not a valid metric name: refused with the unescaped name and the line
    expect(response.status).toBe(400);
    const { message } = (await response.json()) as { message: string };
    expect(message).toContain('my meas,x');
    expect(message).toContain('(line 1)');
  });

  it('accepts escaped names that form valid metrics and keeps escaped tag values verbatim', async () => {
    const line = `power,device=lp-esc2,site=Main\\ Hall,label=a\\,b\\=c,quote="x" watts=5 ${NOW_S}000000000`;
    expect((await write(line)).status).toBe(204);
    const [reading] = await readingsOf('lp-esc2', 1);
    expect(reading).toEqual({
      metric: 'power.watts',
      time: NOW_S * 1000,
      value: 5,
      tags: { site: 'Main Hall', label: 'a,b=c', quote: '"x"' },
    });
  });

  it('honours every precision, on /write (v1 names) and /api/v2/write', async () => {
    const ms = NOW_S * 1000 + 123;
    const cases: Array<[string, string, string, number]> = [
      ['/api/v2/write', 'ns', `${ms}456789`, ms],
      ['/api/v2/write', 'us', `${ms}456`, ms],
      ['/api/v2/write', 'ms', `${ms}`, ms],
      ['/api/v2/write', 's', `${NOW_S}`, NOW_S * 1000],
      ['/write', 'n', `${ms}456789`, ms],
      ['/write', 'u', `${ms}456`, ms],
      ['/write', 'ms', `${ms}`, ms],
      ['/write', 's', `${NOW_S}`, NOW_S * 1000],
      ['/write', 'm', `${Math.floor(NOW_S / 60)}`, Math.floor(NOW_S / 60) * 60_000],
      ['/write', 'h', `${Math.floor(NOW_S / 3600)}`, Math.floor(NOW_S / 3600) * 3_600_000],
    ];
    for (const [path, precision, timestamp, expected] of cases) {
      const device = `lp-prec-${path === '/write' ? 'v1' : 'v2'}-${precision}`;
      const query = path === '/write' ? `db=x&precision=${precision}` : `precision=${precision}`;
      const response = await write(`p,device=${device} v=1 ${timestamp}`, { path, query });
      expect({ precision, status: response.status }).toEqual({ precision, status: 204 });
      expect((await readingsOf(device, 1))[0].time).toBe(expected);
    }
    const bad = await write('p,device=x v=1', { query: 'precision=fortnight' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('precision'),
    });
  });

  it('stamps points without a timestamp with the time the body arrived', async () => {
    const before = Date.now();
    expect((await write('nots,device=lp-nots v=3')).status).toBe(204);
    const [reading] = await readingsOf('lp-nots', 1);
    expect(reading.time).toBeGreaterThanOrEqual(before - 1);
    expect(reading.time).toBeLessThanOrEqual(Date.now());
  });

  it('inflates gzip bodies and refuses broken gzip and gzip bombs', async () => {
    const body = gzipSync(
      `gz,device=lp-gzip v=1 ${NOW_S}000000000\ngz,device=lp-gzip v=2 ${NOW_S + 1}000000000\n`,
    );
    const response = await write(body, { headers: { 'content-encoding': 'gzip' } });
    expect(response.status).toBe(204);
    expect((await readingsOf('lp-gzip', 2)).map((r) => r.value)).toEqual([1, 2]);

    const broken = await write(Buffer.from('not gzip at all'), {
      headers: { 'content-encoding': 'gzip' },
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      code: 'invalid',
      message: expect.stringContaining('gzip'),
    });

    // 40 MB of zeros compress to ~40 kB: decoding stops at LINE_PROTOCOL_MAX_BYTES (16 MiB)
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 'a'));
    const refused = await write(bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'request too large' });
  });

  it('writes the good lines of a partly bad body and names each bad line (partial write, 400)', async () => {
    const body = [
      `pw,device=lp-partial v=1 ${NOW_S}000000000`,
      `pw,device=lp-partial v=2 ${NOW_S + 1}000000000`,
      'pw,device=lp-partial v=',
      `pw,device=lp-partial v=4 ${NOW_S + 3}000000000`,
      'pw,device=lp-partial v=5 notatime',
    ].join('\n');
    const response = await write(body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/^partial write:/);
    expect(error.message).toContain('(line 3)');
    expect(error.message).toContain('(line 5)');
    expect(error.message).not.toContain('(line 4)');
    expect(error.message).toContain('dropped=2');
    expect((await readingsOf('lp-partial', 3)).map((r) => r.value)).toEqual([1, 2, 4]);
  });

  it('accepts a body of 100k lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i += 1)
      lines.push(`big,device=lp-big-${i % 10} v=${i} ${NOW_S * 1000 - 100_000 + i}000000`);
    const response = await write(lines.join('\n'));
    expect(response.status).toBe(204);
    await waitFor(
      async () =>
        Array.from({ length: 10 }, (_, d) => batchesOf(`lp-big-${d}`))
          .flat()
          .reduce((sum, batch) => sum + batch.readings.length, 0) === 100_000,
      { message: '100k readings in Kafka', timeoutMs: 30_000 },
    );
    const device3 = batchesOf('lp-big-3').flatMap((batch) => batch.readings);
    expect(device3.length).toBe(10_000);
    expect(device3.every((r, index) => r.value === index * 10 + 3)).toBe(true);
  });

  it('authenticates with Token, Basic auth and u/p (v1) and refuses missing, wrong and read-only keys', async () => {
    const line = (device: string) => `auth,device=${device} v=1 ${NOW_S}000000000`;
    const basic = Buffer.from(`anyone:${writer}`).toString('base64');
    const ok = [
      await write(line('lp-auth-basic'), {
        path: '/write',
        query: 'db=x',
        headers: { authorization: `Basic ${basic}` },
      }),
      await write(line('lp-auth-up'), {
        path: '/write',
        query: `db=x&u=me&p=${encodeURIComponent(writer)}`,
        headers: { authorization: '' },
      }),
      await write(line('lp-auth-token'), { path: '/write', query: 'db=x' }),
    ];
    expect(ok.map((r) => r.status)).toEqual([204, 204, 204]);

    const missing = await write(line('x'), { headers: { authorization: '' } });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'unauthorized' });
    expect(
      (await write(line('x'), { headers: { authorization: 'Token nope-nope-nope' } })).status,
    ).toBe(401);
    // Basic auth is a v1 convention: v2 only takes a token
    expect((await write(line('x'), { headers: { authorization: `Basic ${basic}` } })).status).toBe(
      401,
    );
    const readOnly = await write(line('x'), { headers: { authorization: `Token ${reader}` } });
    expect(readOnly.status).toBe(403);
    expect(await readOnly.json()).toMatchObject({ code: 'forbidden' });
    const otherOrg = await write(line('x'), { query: 'org=globex&bucket=b' });
    expect(otherOrg.status).toBe(403);
  });
});
