import { spawnSync } from 'node:child_process';

export interface PromtoolRun {
  status: number | null;
  output: string;
}

/** Debian's promtool (package `prometheus`), or undefined when it is not installed. */
export function findPromtool(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path.length > 0 ? path : undefined;
}

export function runPromtool(promtool: string, args: string[], cwd: string): PromtoolRun {
  const run = spawnSync(promtool, args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
