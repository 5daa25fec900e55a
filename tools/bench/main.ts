/**
 * `npm run bench [-- name ...]`: runs the project's benchmarks one after another, each in its own
 * process (so one's memory and JIT state cannot flatter another), and prints their figures.
 * Timing targets live here, never in pass/fail tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const BENCHMARKS: Array<{ name: string; script: string; about: string }> = [
  {
    name: 'broker',
    script: 'libs/kafka-broker/bench/broker.bench.ts',
    about: 'embedded broker: kafkajs produce + group consume, ~150-byte records',
  },
  {
    name: 'raw-sink',
    script: 'apps/aggregator/bench/raw-sink.bench.ts',
    about: 'raw sink bulk insert into readings',
  },
  {
    name: 'speed-layer',
    script: 'apps/aggregator/bench/speed-layer.bench.ts',
    about: 'speed-layer Lua apply in Redis',
  },
  {
    name: 'rollup',
    script: 'apps/aggregator/bench/rollup.bench.ts',
    about: 'batch layer: hourly rollups of 10M raw rows (rows/s)',
  },
  {
    name: 'serving',
    script: 'apps/aggregator/bench/serving.bench.ts',
    about: 'serving layer: 30 days at 1 h for one device (p50/p95/p99)',
  },
  {
    name: 'programs',
    script: 'apps/actuator-controller/bench/programs.bench.ts',
    about:
      '10k programs over 10k devices (20k readings/s unless BENCH_RATE): gateway accept → command published',
  },
  {
    name: 'command-insert',
    script: 'apps/actuator-controller/bench/command-insert.bench.ts',
    about: 'controller: one insert statement for batches of 330 and 2000 program commands',
  },
  {
    name: 'ingest-http',
    script: 'apps/ingest-gateway/bench/ingest-http.bench.ts',
    about:
      'gateway accept into Kafka: line protocol 5k-line bodies and JSON batches (points/s, CPU)',
  },
  {
    name: 'pipeline',
    script: 'test/bench/pipeline-throughput.bench.ts',
    about: 'end to end: gateway accept → stored row, 1M readings',
  },
  {
    name: 'alert-storm',
    script: 'apps/notifier/bench/alert-storm.bench.ts',
    about: 'notifier: 100k flapping anomalies across 1k devices → incidents and notifications',
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !BENCHMARKS.some((bench) => bench.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}

let failures = 0;
for (const bench of BENCHMARKS) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  if (!existsSync(join(ROOT, bench.script))) {
    console.log(`\n### ${bench.name}: skipped (${bench.script} not present)`);
    continue;
  }
  console.log(`\n### ${bench.name} — ${bench.about}`);
  const result = spawnSync(
    process.execPath,
    ['--max-old-space-size=4096', '-r', '@swc-node/register', bench.script],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: process.env,
    },
  );
  if (result.status !== 0) {
    failures++;
    console.log(`### ${bench.name}: FAILED (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failures > 0 ? 1 : 0);
