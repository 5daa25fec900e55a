import { encodeRecord, RecordDecodeError, type CleanReadingBatch } from '@sluice/contracts';
import { decodeProgramInput } from './program-input.decoder';

const record: CleanReadingBatch = {
  tenant: 'acme',
  device: 'room-1',
  deviceTags: { floor: '2' },
  rawPartition: 3,
  rawOffset: '42',
  readings: [
    { metric: 'temperature', time: 1_700_000_000_000, value: 27.5, unit: 'C', anomaly: false },
    { metric: 'humidity', time: 1_700_000_000_500, value: 40 },
  ],
};

function decodeError(value: unknown): RecordDecodeError {
  try {
    decodeProgramInput(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
  } catch (error) {
    if (error instanceof RecordDecodeError) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('program input decoder', () => {
  it('reads tenant, device and each reading’s metric, time and value', () => {
    expect(decodeProgramInput(encodeRecord(record))).toEqual({
      tenant: 'acme',
      device: 'room-1',
      readings: [
        { metric: 'temperature', time: 1_700_000_000_000, value: 27.5 },
        { metric: 'humidity', time: 1_700_000_000_500, value: 40 },
      ],
    });
  });

  it('refuses what the clean contract refuses in a field programs read, in the schema’s words', () => {
    const badValue = decodeError({
      ...record,
      readings: [{ metric: 'temperature', time: 1, value: '27' }],
    });
    expect(badValue.kind).toBe('invalid_schema');
    expect(badValue.message).toContain('readings[0].value');
    const badTime = decodeError({
      ...record,
      readings: [{ metric: 'temperature', time: 1.5, value: 27 }],
    });
    expect(badTime.message).toContain('readings[0].time');
    expect(decodeError({ ...record, readings: [] }).message).toContain('readings');
    expect(decodeError({ ...record, device: '' }).message).toContain('device');
    expect(decodeError('{"tenant":').kind).toBe('unparseable');
  });
});
