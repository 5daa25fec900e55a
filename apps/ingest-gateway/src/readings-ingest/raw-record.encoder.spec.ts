import {
  RawReadingBatchSchema,
  decodeRecord,
  encodeRecord,
  type RawReadingBatch,
} from '@sluice/contracts';
import { encodeRawBatch } from './raw-record.encoder';

describe('raw record encoder', () => {
  const shared = Object.freeze({ site: 'Main "Hall"', 'we,ird key': 'a\\b' });
  const batch: RawReadingBatch = {
    tenant: 'acme',
    device: 'd-1',
    source: 'line-protocol',
    receivedAt: 1_772_366_400_000,
    readings: [
      { metric: 'cpu.usage', time: 1_772_366_400_000, value: 1.5, tags: shared },
      { metric: 'cpu.usage', time: 1_772_366_400_001, value: -0, tags: shared },
      { metric: 'temperature', time: 1_772_366_400_002, value: 1e21, unit: '°C' },
      { metric: 'x', time: 1_772_366_400_003, value: 5e-324, tags: { plain: 'yes' } },
    ],
  };

  it('produces the same JSON value as encodeRecord, decodable by the contract', () => {
    const fast = encodeRawBatch(batch);
    expect(JSON.parse(fast.toString())).toEqual(JSON.parse(encodeRecord(batch).toString()));
    expect(decodeRecord(RawReadingBatchSchema, fast)).toEqual(
      decodeRecord(RawReadingBatchSchema, encodeRecord(batch)),
    );
  });

  it('reuses the serialised tags of a frozen tag object', () => {
    const first = encodeRawBatch(batch).toString();
    expect(encodeRawBatch(batch).toString()).toBe(first);
    expect(first.split('Main \\"Hall\\"').length - 1).toBe(2);
  });
});
