import {
  RawReadingBatchSchema,
  decodeRecord,
  encodeRecord,
  type RawReadingBatch,
} from '@sluice/contracts';
import { encodeRawBatches } from './raw-record.encoder';

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

  // before 2^31 ms, a fractional time, and times whose last six digits start with zeros
  const times: RawReadingBatch = {
    tenant: 'acme',
    device: 'd-2',
    source: 'http',
    receivedAt: 1_772_366_400_000,
    readings: [0, 2_147_483_647, 2_147_483_648, 1_772_366_000_001, 1_772_366_400_000.5].map(
      (time) => ({ metric: 'm', time, value: 1 }),
    ),
  };

  // non-ASCII only in a shared tag set, after ASCII readings: UTF-8, not Latin-1, for this one
  const place = Object.freeze({ site: 'Zürich' });
  const utf8Tags: RawReadingBatch = {
    ...times,
    device: 'd-3',
    readings: [
      { metric: 'm', time: 1_772_366_400_000, value: 1 },
      { metric: 'm', time: 1_772_366_400_001, value: 2, tags: place },
      { metric: 'm', time: 1_772_366_400_002, value: 3, tags: place },
    ],
  };

  it('produces the same JSON as encodeRecord for each batch, decodable by the contract', () => {
    const values = encodeRawBatches([batch, times, utf8Tags, batch]);
    expect(values.map((value) => value.toString())).toEqual(
      [batch, times, utf8Tags, batch].map((each) => encodeRecord(each).toString()),
    );
    expect(decodeRecord(RawReadingBatchSchema, values[0])).toEqual(
      decodeRecord(RawReadingBatchSchema, encodeRecord(batch)),
    );
  });

  it('reuses the serialised tags of a frozen tag object', () => {
    const [first] = encodeRawBatches([batch]);
    expect(encodeRawBatches([batch])[0].toString()).toBe(first.toString());
    expect(first.toString().split('Main \\"Hall\\"').length - 1).toBe(2);
  });
});
