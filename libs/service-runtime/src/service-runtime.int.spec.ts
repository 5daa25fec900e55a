import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { spawnService, type SpawnedService, waitFor } from '@sluice/testing';

const FIXTURE = join(__dirname, '__fixtures__', 'runtime-fixture.main.ts');

async function startFixture(
  env: Record<string, string>,
): Promise<{ service: SpawnedService; url: string }> {
  const service = spawnService(FIXTURE, env);
  const line = await service.waitForLine(/"msg":"listening"/, 30_000);
  const { url } = JSON.parse(line) as { url: string };
  return { service, url };
}

describe('graceful shutdown', () => {
  const started: SpawnedService[] = [];

  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop()));
  });

  it('finishes in-flight work on SIGTERM and exits 0, reporting draining meanwhile', async () => {
    const { service, url } = await startFixture({ GRACE_MS: '30000', SLOW_SHUTDOWN_MS: '600000' });
    started.push(service);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    service.kill('SIGTERM');

    // while the in-flight work runs, the server still answers and readiness says draining
    const draining = await waitFor(async () => {
      const response = await fetch(`${url}/health/ready`);
      return response.status === 503 ? ((await response.json()) as { status: string }) : undefined;
    });
    expect(draining.status).toBe('draining');
    expect(service.lines.some((line) => line.includes('in-flight work finished'))).toBe(false);

    await fetch(`${url}/release`, { method: 'POST' });

    expect(await service.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(service.lines.some((line) => line.includes('in-flight work finished'))).toBe(true);
    expect(service.jsonLines().some((line) => line['msg'] === 'shutdown complete')).toBe(true);
  }, 60_000);

  it('cuts a shutdown hook that outlives graceMs off with an error and exit code 1', async () => {
    // the hook would take 10 minutes: exiting at all within the test timeout proves the cut-off
    const { service } = await startFixture({ GRACE_MS: '1000', SLOW_SHUTDOWN_MS: '600000' });
    started.push(service);

    service.kill('SIGTERM');

    expect(await service.waitForExit(20_000)).toEqual({ code: 1, signal: null });
    expect(service.lines.some((line) => line.includes('in-flight work finished'))).toBe(false);
    expect(service.jsonLines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        graceMs: 1000,
        msg: 'shutdown did not finish within 1000 ms; forcing exit',
      }),
    );
  }, 60_000);
});

describe('bootstrapService', () => {
  const started: SpawnedService[] = [];

  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop()));
  });

  async function post(url: string, bytes: number): Promise<number> {
    const response = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: 'x'.repeat(bytes) }),
    });
    return response.status;
  }

  // Fastify refuses a body as soon as its Content-Length exceeds the limit and closes the socket;
  // uploading the body would race that close (EPIPE), so only the headers are sent.
  function announceBody(url: string, bytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': bytes },
      });
      request.on('response', (response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      request.on('error', reject);
      request.flushHeaders();
    });
  }

  it('accepts bodies up to the configured limit and answers 413 above it', async () => {
    const { service, url } = await startFixture({ BODY_LIMIT: '2048' });
    started.push(service);
    expect(await post(url, 1000)).toBe(201);
    expect(await announceBody(url, 4000)).toBe(413);
  }, 60_000);

  it('defaults the body limit to 10 MiB', async () => {
    const { service, url } = await startFixture({});
    started.push(service);
    expect(await post(url, 10 * 1024 * 1024 - 100)).toBe(201);
    expect(await announceBody(url, 10 * 1024 * 1024 + 1)).toBe(413);
  }, 60_000);

  it('serves /metrics with the service label and logs uncaught exceptions as fatal before exiting 1', async () => {
    const { service, url } = await startFixture({});
    started.push(service);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^process_resident_memory_bytes\{service="runtime-fixture"\} \d+/m);

    await fetch(`${url}/crash`, { method: 'POST' });

    expect(await service.waitForExit(20_000)).toEqual({ code: 1, signal: null });
    expect(service.jsonLines()).toContainEqual(
      expect.objectContaining({
        level: 'fatal',
        msg: 'uncaught exception; exiting',
        err: expect.objectContaining({ message: 'fixture crash' }),
      }),
    );
  }, 60_000);
});
