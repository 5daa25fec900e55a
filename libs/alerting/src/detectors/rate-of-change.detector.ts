import type { AlertSeverity } from '../alert-rules';
import { transition, type DetectorStep, type ObservedReading } from './detector.types';

export interface RateOfChangeRule {
  /** Largest accepted |Δvalue| per second between consecutive readings. */
  maxPerSecond: number;
  /**
   * Readings further apart than this are not compared: after a gap (device offline, clock jump
   * forward) the rate says nothing about a sudden change.
   */
  maxGapMs: number;
  severity: AlertSeverity;
}

export interface RateOfChangeState {
  lastTime: number;
  lastValue: number;
  firing: boolean;
}

/**
 * Sudden jumps between consecutive readings. A reading at or before the previous one (replay,
 * out-of-order delivery, clock jumping back) is ignored and leaves the state untouched, so a
 * division by a zero or negative interval never happens.
 */
export function checkRateOfChange(
  rule: RateOfChangeRule,
  state: RateOfChangeState | undefined,
  reading: ObservedReading,
): DetectorStep<RateOfChangeState | undefined> {
  if (state === undefined) {
    return { state: { lastTime: reading.time, lastValue: reading.value, firing: false } };
  }
  const dtMs = reading.time - state.lastTime;
  if (dtMs <= 0) return { state };
  const next = { lastTime: reading.time, lastValue: reading.value, firing: state.firing };
  if (dtMs > rule.maxGapMs) return { state: next };
  const ratePerSecond = (reading.value - state.lastValue) / (dtMs / 1000);
  const breached = Math.abs(ratePerSecond) > rule.maxPerSecond;
  const signal = transition(state.firing, breached, () => ({
    kind: 'rate_of_change',
    severity: rule.severity,
    message: breached
      ? `changed by ${round(ratePerSecond)}/s (limit ${rule.maxPerSecond}/s)`
      : `rate of change back under ${rule.maxPerSecond}/s`,
    evidence: {
      value: reading.value,
      time: reading.time,
      previousValue: state.lastValue,
      previousTime: state.lastTime,
      ratePerSecond: round(ratePerSecond),
      maxPerSecond: rule.maxPerSecond,
    },
  }));
  return { state: { ...next, firing: breached }, signal };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
