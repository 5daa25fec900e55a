import { CleanReadingBatchSchema } from '@sluice/contracts';
import type { ConsumedBatch } from '@sluice/kafka';
import { decodeCleanBatch } from './clean-record.decoder';

const valid = {
  tenant: 'acme',
  device: 'boiler-1',
  deviceTags: { site: 'north' },
  rawPartition: 2,
  rawOffset: '41',
  readings: [
    { metric: 'temperature', time: 1_700_000_000_000, value: 21.5, unit: '°C', anomaly: true },
    { metric: 'power', time: 1_700_000_000_001, value: 0, extra: 'dropped' },
  ],
};

function consumed(...values: unknown[]): ConsumedBatch {
  return {
    topic: 'telemetry.clean.v1',
    partition: 0,
    highWatermark: String(values.length),
    messages: values.map((value, index) => ({
      offset: String(index),
      key: 'acme/boiler-1',
      value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
      headers: { 'sluice-ingest-ts': '1700000000000' },
      timestamp: '0',
    })),
  };
}

describe('clean record decoding', () => {
  it('returns what the contract schema returns for a valid record', () => {
    const { records, rejections } = decodeCleanBatch(consumed(valid), 'test', 0);
    expect(rejections).toEqual([]);
    expect(records[0].batch).toEqual(CleanReadingBatchSchema.parse(valid));
    expect(records[0].ingestTs).toBe(1_700_000_000_000);
  });

  it.each([
    ['a non-decimal raw offset', { ...valid, rawOffset: 'x1' }, 'rawOffset'],
    ['a fractional time', { ...valid, readings: [{ ...valid.readings[0], time: 1.5 }] }, 'time'],
    [
      'a non-boolean anomaly flag',
      { ...valid, readings: [{ ...valid.readings[0], anomaly: 'yes' }] },
      'anomaly',
    ],
    [
      'a reading without a metric',
      { ...valid, readings: [{ time: 1_700_000_000_000, value: 1 }] },
      'metric',
    ],
    [
      'a bad metric name after a valid one',
      { ...valid, readings: [valid.readings[1], { ...valid.readings[1], metric: 'a b' }] },
      'metric',
    ],
    ['an empty readings list', { ...valid, readings: [] }, 'readings'],
    ['a bad device id', { ...valid, device: 'a/b' }, 'device'],
  ])('refuses %s with the schema message', (_, value, field) => {
    const { records, rejections } = decodeCleanBatch(consumed(value), 'test', 5);
    expect(records).toEqual([]);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'invalid_schema', stage: 'test', failedAt: 5 }),
    ]);
    expect(rejections[0].detail).toContain(field);
  });

  it('reports undecodable bytes as unparseable', () => {
    const { rejections } = decodeCleanBatch(consumed('{"tenant":'), 'test', 5);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'unparseable', originalValue: '{"tenant":' }),
    ]);
  });
});
