import { loadMetricsCatalog } from './metrics-catalog';
import { findRegisteredMetrics } from './registered-metrics';

// Labels whose values grow with the fleet or the users: never allowed on a metric.
const UNBOUNDED_LABELS = [
  'device',
  'device_id',
  'tenant',
  'tenant_id',
  'user',
  'api_key',
  'key',
  'offset',
  'url',
  'path',
];
// Series Prometheus or prom-client name by their own conventions.
const EXTERNAL_NAMES = new Set(['up']);

describe('metrics catalog (docs/operations/metrics.md)', () => {
  const catalog = loadMetricsCatalog();
  const registered = findRegisteredMetrics();

  it('lists each metric once', () => {
    const names = catalog.map((entry) => entry.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('documents every metric the code registers, with its type and labels, as live', () => {
    expect(registered.length).toBeGreaterThan(20);
    const mismatches = registered.flatMap((metric) => {
      const entry = catalog.find((e) => e.name === metric.name);
      const documented = entry && {
        type: entry.type,
        labels: [...entry.labels].sort(),
        status: entry.status,
      };
      const actual = { type: metric.type, labels: [...metric.labels].sort(), status: 'live' };
      return JSON.stringify(documented) === JSON.stringify(actual)
        ? []
        : [{ metric: metric.name, file: metric.file, code: actual, catalog: documented ?? null }];
    });
    expect(mismatches).toEqual([]);
  });

  it('marks as live only metrics that exist (in the code or as prom-client/Prometheus defaults)', () => {
    const inCode = new Set(registered.map((m) => m.name));
    const stale = catalog.filter(
      (entry) =>
        entry.status === 'live' && entry.name.startsWith('sluice_') && !inCode.has(entry.name),
    );
    expect(stale.map((e) => e.name)).toEqual([]);
  });

  it('follows the Prometheus naming conventions', () => {
    const problems = catalog.flatMap((entry) => {
      if (EXTERNAL_NAMES.has(entry.name)) return [];
      const issues: string[] = [];
      if (!/^[a-z][a-z0-9_]*$/.test(entry.name)) issues.push('not snake_case');
      if (entry.type === 'counter' && !entry.name.endsWith('_total'))
        issues.push('counter without _total');
      if (
        entry.type !== 'counter' &&
        entry.name.endsWith('_total') &&
        !entry.name.startsWith('nodejs_')
      ) {
        issues.push('_total on a non-counter');
      }
      if (/_(ms|milliseconds|minutes|kb|mb)(_|$)/.test(entry.name))
        issues.push('not in base units');
      if (entry.type === 'histogram' && !/_(seconds|bytes|records|readings)$/.test(entry.name)) {
        issues.push('histogram without a unit suffix');
      }
      const unbounded = entry.labels.filter((label) => UNBOUNDED_LABELS.includes(label));
      if (unbounded.length > 0) issues.push(`unbounded labels ${unbounded.join(', ')}`);
      return issues.map((issue) => `${entry.name}: ${issue}`);
    });
    expect(problems).toEqual([]);
  });
});
