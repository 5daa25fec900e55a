import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@sluice/testing';
import {
  ReadingsPublisher,
  type OutgoingReading,
  type PublisherObserver,
} from './readings.publisher';

type Responder = (
  body: { readings: OutgoingReading[] },
  req: IncomingMessage,
  res: ServerResponse,
) => void;

// A stand-in HTTP endpoint: the publisher's contract is HTTP status codes, so a real socket server
// that answers with scripted statuses tests exactly what the gateway can answer.
async function startEndpoint(responder: Responder): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => responder(JSON.parse(Buffer.concat(chunks).toString('utf8')), req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function recorder() {
  const events = { accepted: 0, retries: [] as string[], rejected: 0, dropped: 0 };
  const observer: PublisherObserver = {
    accepted: (count) => (events.accepted += count),
    retrying: (reason) => events.retries.push(reason),
    rejected: (count) => (events.rejected += count),
    dropped: (count) => (events.dropped += count),
  };
  return { events, observer };
}

const reading = (i: number): OutgoingReading => ({ device: 'd1', metric: 'm', time: i, value: i });

describe('readings publisher', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  function publisher(
    url: string,
    observer: PublisherObserver,
    overrides: { maxBuffered?: number } = {},
  ) {
    return new ReadingsPublisher({
      gatewayUrl: url,
      apiKey: 'k',
      maxBatch: 3,
      maxBuffered: overrides.maxBuffered ?? 100,
      requestTimeoutMs: 2000,
      initialBackoffMs: 10,
      maxBackoffMs: 50,
      observer,
    });
  }

  it('retries 503 and 429 with the same batch until accepted, sending the API key', async () => {
    const statuses = [503, 429];
    const received: number[] = [];
    const auth: string[] = [];
    const { url, server } = await startEndpoint((body, req, res) => {
      auth.push(String(req.headers.authorization));
      const status = statuses.shift() ?? 202;
      if (status === 202) received.push(...body.readings.map((r) => r.value));
      res.writeHead(status, status === 202 ? {} : { 'retry-after': '0' }).end('{}');
    });
    servers.push(server);
    const { events, observer } = recorder();
    const p = publisher(url, observer);
    p.enqueue([0, 1, 2, 3, 4].map(reading));
    p.start();
    await waitFor(async () => events.accepted === 5, { message: 'all readings accepted' });
    await p.stop();
    expect(received).toEqual([0, 1, 2, 3, 4]);
    expect(events.retries).toEqual(['HTTP 503', 'HTTP 429']);
    expect(auth.every((header) => header === 'Bearer k')).toBe(true);
    expect(events.dropped).toBe(0);
  });

  it('counts a batch the gateway refuses for good and moves on', async () => {
    let calls = 0;
    const { url, server } = await startEndpoint((_body, _req, res) => {
      calls += 1;
      res.writeHead(calls === 1 ? 400 : 202).end('{"error":{}}');
    });
    servers.push(server);
    const { events, observer } = recorder();
    const p = publisher(url, observer);
    p.enqueue([0, 1, 2, 3].map(reading));
    p.start();
    await waitFor(async () => events.accepted === 1, { message: 'second batch accepted' });
    await p.stop();
    expect(events.rejected).toBe(3);
  });

  it('drops the oldest readings beyond the buffer bound and counts them', async () => {
    const { events, observer } = recorder();
    const p = publisher('http://127.0.0.1:9', observer, { maxBuffered: 4 });
    p.enqueue([0, 1, 2].map(reading));
    p.enqueue([3, 4, 5].map(reading));
    expect(events.dropped).toBe(2);
    expect(p.buffered).toBe(4);
    await p.stop();
    expect(events.dropped).toBe(6);
  });

  it('keeps retrying through network errors', async () => {
    const { events, observer } = recorder();
    const p = publisher('http://127.0.0.1:9', observer);
    p.enqueue([reading(1)]);
    p.start();
    await waitFor(async () => events.retries.length >= 2, { message: 'two retries' });
    await p.stop();
    expect(events.retries[0]).toMatch(/^network: /);
    expect(events.dropped).toBe(1);
  });
});
