import { processCpuSeconds } from './process-cpu';

describe('processCpuSeconds', () => {
  it('reads the CPU time Node reports for this process (to the clock tick)', () => {
    const fromProc = processCpuSeconds(process.pid);
    const { user, system } = process.cpuUsage();
    // /proc counts in 10 ms ticks and is read first, so it may trail by a tick or two.
    expect(fromProc).toBeGreaterThan(0);
    expect(fromProc).toBeLessThanOrEqual((user + system) / 1e6 + 0.01);
    expect(fromProc).toBeGreaterThan((user + system) / 1e6 - 0.05);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
  });
});
