import { encodeRecord, Topics, type IncidentNotificationRecord } from '@sluice/contracts';
import { KafkaProducer } from '@sluice/kafka';
import { uniqueName, waitFor } from '@sluice/testing';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

jest.setTimeout(60_000);

const notification = (tenant: string, device: string, key: string): IncidentNotificationRecord => ({
  idempotencyKey: key,
  notification: 'opened',
  sentAt: Date.now(),
  incident: {
    id: `inc-${key}`,
    tenant,
    device,
    metric: 'temperature',
    kind: 'threshold',
    severity: 'critical',
    status: 'firing',
    message: 'too hot',
    evidence: {},
    openedAt: Date.now(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
  },
});

/** `/ws` `subscribe-alerts`: incident frames from notifications.v1, scoped to the key's tenant and devices. */
describe('WebSocket incident notifications', () => {
  const topic = uniqueName('notifications');
  let gateway: TestGateway;
  let producer: KafkaProducer;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway({
      env: { TOPIC_NOTIFICATIONS: topic },
      // the live readings feed needs its topic too, or it logs start-offset warnings
      topics: [
        { topic, partitions: 1 },
        { topic: Topics.telemetryClean, partitions: 1 },
      ],
    });
    producer = new KafkaProducer(gateway.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await producer?.disconnect();
    await gateway?.stop();
  });

  async function client(apiKey: string, subscribe: boolean) {
    const socket = new WebSocket(`${gateway.wsUrl}?apiKey=${apiKey}`);
    sockets.push(socket);
    const incidents: string[] = [];
    let confirmed = !subscribe;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; incident?: { device: string } };
      if (frame.type === 'alerts-subscribed') confirmed = true;
      if (frame.type === 'incident' && frame.incident) incidents.push(frame.incident.device);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    if (subscribe) socket.send(JSON.stringify({ type: 'subscribe-alerts' }));
    await waitFor(() => confirmed || undefined, { message: 'alerts subscription' });
    return incidents;
  }

  it('pushes each incident once to the subscribers of its tenant allowed to see its device', async () => {
    const acme = await client(await gateway.createKey('acme', ['read']), true);
    const acmeD1Only = await client(await gateway.createKey('acme', ['read'], ['d1']), true);
    const other = await client(await gateway.createKey('other', ['read']), true);
    const notSubscribed = await client(await gateway.createKey('acme', ['read']), false);

    const records = [
      notification('acme', 'd1', 'k1'),
      notification('acme', 'd2', 'k2'),
      notification('other', 'd9', 'k3'),
    ];
    // the gateway's feed starts at the latest offset once its group joined: publish until it does;
    // repeats carry the same idempotency keys, which the gateway drops
    await waitFor(
      async () => {
        await producer.send(
          topic,
          records.map((record) => ({ key: record.incident.tenant, value: encodeRecord(record) })),
        );
        return acme.length >= 2 || undefined;
      },
      { message: 'incident frames', intervalMs: 300, timeoutMs: 30_000 },
    );
    await waitFor(() => (other.length >= 1 && acmeD1Only.length >= 1) || undefined, {
      message: 'frames to the other clients',
    });
    expect(acme.sort()).toEqual(['d1', 'd2']);
    expect(acmeD1Only).toEqual(['d1']);
    expect(other).toEqual(['d9']);
    expect(notSubscribed).toEqual([]);
  });
});
