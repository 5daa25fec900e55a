import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { K8sObject } from './kustomize';

export interface SchemaResult {
  kind: string;
  name: string;
  /** null when the object is valid */
  error: string | null;
}

/** Validates objects against the Kubernetes and CRD schemas (see k8s-schema-validate.mjs). */
export function validateAgainstSchemas(objects: readonly K8sObject[]): SchemaResult[] {
  const output = execFileSync('node', [join(__dirname, 'k8s-schema-validate.mjs')], {
    input: JSON.stringify(objects.map(unwrapSecretData)),
    encoding: 'utf8',
    cwd: __dirname,
  });
  return JSON.parse(output) as SchemaResult[];
}

// kustomize wraps long base64 Secret values at 70 columns; the API server's decoder (Go's
// encoding/base64) skips those newlines, the schema's strict "byte" format does not.
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || object.data === undefined) return object;
  const data = Object.fromEntries(
    Object.entries(object.data).map(([key, value]) => [key, value.replace(/\s+/g, '')]),
  );
  return { ...object, data };
}
