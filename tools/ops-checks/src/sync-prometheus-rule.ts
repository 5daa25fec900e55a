// Writes k8s/base/monitoring/prometheusrule.yaml from deploy/prometheus/rules/sluice.rules.yml.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderPrometheusRule } from './prometheus-rule';
import { paths } from './repo-paths';

writeFileSync(paths.prometheusRule, renderPrometheusRule(readFileSync(paths.rules, 'utf8')));
process.stdout.write(`wrote ${paths.prometheusRule}\n`);
