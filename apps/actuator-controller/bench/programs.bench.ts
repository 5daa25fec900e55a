/**
 * Programs on the stream: BENCH_PROGRAMS (10,000) enabled thermostat programs, one per device, fed
 * through the real path at BENCH_RATE readings/s (20,000) for BENCH_SECONDS (30):
 * POST /api/v1/readings → telemetry.raw.v1 → stream-transformer → telemetry.clean.v1 →
 * actuator-controller (evaluation, safety, commands table, publish to actuator.commands.v1).
 *
 * Prints the evaluation throughput and the latency from the gateway accepting a reading (the ingest
 * timestamp header it stamps) to the command it caused being published (`commands.sent_at`, set
 * once Kafka acknowledged the command), p50/p99. Each device toggles between 27 °C and 21 °C every
 * BENCH_TOGGLE_EVERY readings (default 100), so about rate/100 commands/s are issued. No agent
 * acknowledges them (ack timeout raised so no retries run during the measurement).
 *
 * Where the time goes: accept → clean record produced (the transformer's
 * `sluice_pipeline_ingest_latency_seconds{stage="clean"}`, interpolated within its buckets),
 * accept → command row created (`commands.created_at`: evaluation and safety done, persisting
 * starts) and created → published, plus the CPU each service spent per reading. The latency per
 * second of the run (by ingest timestamp) and the p50/p99 from 5 s on tell a transient after the
 * warm-up from a steady state; the measurement starts once the controller has committed every
 * warm-up record.
 *
 * BENCH_INPUT=clean runs the controller alone: the bench produces the clean records itself
 * (one per reading, keyed by device, ingest timestamp = when it sends them), so the figures are the
 * controller's share: clean record sent → command published.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '@sluice/db';
import {
  buildHeaders,
  deviceKey,
  encodeRecord,
  Topics,
  type CleanReadingBatch,
} from '@sluice/contracts';
import { createKafka, KafkaProducer } from '@sluice/kafka';
import { Pipeline } from '@sluice/pipeline-launcher';
import { parseProgram, thermostatTemplate } from '@sluice/programs';
import { processCpuSeconds } from '@sluice/testing';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';

const programs = Number(process.env.BENCH_PROGRAMS ?? 10_000);
const rate = Number(process.env.BENCH_RATE ?? 20_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const toggleEvery = Number(process.env.BENCH_TOGGLE_EVERY ?? 100);
const input = process.env.BENCH_INPUT === 'clean' ? 'clean' : 'gateway';
const TICK_MS = 100;
const STEADY_AFTER_MS = 5_000;
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'bench-programs-key';

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Cumulative bucket counts (`le` → count) of a histogram's series with `label`, from /metrics. */
async function buckets(url: string, name: string, label: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    counts.set(
      le === '+Inf' ? Infinity : Number(le),
      Number(line.slice(line.lastIndexOf(' ') + 1)),
    );
  }
  return counts;
}

/** The q-quantile of the observations between two bucket snapshots, as Prometheus' histogram_quantile. */
function bucketQuantile(
  before: Map<number, number>,
  after: Map<number, number>,
  q: number,
): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const rank = q * count(Infinity);
  let lower = 0;
  for (const le of bounds) {
    const below = lower === 0 ? 0 : count(lower);
    if (count(le) >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count(le) - below);
    }
    lower = le;
  }
  return NaN;
}

/** The controller's evaluation batches (records, time) and its command produce calls. */
async function controllerBatches(url: string) {
  const group = 'group="actuator-controller",topic="telemetry.clean.v1"';
  return {
    records: await buckets(url, 'sluice_kafka_consumer_batch_records', group),
    duration: await buckets(url, 'sluice_kafka_consumer_batch_duration_seconds', group),
    produce: await buckets(
      url,
      'sluice_kafka_produce_duration_seconds',
      `topic="${Topics.actuatorCommands}"`,
    ),
  };
}

/**
 * Resolves once the evaluation group has committed every record of the clean topic: the warm-up's
 * last batches (thousands of commands and states) are done, not only its commands published.
 */
async function waitForEvaluationIdle(brokers: string[]): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'bench-programs-admin' }).admin();
  await admin.connect();
  try {
    for (;;) {
      const ends = await admin.fetchTopicOffsets(Topics.telemetryClean);
      const [committed] = await admin.fetchOffsets({
        groupId: 'actuator-controller',
        topics: [Topics.telemetryClean],
      });
      const done = ends.every(({ partition, high }) => {
        const offset = committed.partitions.find((p) => p.partition === partition)?.offset;
        return offset === high || (high === '0' && offset === '-1');
      });
      if (done) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

interface BenchReading {
  device: string;
  metric: string;
  time: number;
  value: number;
}

/** Where the bench sends readings; `send` resolves with a failure description, if any. */
interface Feed {
  name: string;
  /** What the latency is measured from. */
  acceptedAt: string;
  send(readings: BenchReading[]): Promise<string | undefined>;
  retries(): number;
  close(): Promise<void>;
}

function gatewayFeed(pipeline: Pipeline): Feed {
  const gateway = pipeline.service('ingest-gateway').url;
  let retries = 0;
  return {
    name: 'POST /api/v1/readings',
    acceptedAt: 'gateway accept → command published',
    retries: () => retries,
    close: async () => undefined,
    async send(readings) {
      const body = JSON.stringify({ readings });
      // a loaded machine can make Kafka slow: 503/429 are retried (counted), as a client would
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(`${gateway}/api/v1/readings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body,
        });
        if (response.status === 202) return undefined;
        const text = await response.text();
        if ((response.status !== 503 && response.status !== 429) || attempt >= 20)
          return `gateway answered ${response.status}: ${text.slice(0, 200)}`;
        retries++;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
  };
}

async function cleanFeed(pipeline: Pipeline): Promise<Feed> {
  const producer = new KafkaProducer(
    createKafka({ brokers: pipeline.kafkaBrokers.split(','), clientId: 'bench-programs' }),
  );
  await producer.connect();
  let offset = 0;
  return {
    name: Topics.telemetryClean,
    acceptedAt: 'clean record sent → command published',
    retries: () => 0,
    close: () => producer.disconnect(),
    async send(readings) {
      const headers = buildHeaders({ ingestTs: Date.now() });
      const records = readings.map(({ device, ...reading }) => {
        const batch: CleanReadingBatch = {
          tenant: 'demo',
          device,
          deviceTags: {},
          rawPartition: 0,
          rawOffset: String(offset++),
          readings: [{ ...reading, unit: 'C' }],
        };
        return { key: deviceKey('demo', device), value: encodeRecord(batch), headers };
      });
      try {
        await producer.send(Topics.telemetryClean, records);
        return undefined;
      } catch (error) {
        return `produce failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  };
}

async function main(): Promise<void> {
  const id = `bench_programs_${randomBytes(4).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${id}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-programs-'));
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${id}`);
  await admin.end();
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const pipeline = new Pipeline({
    dataDir,
    databaseUrl,
    redisUrl: REDIS_URL,
    ports: 'ephemeral',
    services:
      input === 'clean'
        ? ['actuator-controller']
        : ['stream-transformer', 'actuator-controller', 'ingest-gateway'],
    env: {
      SEED_DEMO: 'true',
      DEMO_API_KEY: API_KEY,
      SEED_DEMO_DEVICES: '0',
      REDIS_KEY_PREFIX: `${id}:`,
      LOG_LEVEL: 'warn',
      COMMAND_ACK_TIMEOUT_MS: '600000',
      COMMAND_TTL_MS: '3600000',
      SAFETY_MAX_COMMANDS_PER_MINUTE: '1000',
    },
  });
  let feed: Feed | undefined;
  try {
    console.log(`database ${id}: migrating and inserting ${programs} enabled programs ...`);
    await runMigrations(databaseUrl);
    const definitions = Array.from({ length: programs }, (_, i) =>
      parseProgram({
        ...thermostatTemplate({
          id: `bench-${i}`,
          tenant: 'demo',
          owner: 'bench',
          device: `bench-dev-${i}`,
          actuator: `bench-dev-${i}-fan`,
          mode: 'cool',
          low: 22,
          high: 26,
        }),
        enabled: true,
      }),
    );
    for (let start = 0; start < definitions.length; start += 1000) {
      const chunk = definitions.slice(start, start + 1000);
      await pool.query(
        `INSERT INTO programs (tenant, id, version, name, owner, priority, enabled, definition)
         SELECT 'demo', d->>'id', 1, d->>'name', 'bench', 0, true, d FROM jsonb_array_elements($1::jsonb) d`,
        [JSON.stringify(chunk)],
      );
    }
    console.log('starting gateway, stream-transformer and actuator-controller ...');
    await pipeline.start();
    const controller = pipeline.service('actuator-controller');
    const services = [...pipeline.services.values()];
    const transformer = pipeline.services.get('stream-transformer');
    const cleanLatency = async () =>
      transformer === undefined
        ? new Map<number, number>()
        : buckets(transformer.url, 'sluice_pipeline_ingest_latency_seconds', 'stage="clean"');
    feed = input === 'clean' ? await cleanFeed(pipeline) : gatewayFeed(pipeline);

    const perTick = Math.round((rate * TICK_MS) / 1000);
    const ticks = Math.round((seconds * 1000) / TICK_MS);
    const total = perTick * ticks;
    console.log(
      `sending ${total} readings at ${rate}/s (${perTick} every ${TICK_MS} ms) into ${feed.name} ...`,
    );
    // Warm-up: one reading per device, so every program has made (and published) its first
    // decision before the measurement; cold-start commands are not counted.
    console.log(`warm-up: one reading for each of the ${programs} devices ...`);
    for (let start = 0; start < programs; start += 2000) {
      const readings: BenchReading[] = [];
      for (let device = start; device < Math.min(programs, start + 2000); device++) {
        readings.push({
          device: `bench-dev-${device}`,
          metric: 'temperature',
          time: Date.now(),
          // the value the measured run starts with for this device (no flip at its first reading)
          value: Math.floor(device / toggleEvery) % 2 === 1 ? 27 : 21,
        });
      }
      const failure = await feed.send(readings);
      if (failure !== undefined) throw new Error(`warm-up: ${failure}`);
    }
    for (;;) {
      const { rows: sentRows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM commands WHERE sent_at IS NOT NULL`,
      );
      if (Number(sentRows[0].n) >= programs) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await waitForEvaluationIdle(pipeline.kafkaBrokers.split(','));
    const measuredFrom = Date.now();
    const evaluationsBefore = await metric(
      controller.url,
      'sluice_actuator_controller_evaluations_total',
    );
    const cpuBefore = services.map((service) => processCpuSeconds(service.process.pid) ?? NaN);
    const cleanBefore = await cleanLatency();
    const controllerBefore = await controllerBatches(controller.url);
    const started = Date.now();
    let sent = 0;
    let late = 0;
    const failures: string[] = [];
    const inflight = new Set<Promise<void>>();
    for (let tick = 0; tick < ticks; tick++) {
      const due = started + tick * TICK_MS;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else late++;
      const readings: BenchReading[] = [];
      for (let k = 0; k < perTick; k++) {
        const n = sent + k;
        const device = n % programs;
        const round = Math.floor(n / programs);
        const hot = Math.floor((round + device) / toggleEvery) % 2 === 1;
        readings.push({
          device: `bench-dev-${device}`,
          metric: 'temperature',
          time: Date.now(),
          value: hot ? 27 : 21,
        });
      }
      sent += perTick;
      const sending = feed.send(readings).then((failure) => {
        if (failure !== undefined) failures.push(failure);
      });
      inflight.add(sending);
      void sending.finally(() => inflight.delete(sending));
      if (inflight.size > 8) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const postedIn = (Date.now() - started) / 1000;
    console.log(
      `sent in ${postedIn.toFixed(1)} s (${late} slots late, ${feed.retries()} retried sends, ${failures.length} failed); waiting for evaluation to catch up ...`,
    );
    if (failures.length > 0) console.log(`first failure: ${failures[0]}`);
    const accepted = total - failures.length * perTick;
    const deadline = Date.now() + 300_000;
    let evaluated = 0;
    while (Date.now() < deadline) {
      evaluated =
        (await metric(controller.url, 'sluice_actuator_controller_evaluations_total')) -
        evaluationsBefore;
      if (evaluated >= accepted) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const elapsed = (Date.now() - started) / 1000;
    const cpu = services.map(
      (service, index) => (processCpuSeconds(service.process.pid) ?? NaN) - cpuBefore[index],
    );
    const cleanAfter = await cleanLatency();
    const controllerAfter = await controllerBatches(controller.url);
    const spans = {
      total: `extract(epoch FROM sent_at) * 1000 - ingest_ts`,
      evaluated: `extract(epoch FROM created_at) * 1000 - ingest_ts`,
      published: `extract(epoch FROM sent_at - created_at) * 1000`,
    };
    const percentiles = Object.entries(spans)
      .map(
        ([name, span]) =>
          `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${span}) AS ${name}_p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY ${span}) AS ${name}_p99,
           max(${span}) AS ${name}_max`,
      )
      .join(', ');
    const { rows } = await pool.query<Record<string, number | string>>(
      `SELECT count(*) AS n, ${percentiles}
       FROM commands WHERE issuer_kind = 'program' AND sent_at IS NOT NULL AND ingest_ts IS NOT NULL
         AND ingest_ts >= $1`,
      [measuredFrom],
    );
    // The first seconds after the warm-up carry a transient (services going from idle to full
    // rate at once) that can set the whole run's p99; this tells the steady state apart.
    const { rows: steady } = await pool.query<{ n: string; p50: number; p99: number }>(
      `SELECT count(*) AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${spans.total}) AS p50,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY ${spans.total}) AS p99
       FROM commands WHERE issuer_kind = 'program' AND sent_at IS NOT NULL AND ingest_ts >= $1`,
      [measuredFrom + STEADY_AFTER_MS],
    );
    const { rows: perSecond } = await pool.query<{
      second: number;
      n: string;
      p50: number;
      p99: number;
    }>(
      `SELECT floor((ingest_ts - $1) / 1000) AS second, count(*) AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${spans.total}) AS p50,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY ${spans.total}) AS p99
       FROM commands WHERE issuer_kind = 'program' AND sent_at IS NOT NULL AND ingest_ts >= $1
       GROUP BY 1 ORDER BY 1`,
      [measuredFrom],
    );
    const span = (name: keyof typeof spans) =>
      `p50 ${Number(rows[0][`${name}_p50`]).toFixed(1)} ms, p99 ${Number(rows[0][`${name}_p99`]).toFixed(1)} ms, max ${Number(rows[0][`${name}_max`]).toFixed(1)} ms`;
    const cleanMs = (q: number) => (bucketQuantile(cleanBefore, cleanAfter, q) * 1000).toFixed(1);
    const batchQuantiles = (name: keyof typeof controllerAfter, scale: number, unit: string) =>
      `p50 ${(bucketQuantile(controllerBefore[name], controllerAfter[name], 0.5) * scale).toFixed(1)}${unit}, p99 ${(bucketQuantile(controllerBefore[name], controllerAfter[name], 0.99) * scale).toFixed(1)}${unit}`;

    console.log('');
    console.log(`programs                           ${programs} (one per device)`);
    console.log(`readings posted                    ${total} at a target of ${rate}/s`);
    console.log(
      `evaluations                        ${evaluated} in ${elapsed.toFixed(1)} s from the first POST`,
    );
    console.log(
      `evaluation throughput              ${(evaluated / elapsed).toFixed(0)} evaluations/s (end to end, incl. catch-up)`,
    );
    services.forEach((service, index) =>
      console.log(
        `CPU ${service.name.padEnd(31)}${cpu[index].toFixed(1)} s (${((cpu[index] / evaluated) * 1e6).toFixed(1)} µs per reading)`,
      ),
    );
    console.log(`commands published                 ${rows[0].n} (after the warm-up)`);
    console.log(`${feed.acceptedAt} ${span('total')}`);
    console.log(
      `  from ${STEADY_AFTER_MS / 1000} s on (steady state)   p50 ${Number(steady[0].p50).toFixed(1)} ms, p99 ${Number(steady[0].p99).toFixed(1)} ms (${steady[0].n} commands)`,
    );
    if (transformer !== undefined) {
      console.log(
        `  accept → clean record produced   p50 ${cleanMs(0.5)} ms, p99 ${cleanMs(0.99)} ms (all readings, from the transformer's histogram buckets)`,
      );
    }
    console.log(`  accept → command row created     ${span('evaluated')}`);
    console.log(`  row created → published          ${span('published')}`);
    console.log(
      `per second of the run (commands, p50/p99 ms): ${perSecond.map((row) => `${row.second}s ${row.n} ${Number(row.p50).toFixed(0)}/${Number(row.p99).toFixed(0)}`).join(', ')}`,
    );
    console.log(
      `controller: records per batch ${batchQuantiles('records', 1, '')}; batch handled in ${batchQuantiles('duration', 1000, ' ms')}; commands produced in ${batchQuantiles('produce', 1000, ' ms')}`,
    );
  } finally {
    await feed?.close().catch(() => undefined);
    await pipeline.stop(15_000).catch(() => undefined);
    await pool.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${id}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const cleanup = new Client({ connectionString: ADMIN_URL });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
    await cleanup.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
