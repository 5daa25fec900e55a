import { partitionLags, ratesBetween } from './pipeline-status.calc';

describe('pipeline status arithmetic', () => {
  it('measures lag from the committed offset to the high watermark', () => {
    expect(
      partitionLags(
        [
          { partition: 0, high: '100' },
          { partition: 1, high: '50' },
        ],
        [
          { partition: 0, offset: '90' },
          { partition: 1, offset: '50' },
        ],
      ),
    ).toEqual([
      { partition: 0, committed: 90, high: 100, lag: 10 },
      { partition: 1, committed: 50, high: 50, lag: 0 },
    ]);
  });

  it('counts a never-committed partition from the log start', () => {
    expect(
      partitionLags([{ partition: 0, high: '30', low: '10' }], [{ partition: 0, offset: '-1' }]),
    ).toEqual([{ partition: 0, committed: null, high: 30, lag: 20 }]);
  });

  it('turns two counter samples into per-second rates', () => {
    const rates = ratesBetween(
      { at: 0, values: new Map([['raw', 100]]) },
      {
        at: 2000,
        values: new Map([
          ['raw', 300],
          ['new', 5],
        ]),
      },
    );
    expect(rates.get('raw')).toBe(100);
    expect(rates.get('new')).toBeNull();
  });

  it('has no rate before a second sample', () => {
    expect(ratesBetween(undefined, { at: 1, values: new Map([['raw', 1]]) }).get('raw')).toBeNull();
  });
});
