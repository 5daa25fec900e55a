import type { AlertSeverity } from '../alert-rules';

/** One reading as the per-reading detectors see it. */
export interface ObservedReading {
  time: number;
  value: number;
}

/**
 * What a detector concluded about one reading: a transition only. A detector reports `firing`
 * once when its condition starts and `resolved` once when it clears; readings in between report
 * nothing, so a sustained condition is one alert event, not one per reading.
 */
export interface DetectorSignal {
  kind: DetectorKind;
  state: 'firing' | 'resolved';
  severity: AlertSeverity;
  message: string;
  /** Values, thresholds and window behind the decision, copied into the alert's evidence. */
  evidence: Record<string, unknown>;
}

export type DetectorKind =
  'threshold' | 'range' | 'rate_of_change' | 'zscore' | 'flatline' | 'silence';

/** Result of feeding one reading to a stateful detector: its next state and maybe a signal. */
export interface DetectorStep<S> {
  state: S;
  signal?: DetectorSignal;
}

/** Emits `firing`/`resolved` only when `breached` differs from what was last reported. */
export function transition(
  wasFiring: boolean,
  breached: boolean,
  build: () => Omit<DetectorSignal, 'state'>,
): DetectorSignal | undefined {
  if (breached === wasFiring) return undefined;
  return { ...build(), state: breached ? 'firing' : 'resolved' };
}
