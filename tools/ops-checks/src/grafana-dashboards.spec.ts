import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { catalogEntryFor, loadMetricsCatalog } from './metrics-catalog';
import { metricNamesIn } from './promql';
import { paths, REPO_ROOT } from './repo-paths';

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const files = readdirSync(paths.dashboards).filter((file) => file.endsWith('.json'));
const SERVICES = [
  'ingest-gateway',
  'stream-transformer',
  'aggregator',
  'actuator-controller',
  'notifier',
];

function load(file: string): Dashboard {
  return JSON.parse(readFileSync(join(paths.dashboards, file), 'utf8')) as Dashboard;
}
const allPanels = (dashboard: Dashboard): Panel[] =>
  dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);

describe('Grafana dashboards', () => {
  it('are an overview plus one per service', () => {
    expect(files.sort()).toEqual(
      ['sluice-overview.json', ...SERVICES.map((s) => `sluice-${s}.json`)].sort(),
    );
  });

  it.each(files)('%s is valid JSON with a unique uid matching its file name', (file) => {
    const dashboard = load(file);
    expect(dashboard.uid).toBe(file.replace(/\.json$/, ''));
    expect(dashboard.title).toMatch(/^Sluice \/ /);
    expect(allPanels(dashboard).filter((p) => p.type !== 'row').length).toBeGreaterThan(3);
  });

  it.each(files)('%s queries only catalogued metrics, with valid PromQL', (file) => {
    const catalog = loadMetricsCatalog();
    const rules = parse(readFileSync(paths.rules, 'utf8')) as {
      groups: Array<{ rules: Array<{ record?: string }> }>;
    };
    const recorded = new Set(
      rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    const unknown: string[] = [];
    let queries = 0;
    for (const panel of allPanels(load(file))) {
      for (const target of panel.targets ?? []) {
        queries += 1;
        for (const name of metricNamesIn(target.expr)) {
          if (!recorded.has(name) && catalogEntryFor(catalog, name) === undefined) {
            unknown.push(`${panel.title}: ${name}`);
          }
        }
      }
    }
    expect(queries).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it('use the provisioned Prometheus datasource', () => {
    const provisioning = parse(
      readFileSync(
        join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yaml'),
        'utf8',
      ),
    ) as { datasources: Array<{ uid: string; type: string }> };
    const uid = provisioning.datasources[0].uid;
    for (const file of files) {
      for (const panel of allPanels(load(file)).filter((p) => p.type !== 'row')) {
        expect({ file, panel: panel.title, uid: panel.datasource?.uid }).toEqual({
          file,
          panel: panel.title,
          uid,
        });
      }
    }
  });

  it('show every service’s consumer lag, latency and process health on its own dashboard', () => {
    for (const service of SERVICES.filter((s) => s !== 'ingest-gateway')) {
      const exprs = allPanels(load(`sluice-${service}.json`))
        .flatMap((p) => p.targets ?? [])
        .map((t) => t.expr)
        .join('\n');
      expect(exprs).toContain(`sluice_kafka_consumer_lag_records{service="${service}"}`);
      expect(exprs).toContain(`process_resident_memory_bytes{service="${service}"}`);
    }
  });
});
