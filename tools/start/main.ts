/**
 * `npm start`: the whole pipeline with its demo data on embedded defaults. Starts the embedded Kafka
 * broker unless KAFKA_BROKERS is set, checks PostgreSQL and Redis, runs migrations, starts every
 * service and the simulator, prints the URLs; Ctrl-C stops everything cleanly.
 */
import { join } from 'node:path';
import { Pipeline, REPO_ROOT } from '@sluice/pipeline-launcher';
import { buildDashboard } from './build-dashboard';

const verbose = process.env.SLUICE_VERBOSE === '1';
const dataDir = process.env.SLUICE_DATA_DIR ?? join(REPO_ROOT, 'data');
const demoKey = process.env.DEMO_API_KEY ?? 'sluice-demo-key';

const pipeline = new Pipeline({
  dataDir,
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: process.env.KAFKA_BROKERS,
  brokerPort: Number(process.env.BROKER_PORT ?? 9092),
  ports: 'fixed',
  env: { SEED_DEMO: 'true', DEMO_API_KEY: demoKey, SIM_API_KEY: demoKey },
  onStatus: (message) => console.log(`[sluice] ${message}`),
  onLine: verbose ? (service, line) => console.log(`[${service}] ${line}`) : undefined,
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`[sluice] ${signal}: stopping (consumers commit their offsets first)`);
  await pipeline.stop();
  console.log('[sluice] stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

buildDashboard(REPO_ROOT, (message) => console.log(`[sluice] ${message}`));

pipeline
  .start()
  .then(() => {
    const gateway = pipeline.service('ingest-gateway').url.replace('127.0.0.1', 'localhost');
    console.log(`
[sluice] the pipeline is running (logs in ${join(dataDir, 'logs')}; SLUICE_VERBOSE=1 to stream them)
  Dashboard / REST     ${gateway}/            REST under ${gateway}/api/v1
  Live WebSocket       ${gateway.replace('http', 'ws')}/ws?apiKey=${demoKey}
  Latest of a device   curl -H 'Authorization: Bearer ${demoKey}' ${gateway}/api/v1/devices/sim-001/latest
  Metrics / health     ${gateway}/metrics   ${gateway}/health
  Kafka                ${pipeline.kafkaBrokers}${process.env.KAFKA_BROKERS ? '' : ' (embedded broker)'}
  Services             ${[...pipeline.services.values()].map((s) => `${s.name} :${s.port}`).join(', ')}
Press Ctrl-C to stop.`);
  })
  .catch(async (error: unknown) => {
    console.error(
      `[sluice] start failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    await pipeline.stop(5_000).catch(() => undefined);
    process.exit(1);
  });
