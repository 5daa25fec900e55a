import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@sluice/contracts';
import { WORKSPACE_ROOT, waitFor } from '@sluice/testing';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * The broker in a child process, so the outage is a real crash (SIGKILL): connections reset,
 * nothing listening any more.
 */
async function spawnBroker(
  port: number,
  dataDir: string,
): Promise<{ address: string; process: ChildProcess; dataDir: string }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'libs/kafka-broker/src/cli.ts',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
    ],
    { cwd: WORKSPACE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(async () => output.includes('kafka broker listening'), {
    timeoutMs: 30_000,
    message: 'broker child listening',
  });
  return { address: `127.0.0.1:${port}`, process: child, dataDir };
}

describe('POST /api/v1/readings when Kafka is down', () => {
  let gw: TestGateway;
  let broker: Awaited<ReturnType<typeof spawnBroker>>;
  let key: string;

  beforeAll(async () => {
    broker = await spawnBroker(
      await freePort(),
      await mkdtemp(join(tmpdir(), 'gateway-outage-broker-')),
    );
    gw = await startTestGateway({
      brokers: [broker.address],
      env: { KAFKA_PRODUCE_TIMEOUT_MS: '3000', INGEST_RETRY_AFTER_S: '7' },
      topics: [{ topic: Topics.telemetryRaw, partitions: 1 }],
    });
    key = await gw.createKey('acme', ['write']);
  }, 90_000);

  afterAll(async () => {
    await gw?.stop();
    broker?.process.kill('SIGKILL');
    if (broker) await rm(broker.dataDir, { recursive: true, force: true });
  }, 30_000);

  const post = () =>
    fetch(`${gw.baseUrl}/api/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        readings: [{ device: 'd1', metric: 'm', time: Date.now(), value: 1 }],
      }),
    });

  it('answers 202 while the broker is up, 503 with Retry-After while it is down, 202 once it is back', async () => {
    expect((await post()).status).toBe(202);

    broker.process.kill('SIGKILL');
    await new Promise((resolve) => broker.process.once('exit', resolve));
    const started = Date.now();
    const response = await post();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      error: {
        code: 'kafka_unavailable',
        message: expect.stringContaining('nothing was accepted'),
        details: [],
      },
    });
    // bounded by KAFKA_PRODUCE_TIMEOUT_MS (3 s) plus slack, not by kafkajs' own retry budget
    expect(Date.now() - started).toBeLessThan(8_000);

    // Same port and data: the gateway's clients reconnect by themselves.
    broker = await spawnBroker(Number(broker.address.split(':')[1]), broker.dataDir);
    await waitFor(async () => (await post()).status === 202, {
      message: 'accepted again after the broker returned',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  }, 60_000);
});
