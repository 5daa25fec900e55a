import {
  Topics,
  buildHeaders,
  deviceKey,
  encodeRecord,
  type CleanReadingBatch,
} from '@sluice/contracts';
import { KafkaProducer } from '@sluice/kafka';
import { waitFor } from '@sluice/testing';
import { WebSocket } from 'ws';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

interface ReadingsFrame {
  type: 'readings';
  device: string;
  readings: Array<{ metric: string; time: number; value: number; unit?: string }>;
}
type Frame = { type: string; [key: string]: unknown };

/** A /ws client that records every message it receives. */
class TestClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  async expectFrame(predicate: (frame: Frame) => boolean, message: string): Promise<Frame> {
    return waitFor(async () => this.frames.find(predicate), { message, timeoutMs: 20_000 });
  }

  values(device: string): number[] {
    return this.frames
      .filter(
        (frame): frame is Frame & ReadingsFrame =>
          frame.type === 'readings' && frame.device === device,
      )
      .flatMap((frame) => frame.readings.map((reading) => reading.value));
  }
}

describe('WebSocket /ws live readings', () => {
  let gw: TestGateway | undefined;
  let producer: KafkaProducer;
  const keys = { acme: '', globex: '', scoped: '', writeOnly: '' };
  const clients: TestClient[] = [];
  let rawOffset = 0;

  beforeAll(async () => {
    gw = await startTestGateway({ topics: [{ topic: Topics.telemetryClean, partitions: 1 }] });
    keys.acme = await gw.createKey('acme', ['read']);
    keys.globex = await gw.createKey('globex', ['read']);
    keys.scoped = await gw.createKey('acme', ['read'], ['d1']);
    keys.writeOnly = await gw.createKey('acme', ['write']);
    producer = new KafkaProducer(gw.kafka);
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    await producer?.disconnect();
    await gw?.stop();
  }, 30_000);

  async function open(query = ''): Promise<TestClient> {
    const client = await TestClient.open(`${gw!.wsUrl}${query}`);
    clients.push(client);
    return client;
  }

  function produceClean(tenant: string, device: string, value: number): Promise<void> {
    rawOffset += 1;
    const batch: CleanReadingBatch = {
      tenant,
      device,
      deviceTags: { site: 's1' },
      rawPartition: 0,
      rawOffset: String(rawOffset),
      readings: [{ metric: 'temperature', time: Date.now(), value, unit: 'C' }],
    };
    return producer.send(Topics.telemetryClean, [
      {
        key: deviceKey(tenant, device),
        value: encodeRecord(batch),
        headers: buildHeaders({ ingestTs: Date.now() }),
      },
    ]);
  }

  it('delivers readings of the subscribed device only, never another tenant’s', async () => {
    const acme = await open(`?apiKey=${keys.acme}`);
    await acme.expectFrame(
      (f) => f.type === 'authenticated' && f.tenant === 'acme',
      'authenticated',
    );
    acme.send({ type: 'subscribe', devices: ['d1'] });
    await acme.expectFrame((f) => f.type === 'subscribed', 'subscribed');

    const globex = await open();
    globex.send({ type: 'auth', apiKey: keys.globex });
    await globex.expectFrame(
      (f) => f.type === 'authenticated' && f.tenant === 'globex',
      'globex authenticated',
    );
    globex.send({ type: 'subscribe', devices: ['d1'] });
    await globex.expectFrame((f) => f.type === 'subscribed', 'globex subscribed');

    // The live feed starts at the latest offset once its group has joined: probe until it flows.
    await waitFor(
      async () => {
        await produceClean('acme', 'd1', -1);
        return acme.values('d1').includes(-1);
      },
      { message: 'live feed delivering', intervalMs: 250, timeoutMs: 30_000 },
    );

    await produceClean('globex', 'd1', 666);
    await produceClean('acme', 'd2', 777);
    await produceClean('acme', 'd1', 42);
    const frame = await acme.expectFrame(
      (f) => f.type === 'readings' && (f as unknown as ReadingsFrame).readings[0].value === 42,
      'acme/d1 reading delivered',
    );
    expect(frame).toEqual({
      type: 'readings',
      device: 'd1',
      readings: [{ metric: 'temperature', time: expect.any(Number), value: 42, unit: 'C' }],
    });
    await globex.expectFrame((f) => f.type === 'readings', 'globex/d1 reading delivered');
    // single partition: everything produced before acme's 42 has been dispatched by now
    expect(acme.values('d1').filter((v) => v !== -1)).toEqual([42]);
    expect(acme.values('d2')).toEqual([]);
    expect(globex.values('d1')).toEqual([666]);

    acme.send({ type: 'unsubscribe', devices: ['d1'] });
    await acme.expectFrame(
      (f) => f.type === 'subscribed' && (f.devices as string[]).length === 0,
      'unsubscribed',
    );
  });

  it('handles a subscribe sent right behind the auth message, without waiting for the reply', async () => {
    const client = await open();
    client.send({ type: 'auth', apiKey: keys.acme });
    client.send({ type: 'subscribe', devices: ['d1'] });
    await client.expectFrame((f) => f.type === 'subscribed', 'subscribed');
    expect(client.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('refuses a bad key at the handshake with HTTP 401', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${gw!.wsUrl}?apiKey=wrong`);
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.once('open', () => reject(new Error('connection should have been refused')));
    });
    expect(status).toBe(401);
  });

  it('requires authentication before subscribing and closes after a failed auth message', async () => {
    const client = await open();
    client.send({ type: 'subscribe', devices: ['d1'] });
    await client.expectFrame(
      (f) => f.type === 'error' && f.code === 'unauthorized',
      'unauthorized error',
    );
    client.send({ type: 'auth', apiKey: 'wrong' });
    await waitFor(async () => client.closed, { message: 'socket closed' });
    expect(client.closed?.code).toBe(1008);
  });

  it('refuses keys without read scope and devices outside a device-scoped key', async () => {
    const writeOnly = await open();
    writeOnly.send({ type: 'auth', apiKey: keys.writeOnly });
    await writeOnly.expectFrame(
      (f) => f.type === 'error' && f.code === 'forbidden',
      'forbidden (scope)',
    );

    const scoped = await open(`?apiKey=${keys.scoped}`);
    scoped.send({ type: 'subscribe', devices: ['d1', 'd9'] });
    const error = await scoped.expectFrame((f) => f.type === 'error', 'forbidden (device)');
    expect(error).toMatchObject({
      code: 'forbidden',
      details: [{ path: 'devices[1]', value: 'd9' }],
    });
  });

  it('answers malformed messages with an error naming the problem', async () => {
    const client = await open(`?apiKey=${keys.acme}`);
    client.send({ type: 'subscribe', devices: 'd1' });
    const error = await client.expectFrame((f) => f.type === 'error', 'invalid message error');
    expect(error).toMatchObject({ code: 'invalid_message', details: [{ path: 'devices' }] });
  });

  it('exposes client and delivery metrics', async () => {
    const text = await (await fetch(`${gw!.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^sluice_gateway_ws_clients\{[^}]*\} [1-9]/m);
    expect(text).toMatch(/^sluice_gateway_ws_frames_sent_total\{[^}]*\} [1-9]/m);
    expect(text).toMatch(/^sluice_gateway_live_delivery_latency_seconds_count\{[^}]*\} [1-9]/m);
  });

  it('reads the clean topic only while a client is subscribed, and then from its end', async () => {
    const metricOf = async (pattern: RegExp): Promise<number | undefined> => {
      const text = await (await fetch(`${gw!.baseUrl}/metrics`)).text();
      const match = pattern.exec(text);
      return match ? Number(match[1]) : undefined;
    };
    const liveConsumed = async () =>
      (await metricOf(
        /^sluice_kafka_consumed_records_total\{[^}]*group="ingest-gateway-live-[^}]*\} (\S+)$/m,
      )) ?? 0;
    for (const client of clients.splice(0)) client.ws.terminate();
    await waitFor(
      async () => (await metricOf(/^sluice_gateway_live_feed_active\{[^}]*\} (\S+)$/m)) === 0,
      { message: 'live feed paused once the last subscriber left' },
    );
    const consumedBefore = await liveConsumed();
    // produced while nobody listens: never fetched, not even once someone subscribes
    for (let value = 100; value < 105; value++) await produceClean('acme', 'quiet', value);

    const client = await open(`?apiKey=${keys.acme}`);
    client.send({ type: 'subscribe', devices: ['quiet'] });
    await client.expectFrame((f) => f.type === 'subscribed', 'subscribed');
    await produceClean('acme', 'quiet', 200);
    await client.expectFrame(
      (f) => f.type === 'readings' && f.device === 'quiet',
      'the reading produced after the subscription',
    );
    expect(client.values('quiet')).toEqual([200]);
    expect((await liveConsumed()) - consumedBefore).toBe(1);
    expect(await metricOf(/^sluice_gateway_live_feed_active\{[^}]*\} (\S+)$/m)).toBe(1);
  });

  it('closes open sockets with 1001 when the gateway shuts down', async () => {
    const client = await open(`?apiKey=${keys.acme}`);
    await client.expectFrame((f) => f.type === 'authenticated', 'authenticated');
    await producer.disconnect();
    const stopping = gw!.stop();
    gw = undefined;
    await waitFor(async () => client.closed, { message: 'socket closed by shutdown' });
    expect(client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await stopping;
  }, 30_000);
});
