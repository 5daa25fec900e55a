import { DETECTOR_DEFAULTS } from '../alert-rules';
import type { DetectorSignal, ObservedReading } from './detector.types';
import { checkFlatline, type FlatlineRule, type FlatlineState } from './flatline.detector';
import {
  checkRateOfChange,
  type RateOfChangeRule,
  type RateOfChangeState,
} from './rate-of-change.detector';
import { runReadingDetectors } from './reading-detectors';
import { checkSilence } from './silence.detector';
import { checkBounds, type BoundsState } from './threshold.detector';
import { checkZScore, type ZScoreRule, type ZScoreState } from './zscore.detector';

const T0 = 1_700_000_000_000;
const series = (values: number[], stepMs = 1_000, start = T0): ObservedReading[] =>
  values.map((value, i) => ({ time: start + i * stepMs, value }));

/** Feeds readings through a stateful detector, collecting every signal with its reading index. */
function run<S, R>(
  check: (
    rule: R,
    state: S | undefined,
    reading: ObservedReading,
  ) => { state: S | undefined; signal?: DetectorSignal },
  rule: R,
  readings: ObservedReading[],
  initial?: S,
): { state: S | undefined; signals: Array<DetectorSignal & { index: number }> } {
  let state = initial;
  const signals: Array<DetectorSignal & { index: number }> = [];
  readings.forEach((reading, index) => {
    const step = check(rule, state, reading);
    state = step.state;
    if (step.signal) signals.push({ ...step.signal, index });
  });
  return { state, signals };
}

describe('threshold and valid-range detector', () => {
  const rule = { min: 0, max: 30, severity: 'warning' as const };

  it('fires once when a value leaves the bounds and resolves once when it returns', () => {
    const { signals } = run<BoundsState, typeof rule>(
      (r, s, x) => checkBounds('threshold', r, s, x),
      rule,
      series([20, 31, 35, 40, 29, 30, -1, 5]),
    );
    expect(signals.map((s) => [s.index, s.state])).toEqual([
      [1, 'firing'],
      [4, 'resolved'],
      [6, 'firing'],
      [7, 'resolved'],
    ]);
    expect(signals[0].evidence).toMatchObject({ value: 31, max: 30, min: 0 });
  });

  it('never fires for values on the bounds (inclusive) or inside them', () => {
    const { signals } = run<BoundsState, typeof rule>(
      (r, s, x) => checkBounds('range', r, s, x),
      rule,
      series([0, 30, 15, 0, 30]),
    );
    expect(signals).toEqual([]);
  });
});

describe('rate-of-change detector', () => {
  const rule: RateOfChangeRule = { maxPerSecond: 5, maxGapMs: 60_000, severity: 'warning' };

  it('fires on a sudden jump and resolves when the change rate is normal again', () => {
    const { signals } = run<RateOfChangeState, RateOfChangeRule>(
      checkRateOfChange,
      rule,
      series([10, 11, 12, 40, 41, 42]),
    );
    expect(signals.map((s) => [s.index, s.state])).toEqual([
      [3, 'firing'],
      [4, 'resolved'],
    ]);
    expect(signals[0].evidence).toMatchObject({ previousValue: 12, value: 40, ratePerSecond: 28 });
  });

  it('does not fire on a slow drift that adds up to a large change', () => {
    const { signals } = run(
      checkRateOfChange,
      rule,
      series(Array.from({ length: 100 }, (_, i) => i * 4)),
    );
    expect(signals).toEqual([]);
  });

  it('ignores a clock jump back and a duplicate timestamp instead of dividing by zero or a negative interval', () => {
    const readings = [
      { time: T0, value: 10 },
      { time: T0, value: 500 },
      { time: T0 - 5_000, value: -500 },
      { time: T0 + 1_000, value: 12 },
    ];
    const { signals, state } = run(checkRateOfChange, rule, readings);
    expect(signals).toEqual([]);
    expect(state).toMatchObject({ lastTime: T0 + 1_000, lastValue: 12 });
  });

  it('does not compare across a gap longer than maxGapMs (clock jump forward, device offline)', () => {
    const readings = [
      { time: T0, value: 10 },
      { time: T0 + 3_600_000, value: 90 },
      { time: T0 + 3_601_000, value: 91 },
    ];
    expect(run(checkRateOfChange, rule, readings).signals).toEqual([]);
  });
});

describe('rolling z-score detector', () => {
  const rule: ZScoreRule = {
    threshold: 4,
    window: 50,
    minSamples: 20,
    minStdDev: 0.5,
    resetAfterMs: 60_000,
    severity: 'warning',
  };
  // deterministic noise in [-1, 1]
  const noise = (i: number): number => Math.sin(i * 12.9898) * 0.999;

  it('fires on a spike against a noisy baseline and resolves when values are normal again', () => {
    const values = Array.from({ length: 60 }, (_, i) => 20 + noise(i));
    values.push(40, 20.1, 19.9);
    const { signals } = run<ZScoreState, ZScoreRule>(checkZScore, rule, series(values));
    expect(signals.map((s) => [s.index, s.state])).toEqual([
      [60, 'firing'],
      [61, 'resolved'],
    ]);
    expect(signals[0].evidence).toMatchObject({ value: 40, threshold: 4 });
    expect(signals[0].evidence.zScore as number).toBeGreaterThan(4);
  });

  it('never fires on noise within the threshold', () => {
    const values = Array.from({ length: 500 }, (_, i) => 20 + noise(i));
    expect(run(checkZScore, rule, series(values)).signals).toEqual([]);
  });

  it('treats a constant series as normal (deviation 0, z 0, no NaN) and only fires beyond the stddev floor', () => {
    const constant = Array.from({ length: 100 }, () => 7);
    const quiet = run(checkZScore, rule, series(constant));
    expect(quiet.signals).toEqual([]);
    expect(quiet.state).toMatchObject({ mean: 7, variance: 0 });
    expect(Number.isNaN(quiet.state!.mean)).toBe(false);

    // a change below threshold × minStdDev (4 × 0.5 = 2) is not an anomaly after a constant run
    expect(
      run(checkZScore, rule, series([7.0, 8.5], 1_000, T0 + 100_000), quiet.state).signals,
    ).toEqual([]);
    // beyond it is, and the evidence stays finite
    const jump = run(checkZScore, rule, series([12], 1_000, T0 + 100_000), quiet.state);
    expect(jump.signals).toHaveLength(1);
    expect(jump.signals[0].evidence).toMatchObject({ stdDev: 0, zScore: 10 });
  });

  it('gives no verdict before minSamples readings', () => {
    const { signals } = run(checkZScore, rule, series([1, 1, 1, 1, 100, 1000]));
    expect(signals).toEqual([]);
  });

  it('restarts the baseline after a gap (clock jump forward) instead of comparing with stale data', () => {
    const before = run(
      checkZScore,
      rule,
      series(Array.from({ length: 40 }, (_, i) => 20 + noise(i))),
    );
    const after = run(checkZScore, rule, [{ time: T0 + 10 * 3_600_000, value: 80 }], before.state);
    expect(after.signals).toEqual([]);
    expect(after.state).toMatchObject({ n: 1, mean: 80 });
  });

  it('ignores readings at or before the last one (clock jump back, replay)', () => {
    const before = run(
      checkZScore,
      rule,
      series(Array.from({ length: 40 }, (_, i) => 20 + noise(i))),
    );
    const replay = run(checkZScore, rule, [{ time: T0, value: 1e6 }], before.state);
    expect(replay.signals).toEqual([]);
    expect(replay.state).toEqual(before.state);
  });

  it('accepts a lasting level shift as the new normal (resolves rather than firing forever)', () => {
    const values = [
      ...Array.from({ length: 40 }, (_, i) => 20 + noise(i)),
      ...Array.from({ length: 200 }, (_, i) => 60 + noise(i)),
    ];
    const { signals } = run(checkZScore, rule, series(values));
    expect(signals.map((s) => s.state)).toEqual(['firing', 'resolved']);
  });
});

describe('flatline detector', () => {
  const rule: FlatlineRule = { durationMs: 10_000, epsilon: 0.01, severity: 'warning' };

  it('fires once a value is stuck for the duration and resolves when it moves', () => {
    const values = [1, 2, 5, 5, 5.005, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6];
    const { signals } = run<FlatlineState, FlatlineRule>(
      checkFlatline,
      rule,
      series(values, 1_000),
    );
    // stuck from index 2 (t=2s); 10 s later is index 12
    expect(signals.map((s) => [s.index, s.state])).toEqual([
      [12, 'firing'],
      [14, 'resolved'],
    ]);
    expect(signals[0].evidence).toMatchObject({
      stuckValue: 5,
      since: T0 + 2_000,
      durationMs: 10_000,
    });
  });

  it('does not fire on a value that keeps moving, nor on a run shorter than the duration', () => {
    expect(
      run(
        checkFlatline,
        rule,
        series(
          Array.from({ length: 60 }, (_, i) => i % 2),
          1_000,
        ),
      ).signals,
    ).toEqual([]);
    expect(run(checkFlatline, rule, series([3, 3, 3, 3, 3, 4], 1_000)).signals).toEqual([]);
  });

  it('measures on reading time, ignoring readings that jump back in time', () => {
    const readings = [
      { time: T0, value: 5 },
      { time: T0 - 50_000, value: 5 },
      { time: T0 + 5_000, value: 5 },
    ];
    expect(run(checkFlatline, rule, readings).signals).toEqual([]);
  });
});

describe('silence detector', () => {
  const rule = { afterMs: 60_000, severity: 'warning' as const };

  it('fires once when a device has been quiet for afterMs', () => {
    expect(checkSilence(rule, { lastSeenAt: T0, silenced: false }, T0 + 59_999)).toBeUndefined();
    const signal = checkSilence(rule, { lastSeenAt: T0, silenced: false }, T0 + 60_000);
    expect(signal).toMatchObject({
      kind: 'silence',
      state: 'firing',
      evidence: { quietForMs: 60_000 },
    });
    // still silent and already reported: nothing new
    expect(checkSilence(rule, { lastSeenAt: T0, silenced: true }, T0 + 600_000)).toBeUndefined();
  });

  it('resolves when a silent device comes back', () => {
    const signal = checkSilence(rule, { lastSeenAt: T0 + 600_000, silenced: true }, T0 + 600_500);
    expect(signal).toMatchObject({ kind: 'silence', state: 'resolved' });
  });

  it('treats a clock that jumped back behind the last reading as "heard from"', () => {
    expect(checkSilence(rule, { lastSeenAt: T0, silenced: false }, T0 - 3_600_000)).toBeUndefined();
  });
});

describe('runReadingDetectors', () => {
  it('runs the configured detectors only and flags the anomalous readings', () => {
    const result = runReadingDetectors(
      { threshold: { ...DETECTOR_DEFAULTS.threshold, max: 30 } },
      {},
      series([10, 50, 10]),
    );
    expect(result.signals.map((s) => `${s.kind}:${s.state}@${s.time - T0}`)).toEqual([
      'threshold:firing@1000',
      'threshold:resolved@2000',
    ]);
    expect(result.anomalous).toEqual([false, true, false]);
    expect(result.state).toEqual({ threshold: { firing: false } });
  });
});
