import { RawReadingSchema } from '@sluice/contracts';
import { DeviceBatches } from './raw-batch.builder';

describe('raw batch builder', () => {
  it('groups readings per device in order of first appearance, keeping each device’s order', () => {
    const batches = new DeviceBatches();
    batches.add('a', { metric: 'temperature', time: 1, value: 1 }, 0);
    batches.add('b', { metric: 'temperature', time: 1, value: 2, unit: 'C' }, 1);
    batches.add('a', { metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } }, 2);
    batches.add('a', { metric: 'humidity', time: 3, value: 4 }, 3);
    const groups = batches.list();
    expect(groups).toEqual([
      {
        device: 'a',
        firstIndex: 0,
        readings: [
          { metric: 'temperature', time: 1, value: 1 },
          { metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } },
          { metric: 'humidity', time: 3, value: 4 },
        ],
      },
      {
        device: 'b',
        firstIndex: 1,
        readings: [{ metric: 'temperature', time: 1, value: 2, unit: 'C' }],
      },
    ]);
    for (const { readings } of groups)
      for (const reading of readings) expect(RawReadingSchema.parse(reading)).toEqual(reading);
  });
});
