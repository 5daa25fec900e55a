/**
 * End-to-end throughput and latency of the foundation path on embedded defaults:
 * HTTP POST /api/v1/readings → telemetry.raw.v1 → stream-transformer → telemetry.clean.v1 →
 * aggregator raw sink → PostgreSQL `readings`.
 *
 * Latency of a reading = its row's `ingested_at` (the raw sink's transaction time) minus the moment
 * the gateway acknowledged the POST that carried it. Env: BENCH_READINGS (default 1,000,000),
 * BENCH_DEVICES (1000), BENCH_BATCH (5000 readings per POST), BENCH_CONCURRENCY (4 POSTs in flight),
 * BENCH_RATE (readings/s offered; unset = as fast as the gateway accepts). Without a rate the
 * gateway outruns the consumers and the latency printed is mostly queueing in Kafka; with one, it is
 * the pipeline's latency at that load, and "sustained" means the stored rate kept up with it.
 * Also prints each service's CPU time over the run (Linux /proc), and the whole machine's busy CPU
 * (PostgreSQL, Redis and the broker included): on a shared 2-core machine the readings/s figure
 * moves with the neighbours' load, CPU µs per reading does not.
 */
import { readFileSync } from 'node:fs';
import { processCpuSeconds } from '@sluice/testing';
import { E2eEnvironment, E2E_TENANT } from '../support/e2e-environment';

const SERVICES = ['ingest-gateway', 'stream-transformer', 'aggregator'] as const;

const total = Number(process.env.BENCH_READINGS ?? 1_000_000);
const deviceCount = Number(process.env.BENCH_DEVICES ?? 1000);
const batchSize = Number(process.env.BENCH_BATCH ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const offeredRate = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const perDevicePerBatch = Math.max(1, Math.floor(batchSize / deviceCount));
const readingsPerBatch = perDevicePerBatch * deviceCount;
const batchCount = Math.ceil(total / readingsPerBatch);
// Reading time encodes its batch: time = base + batch * SLOT + k, so a row maps back to the POST.
const SLOT_MS = perDevicePerBatch + 1;

/** Busy (non-idle, non-iowait) CPU seconds of the whole machine so far, from /proc/stat. */
function machineBusySeconds(): number | undefined {
  try {
    const [, ...jiffies] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    // fields: user nice system idle iowait irq softirq steal
    const [user, nice, system, , , irq, softirq, steal] = jiffies.map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}

/** `sluice_raw_sink_rows_inserted_total` of the aggregator (rows new to `readings`). */
async function rowsInserted(aggregatorUrl: string): Promise<number> {
  const response = await fetch(`${aggregatorUrl}/metrics`);
  const text = await response.text();
  const line = /^sluice_raw_sink_rows_inserted_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return line ? Number(line[1]) : 0;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const env = new E2eEnvironment();
  console.log(`starting an isolated pipeline (database ${env.id}) ...`);
  await env.start({
    env: {
      SEED_DEMO: 'true',
      DEMO_API_KEY: 'e2e-demo-key',
      REDIS_KEY_PREFIX: env.redisPrefix,
      LOG_LEVEL: 'warn',
    },
  });
  try {
    const devices = Array.from({ length: deviceCount }, (_, i) => `bench-${i}`);
    const base = Date.now() - 60_000;
    const bodies: string[] = [];
    for (let b = 0; b < batchCount; b++) {
      const readings = [];
      for (let k = 0; k < perDevicePerBatch; k++) {
        for (const device of devices) {
          readings.push({
            device,
            metric: 'power',
            time: base + b * SLOT_MS + k,
            value: 100 + ((b * 7 + k) % 50),
          });
        }
      }
      bodies.push(JSON.stringify({ readings }));
    }
    const expected = batchCount * readingsPerBatch;
    console.log(
      `posting ${expected} readings in ${batchCount} POSTs of ${readingsPerBatch} (${concurrency} in flight) ...`,
    );

    const pidOf = (name: string) => env.pipeline.service(name).process.pid;
    const cpuBefore = SERVICES.map((name) => processCpuSeconds(pidOf(name)));
    const machineBefore = machineBusySeconds();
    const ackAt = new Array<number>(batchCount);
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < batchCount) {
        const index = next++;
        if (offeredRate !== undefined) {
          const due = started + (index * readingsPerBatch * 1000) / offeredRate;
          if (due > Date.now())
            await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        }
        for (;;) {
          const response = await fetch(`${env.gatewayUrl}/api/v1/readings`, {
            method: 'POST',
            headers: { authorization: 'Bearer e2e-demo-key', 'content-type': 'application/json' },
            body: bodies[index],
          });
          await response.arrayBuffer();
          if (response.status === 202) break;
          if (response.status !== 429 && response.status !== 503)
            throw new Error(`POST answered ${response.status}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        ackAt[index] = Date.now();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const postedMs = Date.now() - started;
    console.log(
      `gateway accepted ${expected} readings in ${(postedMs / 1000).toFixed(1)} s (${Math.round(expected / (postedMs / 1000))} readings/s accepted)`,
    );

    // Progress comes from the raw sink's counter: a count(*) over the growing table every second
    // cost PostgreSQL — the bottleneck here — seconds of CPU per run. The table is counted once
    // the counter says everything is in, and again each second only if it disagrees.
    const aggregatorUrl = env.pipeline.service('aggregator').url;
    const countRows = async () => {
      const { rows } = await env.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM readings WHERE tenant = $1',
        [E2E_TENANT],
      );
      return Number(rows[0].n);
    };
    let stored = 0;
    const deadline = Date.now() + 15 * 60_000;
    while (stored < expected) {
      if (Date.now() > deadline)
        throw new Error(`only ${stored} of ${expected} rows stored after 15 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const inserted = await rowsInserted(aggregatorUrl);
      process.stdout.write(`\r  stored ${inserted} / ${expected}`);
      if (inserted >= expected) stored = await countRows();
    }
    process.stdout.write('\n');
    const cpu = SERVICES.map((name, i) => {
      const after = processCpuSeconds(pidOf(name));
      const before = cpuBefore[i];
      if (after === undefined || before === undefined) return `${name} n/a`;
      const seconds = after - before;
      return `${name} ${seconds.toFixed(1)} s (${((seconds * 1e6) / expected).toFixed(1)} µs/reading)`;
    });
    console.log(`CPU over the run: ${cpu.join(', ')}`);
    const machineAfter = machineBusySeconds();
    if (machineBefore !== undefined && machineAfter !== undefined)
      console.log(
        `whole machine busy CPU (all services, PostgreSQL, Redis, broker, this client): ${(machineAfter - machineBefore).toFixed(1)} s (${(((machineAfter - machineBefore) * 1e6) / expected).toFixed(1)} µs/reading)`,
      );

    const { rows } = await env.pool.query<{ t: string; s: string }>(
      `SELECT (extract(epoch FROM time) * 1000)::bigint AS t, (extract(epoch FROM ingested_at) * 1000)::bigint AS s
         FROM readings WHERE tenant = $1`,
      [E2E_TENANT],
    );
    const latencies: number[] = [];
    let lastStored = 0;
    for (const row of rows) {
      const batch = Math.floor((Number(row.t) - base) / SLOT_MS);
      const storedAt = Number(row.s);
      lastStored = Math.max(lastStored, storedAt);
      latencies.push(Math.max(0, storedAt - ackAt[batch]));
    }
    latencies.sort((a, b) => a - b);
    const seconds = (lastStored - started) / 1000;
    console.log(
      `end to end: ${expected} readings stored in ${seconds.toFixed(1)} s → ${Math.round(expected / seconds)} readings/s sustained`,
    );
    console.log(
      `latency gateway accept → stored row: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
    );
  } finally {
    await env.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
