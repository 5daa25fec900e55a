/**
 * Speed-layer apply throughput against the real Redis (REDIS_URL), own key prefix, cleaned up:
 * `node -r @swc-node/register apps/aggregator/bench/speed-layer.bench.ts`
 * Shapes: consumed batches of clean records (one device each) as the consumer sees them.
 */
import { randomUUID } from 'node:crypto';
import { applyBatch, DEFAULT_SPEED_LAYER_SETTINGS, type DeviceBatch } from '@sluice/speed-layer';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOTAL = Number(process.env.BENCH_READINGS ?? 1_000_000);
const DEVICES = 1_000;
const METRICS = ['temperature', 'power', 'cpu', 'humidity'];
const SHAPES = [
  // the pipeline benchmark's records: 5 readings of one metric per device and POST
  { readingsPerRecord: 5, recordsPerBatch: 500, metrics: 1 },
  { readingsPerRecord: 20, recordsPerBatch: 100, metrics: METRICS.length },
  { readingsPerRecord: 100, recordsPerBatch: 50, metrics: METRICS.length },
];

async function main(): Promise<void> {
  const prefix = `bench:speed:${randomUUID()}:`;
  const redis = new Redis(url, { keyPrefix: prefix });
  const offsets = new Map<string, number>();
  try {
    for (const shape of SHAPES) {
      let time = Date.now();
      const cpuBefore = await redisCpuSeconds(redis);
      const clientCpuBefore = process.cpuUsage();
      let applied = 0;
      let roundTrips = 0;
      const started = performance.now();
      let device = 0;
      while (applied < TOTAL) {
        const batches: DeviceBatch[] = [];
        for (let r = 0; r < shape.recordsPerBatch; r++) {
          device = (device + 1) % DEVICES;
          const name = `dev-${device}`;
          const offset = (offsets.get(name) ?? 0) + 1;
          offsets.set(name, offset);
          time += 7;
          batches.push({
            tenant: 'bench',
            device: name,
            rawPartition: device % 6,
            rawOffset: String(offset),
            readings: Array.from({ length: shape.readingsPerRecord }, (_, i) => ({
              metric: METRICS[i % shape.metrics],
              time: time + Math.floor(i / shape.metrics),
              value: Math.sin(applied + i) * 50,
              unit: 'W',
            })),
            origin: {
              topic: 'telemetry.clean.v1',
              partition: 0,
              offset: String(roundTrips),
              key: null,
            },
          });
        }
        // "now" follows the data, so every reading is on time, as in a live stream.
        const outcomes = await applyBatch(redis, batches, DEFAULT_SPEED_LAYER_SETTINGS, time);
        const tooLate = outcomes.reduce((sum, o) => sum + o.readingsTooLate, 0);
        if (tooLate > 0) throw new Error(`${tooLate} readings unexpectedly too late`);
        applied += outcomes.reduce((sum, o) => sum + o.readingsApplied, 0);
        roundTrips += 1;
      }
      const seconds = (performance.now() - started) / 1000;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const cpu = (await redisCpuSeconds(redis)) - cpuBefore;
      const clientMicros = (clientCpu.user + clientCpu.system) / applied;
      console.log(
        `speed layer, ${shape.readingsPerRecord} readings/record, ${shape.recordsPerBatch} records/batch: ` +
          `${Math.round(applied / seconds).toLocaleString('en')} readings/s ` +
          `(${applied.toLocaleString('en')} readings, ${Math.round((seconds * 1000) / roundTrips)} ms per batch); ` +
          `Redis CPU ${cpu.toFixed(2)} s = ${Math.round(applied / cpu).toLocaleString('en')} readings per Redis CPU second ` +
          `(${((cpu * 1e6) / applied).toFixed(2)} µs/reading); ` +
          `client CPU ${clientMicros.toFixed(2)} µs/reading (building records included)`,
      );
    }
  } finally {
    const cleaner = new Redis(url);
    let cursor = '0';
    do {
      const [next, keys] = await cleaner.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await cleaner.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    await cleaner.quit();
    await redis.quit();
  }
}

/**
 * Redis's own CPU time: a capacity figure independent of what else loads the machine, as long as
 * no other client uses the same server during the run (it counts every client).
 */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const fields = new Map(
    info
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => line.split(':') as [string, string]),
  );
  return Number(fields.get('used_cpu_user') ?? 0) + Number(fields.get('used_cpu_sys') ?? 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
