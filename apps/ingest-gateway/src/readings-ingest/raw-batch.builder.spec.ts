import { RawReadingSchema } from '@sluice/contracts';
import { groupByDevice } from './raw-batch.builder';

describe('raw batch builder', () => {
  it('groups readings per device, keeping each device’s order, as contract-valid readings', () => {
    const groups = groupByDevice([
      { device: 'a', metric: 'temperature', time: 1, value: 1 },
      { device: 'b', metric: 'temperature', time: 1, value: 2, unit: 'C' },
      { device: 'a', metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } },
    ]);
    expect(groups).toEqual([
      {
        device: 'a',
        readings: [
          { metric: 'temperature', time: 1, value: 1 },
          { metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } },
        ],
      },
      { device: 'b', readings: [{ metric: 'temperature', time: 1, value: 2, unit: 'C' }] },
    ]);
    for (const { readings } of groups)
      for (const reading of readings) expect(RawReadingSchema.parse(reading)).toEqual(reading);
  });
});
