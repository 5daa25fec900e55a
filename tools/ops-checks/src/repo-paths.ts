import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export const paths = {
  rules: join(REPO_ROOT, 'deploy/prometheus/rules/sluice.rules.yml'),
  rulesTests: join(REPO_ROOT, 'deploy/prometheus/rules/tests'),
  prometheusRule: join(REPO_ROOT, 'k8s/base/monitoring/prometheusrule.yaml'),
  dashboards: join(REPO_ROOT, 'deploy/grafana/dashboards'),
  metricsCatalog: join(REPO_ROOT, 'docs/operations/metrics.md'),
  runbooks: join(REPO_ROOT, 'docs/operations/runbooks.md'),
  dockerfile: join(REPO_ROOT, 'deploy/Dockerfile'),
  compose: join(REPO_ROOT, 'deploy/compose.yaml'),
  overlays: join(REPO_ROOT, 'k8s/overlays'),
} as const;
