import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildHeaders,
  decodeRecord,
  DeviceIdSchema,
  deviceKey,
  EpochMsSchema,
  FiniteNumberSchema,
  isValidTraceparent,
  MetricNameSchema,
  parseDeviceKey,
  quickCheck,
  RawReadingBatchSchema,
  readIngestTs,
  RecordDecodeError,
  RecordHeaders,
  TagsSchema,
  TenantIdSchema,
  UnitSchema,
} from './index';
import { renderSchemaFiles, SCHEMAS_DIR } from './export-schemas';

const validBatch = {
  tenant: 'acme',
  device: 'boiler-1',
  source: 'http',
  receivedAt: 1_700_000_000_000,
  readings: [{ metric: 'temperature', time: 1_700_000_000_000, value: 21.5, unit: 'C' }],
};

describe('record contracts', () => {
  it('decodes a valid raw batch', () => {
    expect(decodeRecord(RawReadingBatchSchema, JSON.stringify(validBatch))).toEqual(validBatch);
  });

  it('names the path of every violation', () => {
    const bad = {
      ...validBatch,
      readings: [validBatch.readings[0], { metric: 'x', time: -1, value: 'hot' }],
    };
    try {
      decodeRecord(RawReadingBatchSchema, JSON.stringify(bad));
      throw new Error('expected a RecordDecodeError');
    } catch (error) {
      expect(error).toBeInstanceOf(RecordDecodeError);
      const paths = (error as RecordDecodeError).issues.map((issue) => issue.path);
      expect(paths).toEqual(expect.arrayContaining(['readings[1].time', 'readings[1].value']));
      expect((error as RecordDecodeError).kind).toBe('invalid_schema');
    }
  });

  it('reports unparseable JSON as such', () => {
    expect(() => decodeRecord(RawReadingBatchSchema, '{"tenant":')).toThrow(
      expect.objectContaining({ kind: 'unparseable' }),
    );
  });

  it('refuses identifiers that would break keys', () => {
    expect(RawReadingBatchSchema.safeParse({ ...validBatch, device: 'a/b' }).success).toBe(false);
    expect(RawReadingBatchSchema.safeParse({ ...validBatch, tenant: 'Acme Corp' }).success).toBe(
      false,
    );
  });

  it('round-trips device keys', () => {
    expect(parseDeviceKey(deviceKey('acme', 'boiler-1'))).toEqual({
      tenant: 'acme',
      device: 'boiler-1',
    });
    expect(parseDeviceKey('no-slash')).toBeUndefined();
  });
});

describe('quick checks', () => {
  const samples: unknown[] = [
    'acme',
    'boiler-1',
    'Boiler_1.a:b',
    '_x',
    '-x',
    'a/b',
    'Acme Corp',
    '',
    'x'.repeat(63),
    'x'.repeat(64),
    'x'.repeat(128),
    'x'.repeat(129),
    '°C',
    '😀'.repeat(16),
    '😀'.repeat(17),
    0,
    -0,
    -1,
    1.5,
    1_700_000_000_000,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    true,
    [],
    ['a'],
    {},
    { site: 'north' },
    { site: 1 },
    { ['k'.repeat(129)]: 'v' },
    { k: 'v'.repeat(257) },
  ];
  const pairs = [
    ['tenantId', TenantIdSchema],
    ['deviceId', DeviceIdSchema],
    ['metricName', MetricNameSchema],
    ['epochMs', EpochMsSchema],
    ['finiteNumber', FiniteNumberSchema],
    ['unit', UnitSchema],
    ['tags', TagsSchema],
  ] as const;

  it.each(pairs)(
    '%s accepts only what its schema accepts, and the common valid values',
    (name, schema) => {
      const check = quickCheck[name] as (value: unknown) => boolean;
      const accepted = samples.filter((value) => check(value));
      for (const value of accepted)
        expect([value, schema.safeParse(value).success]).toEqual([value, true]);
      expect(accepted.length).toBeGreaterThan(0);
    },
  );
});

describe('record headers', () => {
  it('carries schema version, ingest timestamp and a valid traceparent', () => {
    const headers = buildHeaders({ ingestTs: 1234 });
    expect(headers[RecordHeaders.schemaVersion]).toBe('1');
    expect(readIngestTs(headers)).toBe(1234);
    expect(isValidTraceparent(headers[RecordHeaders.traceparent])).toBe(true);
  });

  it('keeps a caller traceparent', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(buildHeaders({ ingestTs: 1, traceparent })[RecordHeaders.traceparent]).toBe(traceparent);
  });
});

describe('published JSON Schemas', () => {
  it('are up to date with the zod contracts (run `npm run contracts:schemas`)', () => {
    for (const [name, content] of Object.entries(renderSchemaFiles())) {
      expect(readFileSync(join(SCHEMAS_DIR, name), 'utf8')).toBe(content);
    }
  });
});
