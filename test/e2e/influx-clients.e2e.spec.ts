import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '@sluice/testing';
import { E2E_API_KEY, E2E_TENANT, E2eEnvironment } from '../support/e2e-environment';

const run = promisify(execFile);

// Starts a whole pipeline: minutes, not the default 5 s.
jest.setTimeout(240_000);

/** The Debian packages these tests drive (installed by .ci/run). */
const INFLUX_CLI = 'influx'; // influxdb-client
const PYTHON = '/usr/bin/python3'; // python3-influxdb

interface StoredRow {
  device: string;
  metric: string;
  time: Date;
  value: number;
}

/**
 * Issue 5 acceptance 1 (line protocol): real InfluxDB clients from Debian write to the gateway's
 * `/write` unchanged, and their points arrive in the `readings` table through the whole pipeline
 * (gateway → Kafka → transformer → aggregator's raw sink) with the documented metric names, values
 * and timestamps. (`readings` has no tag column: tag mapping is checked on the raw topic by
 * `line-protocol.int.spec.ts`.)
 */
describe('InfluxDB clients against the gateway', () => {
  const env = new E2eEnvironment();
  let port = '';

  beforeAll(async () => {
    await env.start();
    port = new URL(env.gatewayUrl).port;
  }, 180_000);

  afterAll(async () => {
    await env.stop();
  }, 60_000);

  async function rowsOf(device: string, count: number): Promise<StoredRow[]> {
    let rows: StoredRow[] = [];
    await waitFor(
      async () => {
        ({ rows } = await env.pool.query<StoredRow>(
          `SELECT device, metric, time, value FROM readings
            WHERE tenant = $1 AND device = $2 ORDER BY metric, time`,
          [E2E_TENANT, device],
        ));
        return rows.length >= count;
      },
      { message: `${count} rows of ${device} in readings`, timeoutMs: 60_000, intervalMs: 500 },
    );
    return rows;
  }

  it('the influx 1.x CLI writes line protocol with INSERT', async () => {
    const now = Math.floor(Date.now() / 1000) * 1_000_000_000;
    const { stdout, stderr } = await run(INFLUX_CLI, [
      '-host',
      '127.0.0.1',
      '-port',
      port,
      '-username',
      'telegraf',
      '-password',
      E2E_API_KEY,
      '-database',
      'sluice',
      '-precision',
      'ns',
      '-execute',
      `INSERT cpu,device=influx-cli,region=eu usage_idle=97.5,usage_user=2i ${now}`,
    ]);
    expect(`${stdout}${stderr}`).not.toMatch(/ERR|error/i);
    const rows = await rowsOf('influx-cli', 2);
    expect(
      rows.map(({ metric, value, time }) => ({ metric, value, time: time.getTime() })),
    ).toEqual([
      { metric: 'cpu.usage_idle', value: 97.5, time: now / 1_000_000 },
      { metric: 'cpu.usage_user', value: 2, time: now / 1_000_000 },
    ]);
  });

  it('influxdb-python writes points with several precisions', async () => {
    const seconds = Math.floor(Date.now() / 1000) - 60;
    const script = `
import sys
from influxdb import InfluxDBClient
port, key, s = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
client = InfluxDBClient(host='127.0.0.1', port=port, username='py', password=key, database='sluice')
def point(device, t, v):
    return {'measurement': 'temperature', 'tags': {'device': device, 'room': 'r1'}, 'time': t, 'fields': {'value': v}}
client.write_points([point('py-s', s, 20.5)], time_precision='s')
client.write_points([point('py-ms', s * 1000 + 250, 21.5)], time_precision='ms')
client.write_points([point('py-u', s * 1000000 + 250123, 22.5)], time_precision='u')
client.write_points([point('py-n', s * 1000000000 + 250123456, 23.5)], time_precision='n')
client.write_points([{'measurement': 'power', 'tags': {'device': 'py-multi'}, 'time': s, 'fields': {'watts': 100.0, 'on': True, 'count': 3}}], time_precision='s')
print('ok')
`;
    const { stdout } = await run(PYTHON, ['-c', script, port, E2E_API_KEY, String(seconds)]);
    expect(stdout.trim()).toBe('ok');
    const at = (device: string) => rowsOf(device, 1).then((rows) => rows[0]);
    expect(await at('py-s')).toMatchObject({ metric: 'temperature', value: 20.5 });
    expect((await at('py-s')).time.getTime()).toBe(seconds * 1000);
    expect((await at('py-ms')).time.getTime()).toBe(seconds * 1000 + 250);
    expect((await at('py-u')).time.getTime()).toBe(seconds * 1000 + 250);
    expect((await at('py-n')).time.getTime()).toBe(seconds * 1000 + 250);
    expect((await at('py-n')).value).toBe(23.5);
    const multi = await rowsOf('py-multi', 3);
    expect(multi.map(({ metric, value }) => ({ metric, value }))).toEqual([
      { metric: 'power.count', value: 3 },
      { metric: 'power.on', value: 1 },
      { metric: 'power.watts', value: 100 },
    ]);

    // a wrong password is refused with InfluxDB's error, which the client raises
    const refused = await run(PYTHON, [
      '-c',
      `
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError
c = InfluxDBClient(host='127.0.0.1', port=${port}, username='py', password='wrong-key', database='sluice')
try:
    c.write_points([{'measurement': 'm', 'tags': {'device': 'x'}, 'fields': {'v': 1.0}}])
    print('accepted')
except InfluxDBClientError as e:
    print('refused', e.code)
`,
    ]);
    expect(refused.stdout.trim()).toBe('refused 401');
  });
});
