import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { paths } from './repo-paths';

/** A rendered Kubernetes object, loosely typed: the schema validator checks its shape. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [field: string]: unknown;
}

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
  constructor(
    readonly overlay: string,
    readonly detail: string,
  ) {
    super(`kubectl kustomize k8s/overlays/${overlay} failed: ${detail}`);
  }
}

/** Renders one overlay with Debian's kubectl (its built-in kustomize) into plain objects. */
export function renderOverlay(overlay: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', join(paths.overlays, overlay)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new KustomizeError(overlay, stderr?.trim() || String(error));
  }
  return parseAllDocuments(output)
    .map((doc) => doc.toJSON() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}
