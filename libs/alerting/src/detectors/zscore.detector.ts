import type { AlertSeverity } from '../alert-rules';
import { transition, type DetectorStep, type ObservedReading } from './detector.types';

export interface ZScoreRule {
  /** Fires when |value - mean| / stddev exceeds this. */
  threshold: number;
  /** Effective number of recent readings in the exponentially weighted mean and variance. */
  window: number;
  /** No verdict before the baseline has seen this many readings. */
  minSamples: number;
  /**
   * Floor of the standard deviation. A constant series has a deviation of exactly 0, which would
   * make any change, however small, infinitely anomalous; with the floor a change of less than
   * `threshold × minStdDev` from a constant baseline is not an anomaly.
   */
  minStdDev: number;
  /** A gap longer than this (device offline, clock jump) restarts the baseline. */
  resetAfterMs: number;
  severity: AlertSeverity;
}

/** Small enough to live in Redis per (device, metric) and be passed in and out per reading. */
export interface ZScoreState {
  n: number;
  mean: number;
  variance: number;
  lastTime: number;
  firing: boolean;
}

/**
 * Rolling z-score against an exponentially weighted mean and variance (West's incremental form):
 * O(1) state, no window of past values to store. The reading is judged against the baseline
 * *before* it is folded in. Anomalous readings are folded in too, so a lasting level shift becomes
 * the new normal and the alert resolves instead of firing forever.
 */
export function checkZScore(
  rule: ZScoreRule,
  state: ZScoreState | undefined,
  reading: ObservedReading,
): DetectorStep<ZScoreState> {
  if (state !== undefined && reading.time <= state.lastTime) return { state };
  const restart = state === undefined || reading.time - state.lastTime > rule.resetAfterMs;
  if (restart) {
    const fresh: ZScoreState = {
      n: 1,
      mean: reading.value,
      variance: 0,
      lastTime: reading.time,
      firing: false,
    };
    const signal = state?.firing
      ? {
          kind: 'zscore' as const,
          state: 'resolved' as const,
          severity: rule.severity,
          message: `baseline restarted after ${reading.time - state.lastTime} ms without readings`,
          evidence: {
            value: reading.value,
            time: reading.time,
            gapMs: reading.time - state.lastTime,
          },
        }
      : undefined;
    return { state: fresh, signal };
  }

  const stdDev = Math.sqrt(Math.max(state.variance, 0));
  const effectiveStdDev = Math.max(stdDev, rule.minStdDev, Number.MIN_VALUE);
  const deviation = reading.value - state.mean;
  const z = Math.abs(deviation) / effectiveStdDev;
  const judged = state.n >= rule.minSamples;
  const breached = judged ? z > rule.threshold : state.firing;

  const n = state.n + 1;
  const alpha = Math.max(1 / n, 2 / (rule.window + 1));
  const increment = alpha * deviation;
  const next: ZScoreState = {
    n,
    mean: state.mean + increment,
    variance: (1 - alpha) * (state.variance + deviation * increment),
    lastTime: reading.time,
    firing: breached,
  };
  const signal = transition(state.firing, breached, () => ({
    kind: 'zscore',
    severity: rule.severity,
    message: breached
      ? `${reading.value} is ${round(z)} standard deviations from the recent mean ${round(state.mean)}`
      : `${reading.value} is back within ${rule.threshold} standard deviations of the recent mean`,
    evidence: {
      value: reading.value,
      time: reading.time,
      mean: round(state.mean),
      stdDev: round(stdDev),
      zScore: Number.isFinite(z) ? round(z) : null,
      threshold: rule.threshold,
      window: rule.window,
      samples: state.n,
    },
  }));
  return { state: next, signal };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
