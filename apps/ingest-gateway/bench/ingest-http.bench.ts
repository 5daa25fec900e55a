/**
 * `npm run bench -- ingest-http`: what the gateway accepts into Kafka (acks=all) per second over
 * HTTP — InfluxDB line protocol in 5,000-line bodies and JSON batches of 5,000 readings — and the
 * gateway's CPU time per point. Only the gateway and the embedded broker run (end to end to storage
 * is the `pipeline` benchmark). Target: 300k points/s accepted. Also printed: the broker's CPU per
 * point and the gateway's mean wait for Kafka's acknowledgement per request, which tell whether a
 * request's time goes to the gateway's work or to the broker.
 *
 * BENCH_POINTS (default 1,000,000 per format), BENCH_CONCURRENCY (4), BENCH_DEVICES (100),
 * BENCH_FORMATS (`line,json`: which to measure, e.g. `json` alone when profiling the gateway).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '@sluice/pipeline-launcher';
import { processCpuSeconds } from '@sluice/testing';
import { Client } from 'pg';

const ADMIN_DATABASE_URL =
  process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const API_KEY = 'bench-ingest-key';

const total = Number(process.env.BENCH_POINTS ?? 1_000_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const devices = Number(process.env.BENCH_DEVICES ?? 100);
const formats = new Set((process.env.BENCH_FORMATS ?? 'line,json').split(','));
const PER_BODY = 5000;

/** Sum and count of the gateway's Kafka produce-duration histogram (from its /metrics). */
async function produceWait(url: string): Promise<{ seconds: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (suffix: string) => {
    const line = text
      .split('\n')
      .find(
        (each) =>
          each.startsWith(`sluice_gateway_kafka_produce_duration_seconds_${suffix}{`) &&
          each.includes('outcome="ok"'),
      );
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { seconds: read('sum'), count: read('count') };
}

function lineBody(index: number, base: number): string {
  const lines: string[] = [];
  for (let k = 0; k < PER_BODY; k += 1) {
    const time = (base + index * PER_BODY + k) * 1_000_000;
    lines.push(`env,device=bench-${k % devices},site=s1 temperature=${20 + (k % 10) / 10} ${time}`);
  }
  return lines.join('\n');
}

function jsonBody(index: number, base: number): string {
  const readings = [];
  for (let k = 0; k < PER_BODY; k += 1) {
    readings.push({
      device: `bench-${k % devices}`,
      metric: 'env.temperature',
      time: base + index * PER_BODY + k,
      value: 20 + (k % 10) / 10,
      tags: { site: 's1' },
    });
  }
  return JSON.stringify({ readings });
}

async function measure(
  pipeline: Pipeline,
  name: string,
  send: (index: number) => Promise<Response>,
): Promise<void> {
  const bodies = Math.ceil(total / PER_BODY);
  const gateway = pipeline.service('ingest-gateway');
  const pid = gateway.process.pid;
  const brokerPid = pipeline.broker?.pid;
  // warm-up: JIT, producer metadata, device registration
  for (let i = 0; i < 4; i += 1) await expectOk(await send(i));
  const cpuBefore = processCpuSeconds(pid) ?? NaN;
  const brokerCpuBefore = processCpuSeconds(brokerPid) ?? NaN;
  const waitBefore = await produceWait(gateway.url);
  const started = process.hrtime.bigint();
  let next = 4;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies + 4) {
        const index = next++;
        const t0 = performance.now();
        await expectOk(await send(index));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = (processCpuSeconds(pid) ?? NaN) - cpuBefore;
  const brokerCpu = (processCpuSeconds(brokerPid) ?? NaN) - brokerCpuBefore;
  const waitAfter = await produceWait(gateway.url);
  const meanProduceMs =
    ((waitAfter.seconds - waitBefore.seconds) / (waitAfter.count - waitBefore.count)) * 1000;
  const points = bodies * PER_BODY;
  latencies.sort((a, b) => a - b);
  const p = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(
    `${name}: ${points.toLocaleString('en')} points in ${seconds.toFixed(2)} s = ` +
      `${Math.round(points / seconds).toLocaleString('en')} points/s accepted; gateway CPU ` +
      `${cpu.toFixed(2)} s (${((cpu / points) * 1e6).toFixed(2)} µs/point, ` +
      `${Math.round(points / cpu).toLocaleString('en')} points per CPU-second); ` +
      `request p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms, of which waiting for ` +
      `Kafka's ack ${meanProduceMs.toFixed(0)} ms on average; broker CPU ` +
      `${((brokerCpu / points) * 1e6).toFixed(2)} µs/point`,
  );
}

async function expectOk(response: Response): Promise<void> {
  if (response.status !== 204 && response.status !== 202)
    throw new Error(`gateway answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function main(): Promise<void> {
  const id = `bench_ingest_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-ingest-'));
  const databaseUrl = new URL(ADMIN_DATABASE_URL);
  databaseUrl.pathname = `/${id}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${id}`);
  const pipeline = new Pipeline({
    dataDir,
    databaseUrl: databaseUrl.toString(),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    ports: 'ephemeral',
    services: ['ingest-gateway'],
    env: {
      SEED_DEMO: 'true',
      DEMO_API_KEY: API_KEY,
      REDIS_KEY_PREFIX: `${id}:`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_READINGS_PER_S: '0',
    },
  });
  try {
    await pipeline.start();
    const url = pipeline.service('ingest-gateway').url;
    const base = Date.now() - 3_600_000;
    console.log(
      `gateway only (embedded broker, acks=all); ${total.toLocaleString('en')} points per format, ` +
        `${PER_BODY}-point bodies (8 distinct, rotated), ${concurrency} concurrent clients, ${devices} devices`,
    );
    const lineBodies = new Map<number, string>();
    if (formats.has('line'))
      await measure(pipeline, 'line protocol (/api/v2/write)', (index) => {
        const body = lineBodies.get(index % 8) ?? lineBody(index % 8, base);
        lineBodies.set(index % 8, body);
        return fetch(`${url}/api/v2/write?org=demo&bucket=b&precision=ns`, {
          method: 'POST',
          headers: { authorization: `Token ${API_KEY}`, 'content-type': 'text/plain' },
          body,
        });
      });
    const jsonBodies = new Map<number, string>();
    if (formats.has('json'))
      await measure(pipeline, 'JSON batches (/api/v1/readings)', (index) => {
        const body = jsonBodies.get(index % 8) ?? jsonBody(index % 8, base);
        jsonBodies.set(index % 8, body);
        return fetch(`${url}/api/v1/readings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body,
        });
      });
  } finally {
    await pipeline.stop(15_000);
    await admin.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
