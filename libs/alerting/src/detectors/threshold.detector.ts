import type { AlertSeverity } from '../alert-rules';
import {
  transition,
  type DetectorKind,
  type DetectorSignal,
  type ObservedReading,
} from './detector.types';

export interface BoundsRule {
  min?: number;
  max?: number;
  severity: AlertSeverity;
}

export interface BoundsState {
  firing: boolean;
}

/**
 * Threshold (`threshold`: an operational limit, e.g. temperature above 30) and valid range
 * (`range`: what the sensor can physically report; outside it the sensor is broken). Both are the
 * same check with different meaning and default severity. Bounds are inclusive: a value equal to
 * `max` is fine.
 */
export function checkBounds(
  kind: Extract<DetectorKind, 'threshold' | 'range'>,
  rule: BoundsRule,
  state: BoundsState | undefined,
  reading: ObservedReading,
): { state: BoundsState; signal?: DetectorSignal } {
  const below = rule.min !== undefined && reading.value < rule.min;
  const above = rule.max !== undefined && reading.value > rule.max;
  const breached = below || above;
  const signal = transition(state?.firing ?? false, breached, () => ({
    kind,
    severity: rule.severity,
    message: breached
      ? `${reading.value} is ${below ? `below the minimum ${rule.min}` : `above the maximum ${rule.max}`}${kind === 'range' ? ' (outside the valid range)' : ''}`
      : `${reading.value} is back within [${rule.min ?? '-inf'}, ${rule.max ?? '+inf'}]`,
    evidence: {
      value: reading.value,
      time: reading.time,
      min: rule.min ?? null,
      max: rule.max ?? null,
    },
  }));
  return { state: { firing: breached }, signal };
}
