import { DlqRecordSchema, RawReadingBatchSchema } from '@sluice/contracts';
import { transformRawRecord, type RawRecordSource } from './raw-record.transformer';

const RECEIVED_AT = 1_760_000_000_000;
const window = { maxPastMs: 60 * 60_000, maxFutureMs: 60_000 };

function sourceOf(value: unknown, offset = '17'): RawRecordSource {
  return {
    topic: 'telemetry.raw.v1',
    partition: 3,
    message: {
      offset,
      key: 'acme/boiler-1',
      value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
      headers: {},
      timestamp: String(RECEIVED_AT),
    },
  };
}

function batchOf(readings: unknown[]): Record<string, unknown> {
  return { tenant: 'acme', device: 'boiler-1', source: 'http', receivedAt: RECEIVED_AT, readings };
}

const ok = { metric: 'temperature', time: RECEIVED_AT - 1_000, value: 68, unit: '°F' };

describe('raw record transformation', () => {
  it('normalises units and keeps the readings of a valid record', () => {
    const outcome = transformRawRecord(
      sourceOf(batchOf([ok, { metric: 'power', time: RECEIVED_AT, value: 1.2, unit: 'kW' }])),
      window,
      RECEIVED_AT,
    );
    expect(outcome.rejections).toEqual([]);
    expect(outcome.accepted).toEqual({
      tenant: 'acme',
      device: 'boiler-1',
      receivedAt: RECEIVED_AT,
      readings: [
        { metric: 'temperature', time: RECEIVED_AT - 1_000, value: 20, unit: '°C' },
        { metric: 'power', time: RECEIVED_AT, value: 1200, unit: 'W' },
      ],
    });
  });

  it('sends undecodable bytes to the DLQ as unparseable, with the original payload', () => {
    const outcome = transformRawRecord(sourceOf('{"tenant": "acme", '), window, 5);
    expect(outcome.accepted).toBeUndefined();
    expect(outcome.rejections).toEqual([
      {
        reason: 'unparseable',
        detail: expect.stringMatching(/^not JSON: /),
        stage: 'stream-transformer',
        sourceTopic: 'telemetry.raw.v1',
        sourcePartition: 3,
        sourceOffset: '17',
        originalKey: 'acme/boiler-1',
        originalValue: '{"tenant": "acme", ',
        failedAt: 5,
      },
    ]);
    expect(DlqRecordSchema.safeParse(outcome.rejections[0]).success).toBe(true);
  });

  it('treats an empty value (a tombstone) as unparseable', () => {
    expect(transformRawRecord(sourceOf(''), window, 5).rejections[0]).toMatchObject({
      reason: 'unparseable',
      detail: 'not JSON: empty record value',
    });
  });

  it('refuses a record whose envelope violates the contract, naming the field', () => {
    const { tenant: _tenant, ...noTenant } = batchOf([ok]);
    const outcome = transformRawRecord(sourceOf({ ...noTenant, device: 'a/b' }), window, 5);
    expect(outcome.accepted).toBeUndefined();
    expect(outcome.rejections).toHaveLength(1);
    expect(outcome.rejections[0].reason).toBe('invalid_schema');
    expect(outcome.rejections[0].detail).toMatch(/tenant: /);
    expect(outcome.rejections[0].detail).toMatch(/device: /);
  });

  it('refuses only the bad readings of a record, each with its reason and index', () => {
    const outcome = transformRawRecord(
      sourceOf(
        batchOf([
          ok,
          { metric: 'temperature', time: RECEIVED_AT, value: 'hot' },
          { metric: 'temperature', time: RECEIVED_AT, value: 1, unit: 'furlongs' },
          { metric: 'temperature', time: RECEIVED_AT, value: -300, unit: 'C' },
          { metric: 'temperature', time: RECEIVED_AT - 2 * 60 * 60_000, value: 1 },
          { metric: 'temperature', time: RECEIVED_AT + 120_000, value: 1 },
          { metric: 'temperature', time: RECEIVED_AT / 1000, value: 1 },
          { metric: 'bad metric!', time: RECEIVED_AT, value: 1 },
        ]),
      ),
      window,
      RECEIVED_AT,
    );
    expect(outcome.accepted?.readings).toHaveLength(1);
    expect(outcome.rejections.map((r) => [r.reason, r.detail.split(':')[0]])).toEqual([
      ['invalid_value', 'readings[1].value'],
      ['unknown_unit', 'readings[2].unit'],
      ['invalid_value', 'readings[3].value'],
      ['timestamp_out_of_range', 'readings[4].time'],
      ['timestamp_out_of_range', 'readings[5].time'],
      ['timestamp_out_of_range', 'readings[6].time'],
      ['invalid_schema', 'readings[7].metric'],
    ]);
    expect(outcome.rejections[0].detail).toContain('(got "hot")');
    expect(outcome.rejections[5].detail).toContain('looks like epoch seconds');
    // Each refused reading's payload is a raw batch of one: it can be fixed and re-published.
    for (const rejection of outcome.rejections) {
      const original = JSON.parse(rejection.originalValue) as { readings: unknown[] };
      expect(original).toMatchObject({
        tenant: 'acme',
        device: 'boiler-1',
        receivedAt: RECEIVED_AT,
      });
      expect(original.readings).toHaveLength(1);
    }
    expect(
      RawReadingBatchSchema.safeParse(JSON.parse(outcome.rejections[5].originalValue)).success,
    ).toBe(true);
  });

  it('normalises ISO-8601 and fractional times to integer epoch ms', () => {
    const outcome = transformRawRecord(
      sourceOf(
        batchOf([
          { metric: 'a', time: new Date(RECEIVED_AT - 500).toISOString(), value: 1 },
          { metric: 'b', time: RECEIVED_AT - 0.75, value: 2 },
          { metric: 'c', time: '2025-10-09 08:53:20', value: 3 },
        ]),
      ),
      window,
      RECEIVED_AT,
    );
    expect(outcome.accepted?.readings.map((r) => r.time)).toEqual([
      RECEIVED_AT - 500,
      RECEIVED_AT - 1,
    ]);
    expect(outcome.rejections).toEqual([
      expect.objectContaining({
        reason: 'invalid_schema',
        detail: expect.stringMatching(/^readings\[2\]\.time/),
      }),
    ]);
  });

  it('keeps one reading per (metric, time) of a record, like the raw table', () => {
    const outcome = transformRawRecord(
      sourceOf(batchOf([ok, { ...ok, value: 99 }, { ...ok, metric: 'other' }])),
      window,
      RECEIVED_AT,
    );
    expect(outcome.accepted?.readings.map((r) => [r.metric, r.value])).toEqual([
      ['temperature', 20],
      ['other', 20],
    ]);
    expect(outcome.duplicatesDropped).toBe(1);
  });

  it('yields no clean readings when every reading is refused', () => {
    const outcome = transformRawRecord(
      sourceOf(batchOf([{ metric: 'm', time: 1, value: 1 }])),
      window,
      RECEIVED_AT,
    );
    expect(outcome.accepted).toBeUndefined();
    expect(outcome.rejections).toHaveLength(1);
  });
});
