import { RawReadingBatchSchema } from '@sluice/contracts';
import { buildRawBatches } from './raw-batch.builder';

describe('raw batch builder', () => {
  it('makes one contract-valid batch per device, keeping each device’s order', () => {
    const batches = buildRawBatches(
      'acme',
      [
        { device: 'a', metric: 'temperature', time: 1, value: 1 },
        { device: 'b', metric: 'temperature', time: 1, value: 2, unit: 'C' },
        { device: 'a', metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } },
      ],
      1000,
      'http',
    );
    expect(batches).toEqual([
      {
        tenant: 'acme',
        device: 'a',
        source: 'http',
        receivedAt: 1000,
        readings: [
          { metric: 'temperature', time: 1, value: 1 },
          { metric: 'humidity', time: 2, value: 3, tags: { k: 'v' } },
        ],
      },
      {
        tenant: 'acme',
        device: 'b',
        source: 'http',
        receivedAt: 1000,
        readings: [{ metric: 'temperature', time: 1, value: 2, unit: 'C' }],
      },
    ]);
    for (const batch of batches) expect(RawReadingBatchSchema.parse(batch)).toEqual(batch);
  });
});
