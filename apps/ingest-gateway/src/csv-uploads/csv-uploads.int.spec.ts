import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RawReadingBatchSchema, Topics, decodeRecord } from '@sluice/contracts';
import { BatchConsumer, type ConsumedMessage } from '@sluice/kafka';
import { waitFor } from '@sluice/testing';
import { hashApiKey } from '../auth/api-key';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';
import type { UploadErrorsBody, UploadJobStatusBody } from './csv-uploads.controller';

jest.setTimeout(60_000);

const run = promisify(execFile);

describe('CSV upload jobs (POST /api/v1/uploads)', () => {
  let gw: TestGateway;
  let consumer: BatchConsumer;
  let dir: string;
  const raw: ConsumedMessage[] = [];
  const keys = { writer: '', reader: '', writeOnly: '', other: '', revoked: '', scoped: '' };

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        UPLOAD_BATCH_ROWS: '50',
        UPLOAD_PROGRESS_INTERVAL_MS: '100',
        UPLOAD_MAX_BYTES: String(64 * 1024),
        UPLOAD_MAX_ERROR_ROWS: '5',
        AUTH_CACHE_TTL_MS: '0',
        INGEST_MAX_PAST_MS: String(10 * 365 * 24 * 3_600_000),
      },
      topics: [{ topic: Topics.telemetryRaw, partitions: 3 }],
    });
    keys.writer = await gw.createKey('acme', ['read', 'write']);
    keys.reader = await gw.createKey('acme', ['read']);
    keys.writeOnly = await gw.createKey('acme', ['write']);
    keys.other = await gw.createKey('globex', ['read', 'write']);
    keys.revoked = await gw.createKey('acme', ['read', 'write']);
    await gw.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [
      hashApiKey(keys.revoked),
    ]);
    keys.scoped = await gw.createKey('acme', ['write'], ['allowed-1']);
    consumer = new BatchConsumer(gw.kafka, {
      groupId: 'upload-observer',
      topics: [Topics.telemetryRaw],
      fromBeginning: true,
      handler: async (batch) => {
        raw.push(...batch.messages);
      },
    });
    await consumer.start();
    dir = await mkdtemp(join(tmpdir(), 'sluice-uploads-'));
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await gw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  async function upload(
    csv: string,
    query = '',
    headers: Record<string, string> = auth(keys.writer),
  ): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/uploads${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...headers },
      body: csv,
    });
  }

  async function finished(id: string, key = keys.writer): Promise<UploadJobStatusBody> {
    let status: UploadJobStatusBody | undefined;
    await waitFor(
      async () => {
        const response = await fetch(`${gw.baseUrl}/api/v1/uploads/${id}`, { headers: auth(key) });
        expect(response.status).toBe(200);
        status = (await response.json()) as UploadJobStatusBody;
        return status.status !== 'running';
      },
      { message: `upload ${id} finished` },
    );
    return status as UploadJobStatusBody;
  }

  function readingsOf(tenant: string, device: string) {
    return raw
      .filter((message) => message.key === `${tenant}/${device}`)
      .flatMap((message) => decodeRecord(RawReadingBatchSchema, message.value).readings);
  }

  it('streams a long CSV into Kafka and serves progress, row errors and the result CSV', async () => {
    const rows = ['time,device,metric,value,unit'];
    for (let i = 0; i < 120; i++) {
      const time = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      rows.push(`${time},boiler-1,temperature,${20 + (i % 10)},C`);
      rows.push(`${time},meter-1,energy_kwh,${i},kWh`);
    }
    rows.push('2026-01-01T01:00:00Z,boiler-1,temperature,abc,C'); // row 242
    rows.push('not-a-time,boiler-1,temperature,1,C'); // row 243
    const response = await upload(rows.join('\n') + '\n');
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const status = await finished(id);
    expect(status).toMatchObject({
      status: 'succeeded',
      rowsRead: 242,
      rowsAccepted: 240,
      rowsRejected: 2,
      readingsAccepted: 240,
      progress: 1,
      error: null,
    });
    expect(status.bytesRead).toBe(Buffer.byteLength(rows.join('\n') + '\n'));

    const errors = (await (
      await fetch(`${gw.baseUrl}/api/v1/uploads/${id}/errors`, { headers: auth(keys.writer) })
    ).json()) as UploadErrorsBody;
    expect(errors.errors).toEqual([
      { row: 242, column: 'value', message: 'row 242, column "value": "abc" is not a number' },
      { row: 243, column: 'time', message: expect.stringMatching(/^row 243, column "time"/) },
    ]);

    const result = await fetch(`${gw.baseUrl}/api/v1/uploads/${id}/result`, {
      headers: auth(keys.reader),
    });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^text\/csv/);
    const sumKwh = (119 * 120) / 2;
    expect(await result.text()).toBe(
      [
        'device,metric,unit,count,min,max,mean,headline_aggregate,headline',
        'boiler-1,temperature,C,120,20,29,24.5,max,29',
        `meter-1,energy_kwh,kWh,120,0,119,59.5,sum,${sumKwh}`,
        '',
      ].join('\n'),
    );

    await waitFor(async () => readingsOf('acme', 'boiler-1').length === 120, {
      message: 'boiler-1 readings in Kafka',
    });
    const temperatures = readingsOf('acme', 'boiler-1');
    expect(temperatures[0]).toMatchObject({
      metric: 'temperature',
      value: 20,
      unit: 'C',
      time: Date.UTC(2026, 0, 1),
    });
    await waitFor(async () => readingsOf('acme', 'meter-1').length === 120, {
      message: 'meter-1 readings in Kafka',
    });
  });

  it('reads wide files with a mapping from the query, and caps the kept row errors', async () => {
    const rows = ['ts;room;temperature;humidity'];
    for (let i = 0; i < 10; i++) rows.push(`${1767225600000 + i * 1000};wide-1;${i};${50 + i}`);
    for (let i = 0; i < 8; i++) rows.push(`${1767225700000 + i};wide-1;x;1`);
    const response = await upload(
      rows.join('\r\n'),
      '?format=wide&timeColumn=ts&deviceColumn=room&timeFormat=epoch-ms&delimiter=%3B',
    );
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const status = await finished(id);
    expect(status).toMatchObject({ rowsAccepted: 10, rowsRejected: 8, readingsAccepted: 20 });
    const errors = (await (
      await fetch(`${gw.baseUrl}/api/v1/uploads/${id}/errors?limit=2`, {
        headers: auth(keys.writer),
      })
    ).json()) as UploadErrorsBody;
    expect(errors.rowsRejected).toBe(8);
    expect(errors.errors.map((error) => error.row)).toEqual([12, 13]);
    expect(errors.nextAfter).toBe(13);
    const rest = (await (
      await fetch(`${gw.baseUrl}/api/v1/uploads/${id}/errors?after=13`, {
        headers: auth(keys.writer),
      })
    ).json()) as UploadErrorsBody;
    // UPLOAD_MAX_ERROR_ROWS=5: the first five are kept
    expect(rest.errors.map((error) => error.row)).toEqual([14, 15, 16]);
    expect(rest.nextAfter).toBeNull();
  });

  it('accepts curl --data-binary and curl -F file=@ with a JSON mapping field', async () => {
    const file = join(dir, 'curl.csv');
    await writeFile(
      file,
      'when,sensor,pressure\n2026-01-01T00:00:00Z,curl-1,1.5\n2026-01-01T00:00:01Z,curl-1,2.5\n',
    );
    const mapping = JSON.stringify({ format: 'wide', timeColumn: 'when', deviceColumn: 'sensor' });
    const binary = await run('curl', [
      '-sS',
      '--fail-with-body',
      '-H',
      `Authorization: Bearer ${keys.writer}`,
      '--data-binary',
      `@${file}`,
      `${gw.baseUrl}/api/v1/uploads?mapping=${encodeURIComponent(mapping)}`,
    ]);
    const multipart = await run('curl', [
      '-sS',
      '--fail-with-body',
      '-H',
      `X-API-Key: ${keys.writer}`,
      '-F',
      `mapping=${mapping}`,
      '-F',
      `file=@${file};type=text/csv`,
      `${gw.baseUrl}/api/v1/uploads`,
    ]);
    for (const { stdout } of [binary, multipart]) {
      const { id } = JSON.parse(stdout) as { id: string };
      const status = await finished(id);
      expect(status).toMatchObject({ status: 'succeeded', rowsAccepted: 2, readingsAccepted: 2 });
    }
    const named = (await finished(JSON.parse(multipart.stdout).id)) as UploadJobStatusBody;
    expect(named.fileName).toBe('curl.csv');
    const result = await run('curl', [
      '-sS',
      '--fail-with-body',
      '-H',
      `Authorization: Bearer ${keys.writer}`,
      `${gw.baseUrl}/api/v1/uploads/${JSON.parse(binary.stdout).id}/result`,
    ]);
    expect(result.stdout).toBe(
      'device,metric,unit,count,min,max,mean,headline_aggregate,headline\ncurl-1,pressure,,2,1.5,2.5,2,avg,2\n',
    );
    await waitFor(async () => readingsOf('acme', 'curl-1').length === 4, {
      message: 'curl uploads in Kafka',
    });
  });

  it('answers 400 naming every header problem, before any job exists', async () => {
    const response = await upload('when,what\n1,2\n', '?metricColumn=name');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: unknown[] } };
    expect(body.error.code).toBe('invalid_csv_header');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'header', message: 'missing column "time"' },
        { path: 'header', message: 'missing column "name"' },
      ]),
    );
    const mapping = await upload('time,device,metric,value\n', '?format=tall');
    expect(mapping.status).toBe(400);
    expect(((await mapping.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_mapping',
    );
  });

  it('refuses a file over UPLOAD_MAX_BYTES', async () => {
    const line = '2026-01-01T00:00:00Z,big-1,temperature,1\n';
    const response = await upload(
      'time,device,metric,value\n' + line.repeat(Math.ceil((70 * 1024) / line.length)),
    );
    // the limit is hit either while the first batch is read (413) or later (a failed job)
    if (response.status === 202) {
      const { id } = (await response.json()) as { id: string };
      expect((await finished(id)).error).toMatch(/UPLOAD_MAX_BYTES/);
    } else {
      expect(response.status).toBe(413);
    }
  });

  it('fails a job whose gateway stopped writing progress (died mid-upload), and only that one', async () => {
    const insertRunningJob = async (secondsSinceProgress: number) => {
      const id = randomUUID();
      await gw.pool.query(
        `INSERT INTO upload_jobs (id, tenant, key_id, status, options, rows_read, updated_at)
         VALUES ($1, 'acme', 'a-key-of-a-dead-gateway', 'running', '{}', 4200,
                 now() - make_interval(secs => $2))`,
        [id, secondsSinceProgress],
      );
      return id;
    };
    const orphaned = await insertRunningJob(5 * 60);
    const alive = await insertRunningJob(0);
    const statusOf = async (id: string) => {
      const response = await fetch(`${gw.baseUrl}/api/v1/uploads/${id}`, {
        headers: auth(keys.reader),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as UploadJobStatusBody;
    };

    const failed = await statusOf(orphaned);
    expect(failed).toMatchObject({ status: 'failed', rowsRead: 4200 });
    expect(failed.error).toMatch(
      /gateway running this job stopped \(no progress for 30\d s\); upload the file again/,
    );
    expect(failed.finishedAt).toEqual(expect.any(String));
    // final: a later read answers the same, and a job with a fresh heartbeat keeps running
    expect((await statusOf(orphaned)).error).toBe(failed.error);
    expect((await statusOf(alive)).status).toBe('running');
  });

  describe('security', () => {
    const csv = 'time,device,metric,value\n2026-01-01T00:00:00Z,sec-1,temperature,1\n';

    it.each([
      ['no key', {}, 401],
      ['an unknown key', auth('sk_not-a-real-key-000000000000'), 401],
      ['a revoked key', () => auth(keys.revoked), 401],
      ['a read-only key', () => auth(keys.reader), 403],
    ])('refuses an upload with %s', async (_name, headers, status) => {
      const response = await upload(csv, '', typeof headers === 'function' ? headers() : headers);
      expect(response.status).toBe(status);
    });

    it('records rows of devices outside a device-scoped key as row errors', async () => {
      const response = await upload(
        'time,device,metric,value\n2026-01-01T00:00:00Z,allowed-1,temperature,1\n2026-01-01T00:00:00Z,forbidden-1,temperature,1\n',
        '',
        auth(keys.scoped),
      );
      const { id } = (await response.json()) as { id: string };
      const status = await finished(id, keys.scoped);
      expect(status).toMatchObject({ rowsAccepted: 1, rowsRejected: 1 });
      const errors = (await (
        await fetch(`${gw.baseUrl}/api/v1/uploads/${id}/errors`, { headers: auth(keys.scoped) })
      ).json()) as UploadErrorsBody;
      expect(errors.errors[0]).toMatchObject({
        row: 3,
        message: expect.stringMatching(/not allowed to access device "forbidden-1"/),
      });
      expect(readingsOf('acme', 'forbidden-1')).toEqual([]);
    });

    it('lets only the tenant’s read keys and the uploading key read a job', async () => {
      const response = await upload(csv, '', auth(keys.writeOnly));
      const { id } = (await response.json()) as { id: string };
      await finished(id, keys.writeOnly);
      for (const path of ['', '/errors', '/result']) {
        const get = (headers: Record<string, string>) =>
          fetch(`${gw.baseUrl}/api/v1/uploads/${id}${path}`, { headers });
        expect((await get(auth(keys.writeOnly))).status).toBe(200);
        expect((await get(auth(keys.reader))).status).toBe(200);
        expect((await get(auth(keys.other))).status).toBe(404);
        expect((await get(auth(keys.revoked))).status).toBe(401);
        expect((await get({})).status).toBe(401);
      }
      // a write-only key cannot read another key's upload
      const byWriter = await upload(csv);
      const other = (await byWriter.json()) as { id: string };
      const denied = await fetch(`${gw.baseUrl}/api/v1/uploads/${other.id}/result`, {
        headers: auth(keys.writeOnly),
      });
      expect(denied.status).toBe(403);
    });

    it('keeps other routes from receiving a CSV stream', async () => {
      const response = await fetch(`${gw.baseUrl}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', ...auth(keys.writer) },
        body: csv,
      });
      expect(response.status).toBe(415);
    });
  });
});
