/**
 * A chart's series: history from the serving layer followed by live WebSocket points, with no gap
 * and no duplicate. Live points that arrive while history is loading are held and appended after
 * it, keeping only those newer than the last historical point.
 */
export interface SeriesPoint {
  time: number;
  value: number;
}

export class LiveSeries {
  private times: number[] = [];
  private values: number[] = [];
  private pending: SeriesPoint[] = [];
  private historyLoaded = false;

  constructor(private windowMs: number) {}

  /** Replace the contents with `history` (oldest first) and release the points held meanwhile. */
  setHistory(history: readonly SeriesPoint[]): void {
    const sorted = [...history].sort((a, b) => a.time - b.time);
    this.times = sorted.map((point) => point.time);
    this.values = sorted.map((point) => point.value);
    this.historyLoaded = true;
    const held = this.pending;
    this.pending = [];
    for (const point of held) this.append(point);
  }

  /** Hold live points until history is in (see setHistory). */
  resetForReload(windowMs: number): void {
    this.windowMs = windowMs;
    this.historyLoaded = false;
    this.pending = [];
  }

  /** A live point: appended if newer than the last one, inserted in order if late, dropped if a duplicate. */
  append(point: SeriesPoint): void {
    if (!this.historyLoaded) {
      this.pending.push(point);
      return;
    }
    const last = this.times.length - 1;
    if (last < 0 || point.time > this.times[last]) {
      this.times.push(point.time);
      this.values.push(point.value);
    } else {
      const index = lowerBound(this.times, point.time);
      if (this.times[index] === point.time) return;
      this.times.splice(index, 0, point.time);
      this.values.splice(index, 0, point.value);
    }
    this.trim(point.time);
  }

  get lastTime(): number | undefined {
    return this.times[this.times.length - 1];
  }

  get length(): number {
    return this.times.length;
  }

  /** uPlot's column layout, times in seconds. */
  toColumns(): [number[], number[]] {
    return [this.times.map((time) => time / 1000), this.values.slice()];
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    if (this.times.length === 0 || this.times[0] >= cutoff) return;
    const index = lowerBound(this.times, cutoff);
    this.times.splice(0, index);
    this.values.splice(0, index);
  }
}

function lowerBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
