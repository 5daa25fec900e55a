import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MetricType } from './metrics-catalog';
import { REPO_ROOT } from './repo-paths';

export interface RegisteredMetric {
  name: string;
  type: MetricType;
  labels: string[];
  /** repository-relative file that registers it */
  file: string;
}

const CONSTRUCTOR = /\b(?:create|new\s+)(Counter|Gauge|Histogram)\s*(?:<[^>(]*>)?\(\s*\{/g;

/**
 * Metrics the code registers: every `createCounter/createGauge/createHistogram({...})` and
 * `new Counter/Gauge/Histogram({...})` call with a literal `name` under apps/ and libs/ (tests
 * and fixtures excluded). Reads source text, so it needs no service to run.
 */
export function findRegisteredMetrics(): RegisteredMetric[] {
  const found: RegisteredMetric[] = [];
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(CONSTRUCTOR)) {
      const open = (match.index ?? 0) + match[0].length - 1;
      const body = text.slice(open, closingBrace(text, open));
      const name = /\bname:\s*['"`]([a-zA-Z_:][a-zA-Z0-9_:]*)['"`]/.exec(body)?.[1];
      if (name === undefined) continue; // the generic factories in libs/metrics pass config through
      const labelList = /\blabelNames:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
      const labels = [...labelList.matchAll(/['"]([a-z_]+)['"]/g)].map((m) => m[1]);
      found.push({
        name,
        type: match[1].toLowerCase() as MetricType,
        labels,
        file: relative(REPO_ROOT, file),
      });
    }
  }
  return found;
}

function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && (depth -= 1) === 0) return i + 1;
  }
  return text.length;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'dist', '__fixtures__', 'testing'].includes(entry.name)) walk(path);
      } else if (entry.name.endsWith('.ts') && !/\.(spec|test)\.ts$/.test(entry.name)) {
        files.push(path);
      }
    }
  };
  walk(join(REPO_ROOT, 'apps'));
  walk(join(REPO_ROOT, 'libs'));
  return files;
}
