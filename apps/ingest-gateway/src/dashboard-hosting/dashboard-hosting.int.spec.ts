import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService } from '@sluice/service-runtime';
import { GATEWAY_CONFIG } from '../gateway.config';
import { DashboardHostingModule } from './dashboard-hosting.module';

jest.setTimeout(60_000);

describe('dashboard hosting', () => {
  // The hosting module alone on the service runtime (with /health and /metrics like the gateway):
  // it needs nothing of the gateway but its config.
  let app: NestFastifyApplication;
  const gateway = { baseUrl: '' };
  let distDir: string;

  beforeAll(async () => {
    distDir = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
    mkdirSync(join(distDir, 'assets'));
    mkdirSync(join(distDir, 'icons'));
    writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>Sluice</title>shell');
    writeFileSync(join(distDir, 'assets', 'index-AbC123.js'), 'console.log("app")');
    writeFileSync(join(distDir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    writeFileSync(join(distDir, 'manifest.webmanifest'), '{"name":"Sluice"}');
    writeFileSync(join(distDir, 'icons', 'icon-192.png'), 'png');
    @Global()
    @Module({
      providers: [{ provide: GATEWAY_CONFIG, useValue: { DASHBOARD_DIST_DIR: distDir } }],
      exports: [GATEWAY_CONFIG],
    })
    class ConfigModule {}
    @Module({ imports: [ConfigModule, DashboardHostingModule] })
    class HostingTestModule {}
    app = await bootstrapService(HostingTestModule, {
      name: 'dashboard-hosting-test',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
    });
    const address = app.getHttpServer().address();
    gateway.baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app?.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('serves index.html at / and revalidates it on every load', async () => {
    const response = await fetch(`${gateway.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('shell');
  });

  it('answers app routes with index.html (SPA fallback)', async () => {
    const response = await fetch(`${gateway.baseUrl}/devices/sim-001`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('shell');
  });

  it('lets hashed assets be cached forever, but never the service worker or manifest', async () => {
    const asset = await fetch(`${gateway.baseUrl}/assets/index-AbC123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toBe('console.log("app")');
    const sw = await fetch(`${gateway.baseUrl}/sw.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    await sw.text();
    const manifest = await fetch(`${gateway.baseUrl}/manifest.webmanifest`);
    await manifest.text();
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
    expect(manifest.headers.get('content-type')).toMatch(/manifest\+json/);
  });

  it('answers a missing asset with 404, not with the HTML shell', async () => {
    const response = await fetch(`${gateway.baseUrl}/assets/index-Gone99.js`);
    expect(response.status).toBe(404);
    await response.text();
  });

  it('leaves API paths to the API: unknown ones stay JSON 404s, Nest routes still answer', async () => {
    const unknown = await fetch(`${gateway.baseUrl}/api/v1/no-such-endpoint`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/json/);
    await unknown.text();
    const health = await fetch(`${gateway.baseUrl}/health/live`);
    expect(health.status).toBe(200);
    await health.text();
  });

  it('answers a revalidation of an unchanged index.html with 304', async () => {
    const first = await fetch(`${gateway.baseUrl}/`);
    const etag = first.headers.get('etag');
    await first.text();
    expect(etag).toBeTruthy();
    const again = await fetch(`${gateway.baseUrl}/`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    await again.text();
  });

  it('does not serve files outside the dist folder', async () => {
    const response = await fetch(`${gateway.baseUrl}/..%2f..%2fetc%2fpasswd`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('root:');
  });
});
