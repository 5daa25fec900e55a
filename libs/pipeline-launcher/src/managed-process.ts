import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

const liveChildren = new Set<ChildProcess>();
// Detached children would outlive a launcher that dies without stopping them; never leave orphans.
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface ManagedProcessOptions {
  name: string;
  /** TypeScript entry point relative to the repository root, run through SWC. */
  entry: string;
  args?: string[];
  /** Options for node itself, before the entry point. */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Where stdout and stderr go (appended, so restarts keep the history). */
  logFile: string;
  onLine?: (line: string) => void;
}

export class ProcessExitedError extends Error {
  constructor(
    readonly processName: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly logFile: string,
    /** The last lines it printed: the log file may be gone by the time someone reads the error. */
    readonly lastLines: readonly string[] = [],
  ) {
    super(
      `${processName} exited (code ${exitCode ?? 'none'}, signal ${signal ?? 'none'}); see ${logFile}` +
        (lastLines.length > 0 ? `; its last output:\n${lastLines.join('\n')}` : ''),
    );
    this.name = 'ProcessExitedError';
  }
}

/**
 * A 16 MiB young generation (V8's default is 1-8 MiB): the services decode and encode tens of
 * thousands of short-lived JSON objects per second, and with the default semi-space most CPU
 * beyond the work itself went to scavenges; measured ~20% less stream-transformer CPU per reading.
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=16'];

const REMEMBERED_LINES = 30;

/** One child process of the pipeline: start, wait for it, signal it, restart it. */
export class ManagedProcess {
  private readonly recentLines: string[] = [];
  private child: ChildProcess | undefined;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private log: WriteStream | undefined;

  constructor(readonly options: ManagedProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    mkdirSync(dirname(this.options.logFile), { recursive: true });
    this.log = createWriteStream(this.options.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        ...(this.options.nodeArgs ?? SERVICE_NODE_ARGS),
        '-r',
        '@swc-node/register',
        this.options.entry,
        ...(this.options.args ?? []),
      ],
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops the
      // services in order (producers first, the broker last) instead of all at once.
      { cwd: REPO_ROOT, env: this.options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.log?.write(`${line}\n`);
        this.recentLines.push(line);
        if (this.recentLines.length > REMEMBERED_LINES) this.recentLines.shift();
        this.options.onLine?.(line);
      });
    }
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Resolves with the exit code and signal once the process has exited. */
  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) throw new Error(`${this.name} was never started`);
    return this.exit;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) throw new Error(`${this.name} was never started`);
    if (this.running) {
      this.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      try {
        return await this.exit;
      } finally {
        clearTimeout(timer);
        this.log?.end();
      }
    }
    return this.exit;
  }

  /** Rejects with ProcessExitedError when the process exits: race it against waits that need it alive. */
  unexpectedExit(): Promise<never> {
    return this.waitForExit().then(({ code, signal }) => {
      throw new ProcessExitedError(this.name, code, signal, this.options.logFile, [
        ...this.recentLines,
      ]);
    });
  }
}
