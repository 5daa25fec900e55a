/**
 * Time source for the group coordinator. Injected so its timeouts (join barrier, session
 * expiry) are driven by a fake clock in unit tests instead of real waiting.
 */
export interface GroupClock {
  now(): number;
  setTimer(delayMs: number, fire: () => void): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: GroupClock = {
  now: () => Date.now(),
  setTimer: (delayMs, fire) => {
    const t = setTimeout(fire, delayMs);
    // Group timers never keep a stopping process alive; the broker clears them on stop anyway.
    t.unref();
    return t;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
