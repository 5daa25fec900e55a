import { type ChildProcess, spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedService {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every stdout and stderr line so far. */
  readonly lines: readonly string[];
  /** The lines that are JSON objects (pino log lines). */
  jsonLines(): Array<Record<string, unknown>>;
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  waitForExit(timeoutMs?: number): Promise<ServiceExit>;
  /** SIGTERM, then SIGKILL if still running after `timeoutMs`; for afterAll. */
  stop(timeoutMs?: number): Promise<ServiceExit>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs a TypeScript entry point (path absolute or relative to the workspace root) in its own
 * process via `node -r @swc-node/register`, as production would run it, for crash and shutdown
 * tests. The child inherits process.env plus `env`.
 */
export function spawnService(entry: string, env: Record<string, string> = {}): SpawnedService {
  const entryPath = isAbsolute(entry) ? entry : resolve(WORKSPACE_ROOT, entry);
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entryPath], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`Could not spawn ${entryPath}`);
  running.add(child);

  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  let exit: ServiceExit | undefined;
  const exited = new Promise<ServiceExit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolveExit(exit);
    });
  });

  const waitForExit = (timeoutMs = 15_000): Promise<ServiceExit> =>
    waitFor(() => exit, { timeoutMs, message: `exit of ${entry} (pid ${child.pid})` });

  return {
    pid: child.pid,
    child,
    lines,
    jsonLines: () => lines.flatMap((line) => parseJsonObject(line)),
    waitForLine: (match, timeoutMs = 15_000) =>
      waitFor(
        () => {
          const found = lines.find((line) =>
            match instanceof RegExp ? match.test(line) : match(line),
          );
          if (found === undefined && exit !== undefined) {
            throw new Error(
              `${entry} exited (${JSON.stringify(exit)}); last lines:\n${lines.slice(-20).join('\n')}`,
            );
          }
          return found;
        },
        { timeoutMs, message: `a line matching ${String(match)} from ${entry}` },
      ),
    kill: (signal = 'SIGTERM') => {
      if (exit === undefined) child.kill(signal);
    },
    waitForExit,
    stop: async (timeoutMs = 10_000) => {
      if (exit !== undefined) return exit;
      child.kill('SIGTERM');
      try {
        return await waitForExit(timeoutMs);
      } catch {
        child.kill('SIGKILL');
        return exited;
      }
    },
  };
}

function parseJsonObject(line: string): Array<Record<string, unknown>> {
  if (!line.startsWith('{')) return [];
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}
