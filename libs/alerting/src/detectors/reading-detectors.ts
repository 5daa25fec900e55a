import type { DetectorSettings } from '../alert-rules';
import type { DetectorSignal, ObservedReading } from './detector.types';
import { checkFlatline, type FlatlineState } from './flatline.detector';
import { checkRateOfChange, type RateOfChangeState } from './rate-of-change.detector';
import { checkBounds, type BoundsState } from './threshold.detector';
import { checkZScore, type ZScoreState } from './zscore.detector';

/** Every per-reading detector's state for one (device, metric), stored as one JSON value. */
export interface SeriesDetectorState {
  threshold?: BoundsState;
  range?: BoundsState;
  rateOfChange?: RateOfChangeState;
  zscore?: ZScoreState;
  flatline?: FlatlineState;
}

/**
 * Runs the configured per-reading detectors over readings of one series in time order. A
 * detector switched off drops its state, and if it was firing reports nothing more (the notifier
 * resolves the stale incident on its own clear timer).
 */
export function runReadingDetectors(
  settings: DetectorSettings,
  initial: SeriesDetectorState,
  readings: readonly ObservedReading[],
): {
  state: SeriesDetectorState;
  signals: Array<DetectorSignal & { time: number }>;
  /** Per input reading: whether some detector was firing after it (the reading's anomaly flag). */
  anomalous: boolean[];
} {
  let state: SeriesDetectorState = { ...initial };
  const signals: Array<DetectorSignal & { time: number }> = [];
  const anomalous: boolean[] = [];
  const emit = (signal: DetectorSignal | undefined, time: number): void => {
    if (signal !== undefined) signals.push({ ...signal, time });
  };
  for (const reading of readings) {
    const next: SeriesDetectorState = {};
    if (settings.range) {
      const step = checkBounds('range', settings.range, state.range, reading);
      next.range = step.state;
      emit(step.signal, reading.time);
    }
    if (settings.threshold) {
      const step = checkBounds('threshold', settings.threshold, state.threshold, reading);
      next.threshold = step.state;
      emit(step.signal, reading.time);
    }
    if (settings.rateOfChange) {
      const step = checkRateOfChange(settings.rateOfChange, state.rateOfChange, reading);
      next.rateOfChange = step.state;
      emit(step.signal, reading.time);
    }
    if (settings.zscore) {
      const step = checkZScore(settings.zscore, state.zscore, reading);
      next.zscore = step.state;
      emit(step.signal, reading.time);
    }
    if (settings.flatline) {
      const step = checkFlatline(settings.flatline, state.flatline, reading);
      next.flatline = step.state;
      emit(step.signal, reading.time);
    }
    state = next;
    anomalous.push(isAnomalous(state));
  }
  return { state, signals, anomalous };
}

/** Whether any detector considers the series anomalous right now (marks the reading). */
export function isAnomalous(state: SeriesDetectorState): boolean {
  return Boolean(
    state.threshold?.firing ||
    state.range?.firing ||
    state.rateOfChange?.firing ||
    state.zscore?.firing ||
    state.flatline?.firing,
  );
}
