// Validates Kubernetes objects against the OpenAPI schemas of the Kubernetes API and of the CRDs
// we use (KEDA, Prometheus Operator), compiled to ajv validators by the kubernetes-models packages
// (offline: the schemas ship inside the packages). Those packages are ES modules only, which
// Jest's CommonJS runtime cannot load, so the spec runs this file as a child process:
//   stdin: JSON array of objects; stdout: JSON array of { kind, name, error } (error null = valid).
import { readFileSync } from 'node:fs';

// apiVersion group -> package holding its models; groups not listed are core Kubernetes.
const CRD_PACKAGES = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelModule(apiVersion, kind) {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return `kubernetes-models/${apiVersion}/${kind}`;
  const group = apiVersion.slice(0, slash);
  const pkg = CRD_PACKAGES[group] ?? 'kubernetes-models';
  return `${pkg}/${apiVersion}/${kind}`;
}

async function validate(object) {
  const { apiVersion, kind } = object;
  const name = object.metadata?.name ?? '(unnamed)';
  let model;
  try {
    model = (await import(modelModule(apiVersion, kind)))[kind];
  } catch (error) {
    return { kind, name, error: `no schema for ${apiVersion} ${kind}: ${error.message}` };
  }
  if (typeof model !== 'function') {
    return { kind, name, error: `no schema for ${apiVersion} ${kind}` };
  }
  try {
    new model(object).validate();
    return { kind, name, error: null };
  } catch (error) {
    return { kind, name, error: error.message };
  }
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const object of objects) results.push(await validate(object));
process.stdout.write(JSON.stringify(results));
