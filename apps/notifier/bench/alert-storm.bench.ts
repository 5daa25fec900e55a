/**
 * Alert storm: `node -r @swc-node/register apps/notifier/bench/alert-storm.bench.ts` (or
 * `npm run bench -- alert-storm`). 100k anomaly events (BENCH_ALERTS) across 1k devices
 * (BENCH_DEVICES), flapping (every 4th event of a device is `resolved`), go through the embedded
 * broker into a notifier running in this process, against the real PostgreSQL, with one webhook
 * channel pointing at a local receiver. Prints the intake rate, the incidents opened and the
 * notifications sent: the storm must become one incident and one notification per device and
 * channel, not 100k.
 */
import { uniqueName, waitFor } from '@sluice/testing';
import { startHttpReceiver } from '../src/testing/receivers';
import { alertEvent, NotifierTestBed } from '../src/testing/test-notifier';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100_000);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1_000);
const PRODUCE_CHUNK = 5_000;

async function count(bed: NotifierTestBed, sql: string): Promise<number> {
  const { rows } = await bed.pool.query<{ n: string }>(sql);
  return Number(rows[0].n);
}

async function main(): Promise<void> {
  const bed = new NotifierTestBed();
  // a clear time longer than the run: the flapping must not resolve incidents mid-storm
  await bed.start({
    INCIDENT_CLEAR_MS: '3600000',
    DELIVERY_BATCH_SIZE: '500',
    DELIVERY_CONCURRENCY: '32',
    DELIVERY_LEASE_MS: '60000',
    DELIVERY_TIMEOUT_MS: '10000',
  });
  const received = new Set<string>();
  let requests = 0;
  const receiver = await startHttpReceiver((request, response) => {
    requests += 1;
    received.add(String(request.headers['idempotency-key']));
    response.writeHead(200).end();
  });
  await bed.pool.query(
    `INSERT INTO alert_channels (id, tenant, name, type, config) VALUES ('ch_bench', 'acme', 'bench', 'webhook', $1)`,
    [JSON.stringify({ url: receiver.url })],
  );
  const { app, client } = await bed.startInProcess({ LOG_LEVEL: 'error' });
  const run = uniqueName('storm');
  try {
    const started = Date.now();
    for (let offset = 0; offset < ALERTS; offset += PRODUCE_CHUNK) {
      const events = [];
      for (let i = offset; i < Math.min(ALERTS, offset + PRODUCE_CHUNK); i++) {
        const round = Math.floor(i / DEVICES);
        events.push(
          alertEvent({
            id: `${run}-${i}`,
            device: `${run}-dev-${i % DEVICES}`,
            kind: 'zscore',
            severity: 'warning',
            state: round % 4 === 3 ? 'resolved' : 'firing',
            evidence: { value: 100 + round, zScore: 7 },
          }),
        );
      }
      await bed.publish(events);
    }
    const produced = Date.now();
    await waitFor(
      async () => (await count(bed, 'SELECT count(*) AS n FROM alert_events_seen')) >= ALERTS,
      {
        message: `all ${ALERTS} alerts applied`,
        timeoutMs: 30 * 60_000,
        intervalMs: 250,
      },
    );
    const applied = Date.now();
    await waitFor(
      async () =>
        (await count(
          bed,
          `SELECT count(*) AS n FROM alert_deliveries WHERE status <> 'delivered'`,
        )) === 0,
      { message: 'outbox drained', timeoutMs: 30 * 60_000, intervalMs: 250 },
    );
    const drained = Date.now();
    const incidents = await count(bed, 'SELECT count(*) AS n FROM alert_incidents');
    const inApp = await count(
      bed,
      `SELECT count(*) AS n FROM alert_deliveries WHERE channel_type = 'websocket'`,
    );
    const retried = await bed.pool.query<{ n: string; error: string | null }>(
      `SELECT count(*) AS n, max(last_error) AS error FROM alert_deliveries WHERE attempts > 1`,
    );
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `alerts: ${ALERTS} across ${DEVICES} devices (flapping: every 4th event per device resolves)`,
    );
    console.log(`produce to the embedded broker: ${seconds(produced - started)} s`);
    console.log(
      `intake (first produce → all applied): ${seconds(applied - started)} s = ${Math.round(ALERTS / ((applied - started) / 1000))} anomalies/s`,
    );
    console.log(`incidents opened: ${incidents} (expected ${DEVICES})`);
    console.log(
      `notifications: webhook ${received.size} distinct (${requests} requests), in-app ${inApp}; outbox drained ${seconds(drained - applied)} s after intake`,
    );
    console.log(
      `deliveries needing more than one attempt: ${retried.rows[0].n}${retried.rows[0].error ? ` (e.g. ${retried.rows[0].error})` : ''}`,
    );
    if (incidents !== DEVICES || received.size !== DEVICES) process.exitCode = 1;
  } finally {
    client.close();
    await app.close();
    await receiver.close();
    await bed.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
