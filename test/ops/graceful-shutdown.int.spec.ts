import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecord, Topics, type AlertEvent } from '@sluice/contracts';
import { createKafka, KafkaProducer, type Kafka } from '@sluice/kafka';
import { readWindows } from '@sluice/speed-layer';
import { waitFor } from '@sluice/testing';
import { E2E_TENANT, E2eEnvironment } from '../support/e2e-environment';
import { chunk, generateReadings, type PostedReading } from '../support/reading-fixtures';

// One pipeline, four SIGTERM-and-restart rounds under load: a few minutes on a loaded machine.
jest.setTimeout(600_000);

const GRACE_MS = 10_000; // SHUTDOWN_GRACE_MS the e2e environment gives every service
const CONSUMERS = ['stream-transformer', 'aggregator', 'actuator-controller', 'notifier'] as const;
type Consumer = (typeof CONSUMERS)[number];
const SHUTDOWN_SUMMARY = 'consumer stopped: in-flight batch finished and committed';

/** The consumer groups a service runs, with the topic each reads. */
const GROUPS: Record<Consumer, Array<{ group: string; topic: string }>> = {
  'stream-transformer': [{ group: 'stream-transformer', topic: Topics.telemetryRaw }],
  aggregator: [
    { group: 'aggregator-raw-sink', topic: Topics.telemetryClean },
    { group: 'aggregator-speed-layer', topic: Topics.telemetryClean },
  ],
  'actuator-controller': [{ group: 'actuator-controller', topic: Topics.telemetryClean }],
  notifier: [{ group: 'notifier', topic: Topics.alerts }],
};

interface ShutdownSummary {
  groupId: string;
  processedRecords: number;
  positions: Record<string, string>;
}

/**
 * Issue 9, acceptance 4: SIGTERM each consumer service while traffic flows. It must exit 0 within
 * its grace period having committed exactly what it processed; restarted, it must resume there —
 * nothing lost (every record's effect present once), nothing processed twice.
 */
describe('graceful shutdown of every consumer service under load', () => {
  const env = new E2eEnvironment();
  let kafka: Kafka;
  let producer: KafkaProducer;
  const shutdownTimes: string[] = [];

  beforeAll(async () => {
    await env.start({
      services: [...CONSUMERS, 'ingest-gateway'],
      // info: the consumers' shutdown summaries are read from the service logs
      serviceEnv: Object.fromEntries(CONSUMERS.map((name) => [name, { LOG_LEVEL: 'info' }])),
    });
    kafka = createKafka({ brokers: env.pipeline.kafkaBrokers.split(','), clientId: 'ops-test' });
    producer = new KafkaProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    // figures for the report (a loaded CI machine measures more than a quiet one)
    if (shutdownTimes.length > 0) console.info(`SIGTERM → exit 0: ${shutdownTimes.join(', ')}`);
    await producer?.disconnect();
    await env.stop();
  });

  /** Committed offset per partition (-1: none) and high watermark per partition. */
  async function offsets(group: string, topic: string) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const high = await admin.fetchTopicOffsets(topic);
      return {
        committed: new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)])),
        high: new Map(high.map((p) => [p.partition, Number(p.high)])),
      };
    } finally {
      await admin.disconnect();
    }
  }

  const sumCommitted = (committed: Map<number, number>) =>
    [...committed.values()].reduce((sum, offset) => sum + Math.max(0, offset), 0);
  const sumHigh = async (topic: string) =>
    [...(await offsets('ops-test-none', topic)).high.values()].reduce((a, b) => a + b, 0);

  async function drained(service: Consumer): Promise<boolean> {
    for (const { group, topic } of GROUPS[service]) {
      const { committed, high } = await offsets(group, topic);
      for (const [partition, end] of high) {
        if (end > 0 && committed.get(partition) !== end) return false;
      }
    }
    return true;
  }

  /** Offsets of the service's groups and the end of its log, for a failure message. */
  async function diagnostics(service: Consumer): Promise<string> {
    const lines: string[] = [];
    for (const { group, topic } of GROUPS[service]) {
      const { committed, high } = await offsets(group, topic);
      lines.push(
        `${group} committed ${JSON.stringify([...committed])} high ${JSON.stringify([...high])}`,
      );
    }
    const log = readFileSync(join(env.dataDir, 'logs', `${service}.log`), 'utf8').split('\n');
    return [...lines, ...log.slice(-15)].join('\n');
  }

  /** The consumed-records counter of the service's current process, per group. */
  async function consumedByProcess(service: Consumer): Promise<Map<string, number>> {
    const text = await (await fetch(`${env.pipeline.service(service).url}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line.startsWith('sluice_kafka_consumed_records_total{')) continue;
      const group = /group="([^"]+)"/.exec(line)?.[1];
      if (group) out.set(group, (out.get(group) ?? 0) + Number(line.split(' ').pop()));
    }
    return out;
  }

  async function processMetric(service: Consumer, name: string): Promise<number> {
    const text = await (await fetch(`${env.pipeline.service(service).url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  async function countRows(prefix: string): Promise<number> {
    const { rows } = await env.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM readings WHERE tenant = $1 AND device LIKE $2',
      [E2E_TENANT, `${prefix}%`],
    );
    return Number(rows[0].n);
  }

  async function windowCountTotal(readings: PostedReading[]): Promise<number> {
    const from = Math.min(...readings.map((r) => r.time)) - 60_000;
    const to = Math.max(...readings.map((r) => r.time)) + 60_000;
    const series = new Set(readings.map((r) => `${r.device}|${r.metric}`));
    let total = 0;
    for (const key of series) {
      const [device, metric] = key.split('|');
      for (const window of await readWindows(env.redis, E2E_TENANT, device, metric, from, to))
        total += window.count;
    }
    return total;
  }

  /** Posts readings in the background until all are sent; resolves with how many were accepted. */
  function readingsLoad(prefix: string) {
    const now = Date.now();
    const readings = generateReadings({
      devices: Array.from({ length: 40 }, (_, i) => `${prefix}${i}`),
      metrics: ['temperature', 'power'],
      perSeries: 100,
      fromMs: now - 120_000,
      toMs: now,
    });
    const done = (async () => {
      for (const request of chunk(readings, 400)) {
        const response = await env.postReadings(request);
        if (response.status !== 202) throw new Error(`gateway answered ${response.status}`);
      }
      return readings;
    })();
    return done;
  }

  /** Produces valid alerts.v1 records in the background. */
  function alertsLoad(count: number) {
    return (async () => {
      for (let from = 0; from < count; from += 250) {
        const records = Array.from({ length: Math.min(250, count - from) }, (_, i) => {
          const event: AlertEvent = {
            id: `ops-${from + i}`,
            tenant: E2E_TENANT,
            device: `alert-dev-${(from + i) % 20}`,
            metric: 'temperature',
            kind: 'threshold',
            severity: 'warning',
            state: 'firing',
            message: 'synthetic load for the shutdown test',
            evidence: {},
            at: Date.now(),
          };
          return { key: `${E2E_TENANT}/${event.device}`, value: encodeRecord(event) };
        });
        await producer.send(Topics.alerts, records);
      }
      return count;
    })();
  }

  /**
   * SIGTERM once the service has committed part of the stream (the load is still running), then
   * checks exit code and time, and that the committed offsets equal what the process reports it
   * processed. Restarts it and returns what the check of its effects needs.
   */
  async function sigtermMidStream(service: Consumer, load: Promise<unknown>) {
    const [first] = GROUPS[service];
    await waitFor(
      async () => sumCommitted((await offsets(first.group, first.topic)).committed) > 0,
      { timeoutMs: 60_000, message: `${service} committed part of the stream` },
    );
    const logFile = join(env.dataDir, 'logs', `${service}.log`);
    const logOffset = statSync(logFile).size;
    const managed = env.pipeline.service(service).process;
    const signalledAt = Date.now();
    managed.kill('SIGTERM');
    const exit = await managed.waitForExit();
    const shutdownMs = Date.now() - signalledAt;
    expect({ service, exit }).toEqual({ service, exit: { code: 0, signal: null } });
    expect(shutdownMs).toBeLessThan(GRACE_MS);
    shutdownTimes.push(`${service} ${shutdownMs} ms`);

    // The exit event can come before the last piped log lines reach the file: wait for them.
    const summaries = await waitFor(
      () => {
        const found = readFileSync(logFile, 'utf8')
          .slice(logOffset)
          .split('\n')
          .filter((line) => line.includes(SHUTDOWN_SUMMARY))
          .map((line) => JSON.parse(line) as ShutdownSummary);
        const all = GROUPS[service].every(({ group }) => found.some((s) => s.groupId === group));
        return all ? found : undefined;
      },
      { timeoutMs: 5_000, message: `${service} logged a shutdown summary for each group` },
    );
    for (const { group, topic } of GROUPS[service]) {
      const summary = summaries.find((s) => s.groupId === group);
      // Committed = processed, partition by partition: nothing processed-but-uncommitted (which a
      // restart would process again), nothing committed-but-unprocessed (lost).
      const { committed } = await offsets(group, topic);
      for (const [position, next] of Object.entries(summary!.positions)) {
        const partition = Number(position.split('/')[1]);
        expect({ group, partition, committed: committed.get(partition) }).toEqual({
          group,
          partition,
          committed: Number(next),
        });
      }
    }
    const committedAtRestart = new Map<string, number>();
    for (const { group, topic } of GROUPS[service])
      committedAtRestart.set(group, sumCommitted((await offsets(group, topic)).committed));

    await load; // the rest of the traffic arrived while the service was down
    await env.pipeline.restart(service);
    await waitFor(() => drained(service), {
      timeoutMs: 120_000,
      message: `${service} drained its topics after the restart`,
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await diagnostics(service)}`);
    });

    // The restarted process read exactly the records after the committed offsets: none twice.
    const consumed = await waitFor(
      async () => {
        const counts = await consumedByProcess(service);
        for (const { group, topic } of GROUPS[service]) {
          const total = [...(await offsets(group, topic)).high.values()].reduce((a, b) => a + b, 0);
          if ((counts.get(group) ?? 0) !== total - committedAtRestart.get(group)!) return false;
        }
        return counts;
      },
      { timeoutMs: 15_000, message: `${service} consumed exactly the uncommitted rest` },
    );
    return { shutdownMs, consumed, summaries };
  }

  it('notifier: exits within the grace period and its committed offsets cover every alert once', async () => {
    const before = await sumHigh(Topics.alerts);
    const total = 6_000;
    const load = alertsLoad(total);
    const { summaries } = await sigtermMidStream('notifier', load);
    expect((await sumHigh(Topics.alerts)) - before).toBe(total);
    const processedBefore = summaries.find((s) => s.groupId === 'notifier')!.processedRecords;
    const processedAfter = (await consumedByProcess('notifier')).get('notifier') ?? 0;
    expect(processedBefore + processedAfter).toBe(total);
  });

  it('actuator-controller: exits within the grace period and reads every clean record once', async () => {
    const load = readingsLoad('sd-act-');
    // (the offsets-equal-processed and consumed-exactly-the-rest checks are in sigtermMidStream)
    await sigtermMidStream('actuator-controller', load);
    const readings = await load;
    await waitFor(async () => (await countRows('sd-act-')) === readings.length || undefined, {
      timeoutMs: 60_000,
      message: 'the readings of the round stored',
    });
  });

  it('stream-transformer: exits within the grace period; every raw record becomes exactly one clean record', async () => {
    const rawBefore = await sumHigh(Topics.telemetryRaw);
    const cleanBefore = await sumHigh(Topics.telemetryClean);
    const load = readingsLoad('sd-tr-');
    await sigtermMidStream('stream-transformer', load);
    const readings = await load;
    // A batch processed twice would produce its clean records twice.
    expect((await sumHigh(Topics.telemetryClean)) - cleanBefore).toBe(
      (await sumHigh(Topics.telemetryRaw)) - rawBefore,
    );
    await waitFor(async () => (await countRows('sd-tr-')) === readings.length || undefined, {
      timeoutMs: 60_000,
      message: `${readings.length} rows stored`,
    });
    expect(await countRows('sd-tr-')).toBe(readings.length);
  });

  it('aggregator: exits within the grace period; exactly N rows and window counts, no replayed record', async () => {
    const load = readingsLoad('sd-agg-');
    await sigtermMidStream('aggregator', load);
    const readings = await load;
    await waitFor(async () => (await countRows('sd-agg-')) === readings.length || undefined, {
      timeoutMs: 60_000,
      message: `${readings.length} rows stored`,
    });
    expect(await countRows('sd-agg-')).toBe(readings.length);
    await waitFor(async () => (await windowCountTotal(readings)) === readings.length || undefined, {
      timeoutMs: 30_000,
      message: 'speed-layer window counts equal to the readings',
    });
    expect(await windowCountTotal(readings)).toBe(readings.length);
    // The restarted process met no record already applied/stored: the stop committed everything.
    expect(await processMetric('aggregator', 'sluice_raw_sink_duplicate_rows_total')).toBe(0);
    expect(await processMetric('aggregator', 'sluice_speed_layer_records_fenced_total')).toBe(0);
  });
});
