import { readFileSync } from 'node:fs';

/**
 * User + system CPU seconds a process (e.g. a service, or a PostgreSQL backend found through
 * `pg_backend_pid()`) has used so far, from Linux /proc; undefined where /proc is not available or
 * the process is gone (or has no pid: not started). Benchmarks difference two readings to get the
 * CPU cost of a run.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name (which may hold spaces); utime and stime are the
  // 12th and 13th of them, in clock ticks (100 per second on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
