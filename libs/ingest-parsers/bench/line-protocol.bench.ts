/**
 * Line-protocol parser throughput, single core: `node -r @swc-node/register
 * libs/ingest-parsers/bench/line-protocol.bench.ts`. Prints lines/s for 100k-line bodies of a few
 * shapes (the target is ≥ 1M lines/s on the simple one).
 */
import { LineProtocolParser } from '../src';

const LINES = 100_000;
const ROUNDS = 20;

const shapes: Record<string, (i: number) => string> = {
  'simple (1 tag, 1 float, ns time)': (i) =>
    `cpu,host=server-${i % 50} usage_idle=${(i % 1000) / 10} ${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n}`,
  'telegraf cpu (4 tags, 5 fields)': (i) =>
    `cpu,cpu=cpu${i % 4},host=web-${i % 20},region=eu-west,dc=ams1 usage_user=${(i % 97) / 3},usage_system=1.25,usage_idle=97.5,usage_iowait=0.1,usage_steal=0i ${1_700_000_000_000_000_000n + BigInt(i) * 10_000_000n}`,
  'escaped + string field': (i) =>
    `disk_io,host=db-${i % 10},path=/var/lib\\ data used_percent=${i % 100}.5,mode="rw" ${1_700_000_000 + i}`,
};

const parser = new LineProtocolParser({ maxLines: LINES });
for (const [name, line] of Object.entries(shapes)) {
  const body = Buffer.from(Array.from({ length: LINES }, (_, i) => line(i)).join('\n'));
  const precision = name.startsWith('escaped') ? 's' : 'ns';
  for (let warm = 0; warm < 3; warm++) parser.parse(body, { precision });
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let readings = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const result = parser.parse(body, { precision });
    if (result.errorCount > 0) throw new Error(`${name}: ${result.errors[0].message}`);
    readings += result.readingCount;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const linesPerSecond = Math.round((LINES * ROUNDS) / seconds);
  const readingsPerSecond = Math.round(readings / seconds);
  const mbPerSecond = ((body.length * ROUNDS) / seconds / 1e6).toFixed(0);
  const linesPerCpuSecond = Math.round((LINES * ROUNDS) / cpuSeconds);
  console.log(
    `${name.padEnd(34)} ${linesPerSecond.toLocaleString('en')} lines/s wall (${linesPerCpuSecond.toLocaleString('en')} per CPU-second, GC threads included), ${readingsPerSecond.toLocaleString('en')} readings/s, ${mbPerSecond} MB/s`,
  );
}
