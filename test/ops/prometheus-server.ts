import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@sluice/pipeline-launcher';
import { waitFor } from '@sluice/testing';

export interface ScrapeTarget {
  service: string;
  /** host:port serving /metrics */
  address: string;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server (Debian's `prometheus` package) scraping the given targets every
 * second, with its TSDB in a temporary folder and its HTTP API on a free loopback port. The scrape
 * job mirrors deploy/prometheus/prometheus.yml: `honor_labels` keeps the services' own `service`
 * label, and the target label gives `up` the same one.
 */
export class PrometheusServer {
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  private child: ChildProcess | undefined;
  url = '';

  static requireBinary(): void {
    const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `prometheus --version failed (${probe.error?.message ?? probe.stderr}): ` +
          'install the Debian package prometheus (apt-get install prometheus)',
      );
    }
  }

  async start(targets: ScrapeTarget[]): Promise<void> {
    PrometheusServer.requireBinary();
    const port = await findFreePort();
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 900ms',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: sluice',
      '    honor_labels: true',
      '    static_configs:',
      ...targets.flatMap((target) => [
        `      - targets: ['${target.address}']`,
        `        labels: { service: ${target.service} }`,
      ]),
      '',
    ].join('\n');
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, config);
    const log = createWriteStream(join(this.dir, 'prometheus.log'));
    this.child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    this.url = `http://127.0.0.1:${port}`;
    const exited = new Promise<never>((_, reject) =>
      this.child?.once('exit', (code) =>
        reject(new Error(`prometheus exited with code ${code}; see ${this.dir}/prometheus.log`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(async () => (await fetch(`${this.url}/-/ready`)).ok || undefined, {
        timeoutMs: 30_000,
        message: `prometheus ready on ${this.url}`,
      }),
      exited,
    ]);
  }

  /** An instant query through the HTTP API (`/api/v1/query`); a vector result as samples. */
  async query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        resultType: string;
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      };
    };
    if (body.status !== 'success' || !body.data) {
      throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
    }
    if (body.data.resultType !== 'vector') {
      throw new Error(`query ${promql} returned a ${body.data.resultType}, not a vector`);
    }
    return body.data.result.map((entry) => ({
      labels: entry.metric,
      value: Number(entry.value[1]),
    }));
  }

  /** The single value of a query that must return exactly one sample (e.g. a `sum(...)`). */
  async scalar(promql: string): Promise<number | undefined> {
    const samples = await this.query(promql);
    if (samples.length > 1) throw new Error(`query ${promql} returned ${samples.length} samples`);
    return samples[0]?.value;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
