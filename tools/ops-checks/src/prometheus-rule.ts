import { parse, stringify } from 'yaml';

const HEADER = `# GENERATED from deploy/prometheus/rules/sluice.rules.yml — do not edit here. Regenerate with
#   node -r @swc-node/register tools/ops-checks/src/sync-prometheus-rule.ts
# (a test in tools/ops-checks fails while the two differ).
`;

/**
 * The Prometheus Operator form of the rules file: the same groups inside a PrometheusRule, so
 * compose/bare Prometheus and Kubernetes alert on exactly the same expressions.
 */
export function renderPrometheusRule(rulesYaml: string): string {
  const rules = parse(rulesYaml) as { groups: unknown[] };
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'sluice', labels: { 'app.kubernetes.io/name': 'sluice' } },
    spec: { groups: rules.groups },
  };
  return HEADER + stringify(resource, { lineWidth: 0, singleQuote: true });
}
