import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { waitFor } from './testing/test-broker';

jest.setTimeout(30_000);

const CLI = join(__dirname, 'cli.ts');

interface RunningCli {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function runCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, logs, exit };
}

describe('npm run broker (cli)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kafka-broker-cli-'));
  });

  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('logs its address, serves /metrics, and stops cleanly on SIGTERM', async () => {
    const cli = runCli(['--port', '0', '--data-dir', dataDir, '--metrics-port', '0']);
    await waitFor(() => cli.logs.some((l) => l.msg === 'serving /metrics'), 'the broker to start');
    const listening = cli.logs.find((l) => l.msg === 'kafka broker listening');
    expect(listening?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const metricsAddress = cli.logs.find((l) => l.msg === 'serving /metrics')?.metrics;
    const res = await fetch(`http://${String(metricsAddress)}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('kafka_broker_open_connections');

    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.logs.some((l) => l.msg === 'kafka broker stopped')).toBe(true);
  });

  it('refuses invalid flags with usage and exit code 2', async () => {
    const cli = runCli(['--port', 'abc']);
    let stderr = '';
    cli.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await cli.exit).toBe(2);
    expect(stderr).toMatch(/--port=abc: must be an integer/);
    expect(stderr).toMatch(/usage: npm run broker/);
  });
});
