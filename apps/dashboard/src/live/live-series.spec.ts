import { LiveSeries } from './live-series';

describe('live series', () => {
  it('appends live points that arrived during the history load after the history, without duplicates', () => {
    const series = new LiveSeries(60_000);
    series.append({ time: 3000, value: 3 });
    series.append({ time: 4000, value: 4 });
    series.setHistory([
      { time: 2000, value: 2 },
      { time: 1000, value: 1 },
      { time: 3000, value: 3 },
    ]);
    expect(series.toColumns()).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
  });

  it('inserts a late point in time order and drops a repeated one', () => {
    const series = new LiveSeries(60_000);
    series.setHistory([{ time: 1000, value: 1 }]);
    series.append({ time: 3000, value: 3 });
    series.append({ time: 2000, value: 2 });
    series.append({ time: 2000, value: 9 });
    expect(series.toColumns()[0]).toEqual([1, 2, 3]);
  });

  it('keeps only the chosen window behind the newest point', () => {
    const series = new LiveSeries(2000);
    series.setHistory([
      { time: 1000, value: 1 },
      { time: 2000, value: 2 },
    ]);
    series.append({ time: 4000, value: 4 });
    expect(series.toColumns()[0]).toEqual([2, 4]);
  });

  it('holds live points again while a new range reloads', () => {
    const series = new LiveSeries(60_000);
    series.setHistory([{ time: 1000, value: 1 }]);
    series.resetForReload(60_000);
    series.append({ time: 5000, value: 5 });
    expect(series.length).toBe(1);
    series.setHistory([{ time: 4000, value: 4 }]);
    expect(series.toColumns()[0]).toEqual([4, 5]);
  });
});
