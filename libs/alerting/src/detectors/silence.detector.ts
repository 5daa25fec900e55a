import type { AlertSeverity } from '../alert-rules';
import type { DetectorSignal } from './detector.types';

export interface SilenceRule {
  /** A device with no reading for this long is silent. */
  afterMs: number;
  severity: AlertSeverity;
}

export interface DeviceActivity {
  /** Wall-clock time the pipeline last received a reading of the device. */
  lastSeenAt: number;
  /** Whether a `silence` alert is currently open for the device. */
  silenced: boolean;
}

/**
 * Device silence, evaluated periodically against the wall clock (not reading timestamps: a device
 * sending old timestamps is still talking). Fires once when the device goes quiet and resolves
 * once when a reading arrives again; `now` before `lastSeenAt` (clock jump back) counts as heard.
 */
export function checkSilence(
  rule: SilenceRule,
  activity: DeviceActivity,
  now: number,
): DetectorSignal | undefined {
  const quietForMs = now - activity.lastSeenAt;
  const silent = quietForMs >= rule.afterMs;
  if (silent === activity.silenced) return undefined;
  return {
    kind: 'silence',
    state: silent ? 'firing' : 'resolved',
    severity: rule.severity,
    message: silent
      ? `no reading for ${Math.round(quietForMs / 1000)} s (limit ${Math.round(rule.afterMs / 1000)} s)`
      : 'device is sending readings again',
    evidence: {
      lastSeenAt: activity.lastSeenAt,
      now,
      quietForMs: Math.max(quietForMs, 0),
      afterMs: rule.afterMs,
    },
  };
}
