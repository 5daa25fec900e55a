import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse/sync';
import { createPgPool, runMigrations } from '@sluice/db';
import {
  createTestSchema,
  dropTestSchema,
  spawnService,
  startTestBroker,
  waitFor,
  type SpawnedService,
  type TestBroker,
} from '@sluice/testing';
import type pg from 'pg';
import { generateApiKey, hashApiKey } from '../auth/api-key';
import type { UploadJobStatusBody } from './csv-uploads.controller';

/**
 * Issue 5 acceptance 3: a 1 GB CSV upload completes with the gateway's memory under 300 MB, with
 * progress visible while it runs, and a result CSV equal to summaries computed here while the file
 * was generated. Slow (about 20 minutes on a loaded 2-core machine): its own spec file, not part of
 * the fast suite. The gateway runs as its own process (main.ts under swc-node, like `npm start`,
 * with a 160 MB old-space limit as a memory-limited container would set), uploaded to with curl;
 * its peak RSS (VmHWM) is read from /proc while the upload runs. CSV_UPLOAD_TEST_BYTES overrides
 * the file size (e.g. 50000000 for a quick run), CSV_UPLOAD_TEST_HEAP_MB the heap limit,
 * CSV_UPLOAD_TEST_VERBOSE=1 prints progress and the gateway's log lines as they come.
 */
const FILE_BYTES = Number(process.env['CSV_UPLOAD_TEST_BYTES'] ?? 1024 ** 3);
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEVICES = 50;
const METRICS = ['temperature', 'humidity', 'energy_kwh', 'pump_state'];

jest.setTimeout(60 * 60_000);

interface Expected {
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Writes a long-format CSV of about `bytes` bytes, streaming, and returns the expected summaries. */
async function generateCsv(path: string, bytes: number): Promise<Map<string, Expected>> {
  const out = createWriteStream(path);
  const expected = new Map<string, Expected>();
  let written = 0;
  const write = async (text: string) => {
    written += text.length;
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('time,device,metric,value\n');
  const start = Date.UTC(2026, 0, 1);
  let seed = 12345;
  for (let row = 0; written < bytes; row++) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, row++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const device = `dev-${String(row % DEVICES).padStart(3, '0')}`;
      const metric = METRICS[(row >> 3) % METRICS.length];
      // two decimals: every value is exact in the CSV and sums stay comparable
      const value =
        metric === 'pump_state' ? seed % 2 : Math.round((seed % 100_000) - 20_000) / 100;
      const time = new Date(start + row * 100).toISOString();
      chunk += `${time},${device},${metric},${value}\n`;
      const key = `${device},${metric}`;
      const series = expected.get(key);
      if (series === undefined)
        expected.set(key, { count: 1, min: value, max: value, sum: value, last: value });
      else {
        series.count++;
        if (value < series.min) series.min = value;
        if (value > series.max) series.max = value;
        series.sum += value;
        series.last = value;
      }
    }
    row--;
    await write(chunk);
  }
  out.end();
  await once(out, 'finish');
  return expected;
}

function headlineOf(metric: string, series: Expected): number {
  if (metric === 'temperature') return series.max;
  if (metric === 'energy_kwh') return series.sum;
  if (metric === 'pump_state') return series.last;
  return series.sum / series.count;
}

/** Live progress on stderr (jest buffers console output until the end). */
function progressLog(line: string): void {
  if (process.env['CSV_UPLOAD_TEST_VERBOSE']) process.stderr.write(`[large upload] ${line}\n`);
}

function peakRss(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((status) => {
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  });
}

describe('a 1 GB CSV upload', () => {
  let broker: TestBroker;
  let admin: pg.Pool;
  let pool: pg.Pool;
  let schema: string;
  let gateway: SpawnedService;
  let dir: string;
  let baseUrl: string;
  let key: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-large-upload-'));
    broker = await startTestBroker();
    admin = createPgPool({ url: DATABASE_URL, max: 2 });
    schema = await createTestSchema(admin, 'upload_large');
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, max: 2, schema });
    key = generateApiKey();
    await pool.query("INSERT INTO tenants (id, name) VALUES ('acme', 'acme')");
    await pool.query(
      "INSERT INTO api_keys (id, tenant, key_hash, name, scopes) VALUES ('k1', 'acme', $1, 'uploader', '{read,write}')",
      [hashApiKey(key)],
    );
    const port = await freePort();
    gateway = spawnService('apps/ingest-gateway/src/main.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_KEY_PREFIX: `${schema}:`,
      LOG_LEVEL: 'warn',
      // what a memory-bounded deployment sets (a container limit needs a heap limit to match):
      // V8 otherwise lets garbage pile up towards its default limit of a quarter of the RAM
      NODE_OPTIONS: `--max-semi-space-size=16 --max-old-space-size=${process.env['CSV_UPLOAD_TEST_HEAP_MB'] ?? '160'}`,
    });
    baseUrl = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${baseUrl}/health`).catch(() => undefined))?.ok === true,
      { timeoutMs: 90_000, message: 'gateway healthy' },
    );
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop(20_000);
    await pool?.end();
    if (admin) {
      await dropTestSchema(admin, schema);
      await admin.end();
    }
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('completes with the gateway under 300 MB, progress visible, and the right result CSV', async () => {
    const file = join(dir, 'upload.csv');
    const expected = await generateCsv(file, FILE_BYTES);
    const size = (await stat(file)).size;
    progressLog(`generated ${size} bytes`);

    const started = Date.now();
    // curl, as a user would upload it; with -N it writes the 202 body to `answerFile` as soon as
    // it arrives and goes on sending the file
    const answerFile = join(dir, 'answer.json');
    const curl = spawn('curl', [
      ...['-sS', '-N', '-o', answerFile, '-w', '%{http_code}'],
      ...['-H', `Authorization: Bearer ${key}`, '-H', 'Content-Type: text/csv'],
      // -T streams the file from disk (--data-binary @file would read all of it into memory first)
      ...['-X', 'POST', '-T', file, `${baseUrl}/api/v1/uploads`],
    ]);
    let curlOutput = '';
    curl.stdout.on('data', (chunk: Buffer) => (curlOutput += chunk.toString()));
    curl.stderr.on('data', (chunk: Buffer) => (curlOutput += chunk.toString()));
    const curlDone = once(curl, 'exit');
    const id = await waitFor(
      async () => {
        const text = await readFile(answerFile, 'utf8').catch(() => '');
        return text.includes('"id"') ? (JSON.parse(text) as { id: string }).id : undefined;
      },
      { timeoutMs: 120_000, message: `202 with the job id (curl: ${curlOutput})` },
    );
    progressLog(`answered after ${Date.now() - started} ms`);

    let peak = await peakRss(gateway.pid);
    let logged = 0;
    const progressSeen: number[] = [];
    let status: UploadJobStatusBody | undefined;
    await waitFor(
      async () => {
        peak = Math.max(peak, await peakRss(gateway.pid));
        const res = await fetch(`${baseUrl}/api/v1/uploads/${id}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        status = (await res.json()) as UploadJobStatusBody;
        if (status.status === 'running' && status.progress !== null)
          progressSeen.push(status.progress);
        progressLog(`${status.status} ${status.progress} rows ${status.rowsRead} rss ${peak}`);
        for (; logged < gateway.lines.length; logged++) progressLog(gateway.lines[logged]);
        return status.status !== 'running';
      },
      { timeoutMs: 55 * 60_000, intervalMs: 1000, message: 'upload finished' },
    );
    peak = Math.max(peak, await peakRss(gateway.pid));
    await curlDone;
    expect(curlOutput).toBe('202');
    const seconds = (Date.now() - started) / 1000;
    const rows = [...expected.values()].reduce((total, series) => total + series.count, 0);
    process.stdout.write(
      `1 GB upload: ${size} bytes, ${rows} rows in ${seconds.toFixed(1)} s ` +
        `(${Math.round(rows / seconds)} rows/s, ${(size / seconds / 1e6).toFixed(1)} MB/s); ` +
        `gateway peak RSS ${(peak / 1024 / 1024).toFixed(1)} MB; ${progressSeen.length} progress polls while running\n`,
    );

    expect(status).toMatchObject({
      status: 'succeeded',
      bytesRead: size,
      rowsRead: rows,
      rowsAccepted: rows,
      rowsRejected: 0,
      readingsAccepted: rows,
    });
    expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
    // progress moved while the job ran
    expect(progressSeen.some((progress) => progress > 0 && progress < 1)).toBe(true);
    expect(new Set(progressSeen).size).toBeGreaterThan(1);

    const result = await fetch(`${baseUrl}/api/v1/uploads/${id}/result`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const records = parse(await result.text(), { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(expected.size);
    for (const record of records) {
      const series = expected.get(`${record['device']},${record['metric']}`);
      expect(series).toBeDefined();
      if (series === undefined) continue;
      expect(Number(record['count'])).toBe(series.count);
      expect(Number(record['min'])).toBe(series.min);
      expect(Number(record['max'])).toBe(series.max);
      // the gateway keeps a running (Welford) mean, the test a plain sum: equal up to rounding
      expect(Number(record['mean'])).toBeCloseTo(series.sum / series.count, 6);
      expect(Number(record['headline'])).toBeCloseTo(headlineOf(record['metric'], series), 6);
    }
  });
});
