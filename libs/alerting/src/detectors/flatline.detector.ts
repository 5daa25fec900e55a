import type { AlertSeverity } from '../alert-rules';
import { transition, type DetectorStep, type ObservedReading } from './detector.types';

export interface FlatlineRule {
  /** Fires once the value has not moved by more than `epsilon` for this long. */
  durationMs: number;
  epsilon: number;
  severity: AlertSeverity;
}

export interface FlatlineState {
  /** The value the run started with and the time of its first reading. */
  value: number;
  since: number;
  lastTime: number;
  firing: boolean;
}

/**
 * A stuck sensor: the same value (within epsilon) for at least `durationMs` of reading time.
 * Durations are measured on reading timestamps, not the wall clock, so a backlog replayed quickly
 * is judged as it happened. Readings at or before the last one are ignored (clock jump back).
 */
export function checkFlatline(
  rule: FlatlineRule,
  state: FlatlineState | undefined,
  reading: ObservedReading,
): DetectorStep<FlatlineState> {
  if (state !== undefined && reading.time <= state.lastTime) return { state };
  const sameValue = state !== undefined && Math.abs(reading.value - state.value) <= rule.epsilon;
  const run = sameValue
    ? { value: state.value, since: state.since }
    : { value: reading.value, since: reading.time };
  const stuckForMs = reading.time - run.since;
  const breached = stuckForMs >= rule.durationMs;
  const wasFiring = state?.firing ?? false;
  const signal = transition(wasFiring, breached, () => ({
    kind: 'flatline',
    severity: rule.severity,
    message: breached
      ? `value stuck at ${run.value} for ${Math.round(stuckForMs / 1000)} s`
      : `value moved again (${reading.value}) after being stuck at ${state?.value}`,
    evidence: {
      value: reading.value,
      time: reading.time,
      stuckValue: breached ? run.value : (state?.value ?? null),
      since: breached ? run.since : (state?.since ?? null),
      durationMs: rule.durationMs,
      epsilon: rule.epsilon,
    },
  }));
  return { state: { ...run, lastTime: reading.time, firing: breached }, signal };
}
