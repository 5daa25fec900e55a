import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { catalogEntryFor, loadMetricsCatalog } from './metrics-catalog';
import { metricNamesIn } from './promql';
import { renderPrometheusRule } from './prometheus-rule';
import { findPromtool, runPromtool, type PromtoolRun } from './promtool';
import { paths, REPO_ROOT } from './repo-paths';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}

const rulesText = readFileSync(paths.rules, 'utf8');
const rules = (parse(rulesText) as RulesFile).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert !== undefined);
const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));

const promtool = findPromtool();
// promtool ships in Debian's `prometheus` package; .ci/run installs it. Without it the two
// promtool checks are skipped, loudly, and every other check still runs.
const withPromtool = promtool ? it : it.skip;
if (!promtool) {
  process.stderr.write(
    'ops-checks: promtool not found, skipping `promtool check/test rules` ' +
      '(apt-get install prometheus)\n',
  );
}

/** On failure, promtool's own report is the message. */
function expectPassed(run: PromtoolRun): void {
  expect(run.status === 0 ? 'passed' : run.output).toBe('passed');
}

describe('Prometheus alert rules', () => {
  withPromtool('pass `promtool check rules`', () => {
    const run = runPromtool(promtool!, ['check', 'rules', paths.rules], REPO_ROOT);
    expectPassed(run);
  });

  withPromtool('pass their `promtool test rules` unit tests (lag, DLQ, stale watermark)', () => {
    const tests = readdirSync(paths.rulesTests)
      .filter((file) => file.endsWith('.test.yml'))
      .map((file) => join(paths.rulesTests, file));
    expect(tests.length).toBeGreaterThan(0);
    const covered = tests.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const alert of [
      'SluiceConsumerLagGrowing',
      'SluiceDlqRateHigh',
      'SluiceBatchWatermarkStale',
    ]) {
      expect(covered).toContain(`alertname: ${alert}`);
    }
    const run = runPromtool(promtool!, ['test', 'rules', ...tests], REPO_ROOT);
    expectPassed(run);
  });

  it('cover what the operations issue asks to alert on', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'SluiceConsumerLagGrowing',
        'SluiceCleanLatencySLOBurn',
        'SluiceDlqRateHigh',
        'SluiceBatchJobFailing',
        'SluiceBatchWatermarkStale',
        'SluiceActuatorAckFailures',
        'SluiceServiceDown',
      ]),
    );
  });

  it('each have a severity, a summary and a runbook section that exists', () => {
    const runbooks = readFileSync(paths.runbooks, 'utf8');
    const anchors = new Set(
      [...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const alert of alerts) {
      expect({ alert: alert.alert, severity: alert.labels?.severity }).toEqual({
        alert: alert.alert,
        severity: expect.stringMatching(/^(critical|warning|info)$/),
      });
      expect(alert.annotations?.summary).toBeTruthy();
      const runbook = alert.annotations?.runbook ?? '';
      const [file, anchor] = runbook.split('#');
      expect({ alert: alert.alert, file }).toEqual({
        alert: alert.alert,
        file: 'docs/operations/runbooks.md',
      });
      expect({ alert: alert.alert, anchorExists: anchors.has(anchor) }).toEqual({
        alert: alert.alert,
        anchorExists: true,
      });
    }
  });

  it('query only metrics from the catalog and recording rules defined in the file', () => {
    const catalog = loadMetricsCatalog();
    const unknown = rules.flatMap((rule) =>
      metricNamesIn(rule.expr).filter(
        (name) => !recorded.has(name) && catalogEntryFor(catalog, name) === undefined,
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('are shipped unchanged to the Prometheus Operator (k8s PrometheusRule)', () => {
    const shipped = parse(readFileSync(paths.prometheusRule, 'utf8')) as { spec: RulesFile };
    expect(shipped.spec.groups).toEqual((parse(rulesText) as RulesFile).groups);
    expect(parse(renderPrometheusRule(rulesText))).toEqual(shipped);
  });
});

describe('Prometheus scrape configs', () => {
  withPromtool.each(['prometheus.yml', 'prometheus.compose.yml'])(
    '%s passes `promtool check config`',
    (file) => {
      const run = runPromtool(
        promtool!,
        ['check', 'config', '--syntax-only', join(REPO_ROOT, 'deploy/prometheus', file)],
        REPO_ROOT,
      );
      expectPassed(run);
    },
  );

  it('scrape every service on its local port and label `up` with the service name', () => {
    const config = parse(
      readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'),
    ) as {
      scrape_configs: Array<{
        honor_labels?: boolean;
        static_configs: Array<{ targets: string[]; labels: { service: string } }>;
      }>;
    };
    const job = config.scrape_configs[0];
    expect(job.honor_labels).toBe(true);
    expect(
      Object.fromEntries(job.static_configs.map((c) => [c.labels.service, c.targets[0]])),
    ).toEqual({
      'ingest-gateway': '127.0.0.1:8080',
      'stream-transformer': '127.0.0.1:8081',
      aggregator: '127.0.0.1:8082',
      'actuator-controller': '127.0.0.1:8083',
      notifier: '127.0.0.1:8084',
      simulator: '127.0.0.1:8085',
    });
  });
});
