import {
  MAX_REPORTED_ISSUES,
  ReadingsRequestValidator,
  type ReadingsValidation,
} from './readings-request.validator';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const validator = new ReadingsRequestValidator(
  { maxReadings: 10, maxPastMs: 24 * HOUR, maxFutureMs: 60_000 },
  () => NOW,
);

function issuesOf(result: ReadingsValidation) {
  if (result.ok || result.reason !== 'invalid')
    throw new Error(`expected invalid, got ${JSON.stringify(result)}`);
  return result.issues;
}

const good = { device: 'd1', metric: 'temperature', time: NOW - 1000, value: 21.5 };

describe('readings request validation', () => {
  it('accepts ISO-8601 and epoch-ms times and resolves the top-level device', () => {
    const result = validator.validate({
      device: 'room-1',
      readings: [
        { metric: 'temperature', time: '2026-03-01T11:59:00Z', value: 21.5, unit: 'C' },
        { metric: 'humidity', time: '2026-03-01T12:59:00+01:00', value: 40 },
        { device: 'room-2', metric: 'power', time: NOW, value: 0, tags: { phase: 'L1' } },
      ],
    });
    expect(result).toEqual({
      ok: true,
      tenant: undefined,
      count: 3,
      devices: [
        {
          device: 'room-1',
          firstIndex: 0,
          readings: [
            { metric: 'temperature', time: NOW - 60_000, value: 21.5, unit: 'C' },
            { metric: 'humidity', time: NOW - 60_000, value: 40 },
          ],
        },
        {
          device: 'room-2',
          firstIndex: 2,
          readings: [{ metric: 'power', time: NOW, value: 0, tags: { phase: 'L1' } }],
        },
      ],
    });
  });

  it('gives a machine-made batch (epoch ms only) the same readings the schema path gives', () => {
    const readings = [
      { metric: 'temperature', time: NOW - 60_000, value: 21.5, unit: 'C', extra: 'ignored' },
      { device: 'room-2', metric: 'power', time: NOW, value: 0, tags: { phase: 'L1' } },
    ];
    const plain = validator.validate({ tenant: 'acme', device: 'room-1', readings });
    // one ISO time sends the whole batch through the zod schema
    const viaSchema = validator.validate({
      tenant: 'acme',
      device: 'room-1',
      readings: [{ ...readings[0], time: '2026-03-01T11:59:00Z' }, readings[1]],
    });
    expect(plain).toEqual(viaSchema);
    expect(plain).toEqual({
      ok: true,
      tenant: 'acme',
      count: 2,
      devices: [
        {
          device: 'room-1',
          firstIndex: 0,
          readings: [{ metric: 'temperature', time: NOW - 60_000, value: 21.5, unit: 'C' }],
        },
        {
          device: 'room-2',
          firstIndex: 1,
          readings: [{ metric: 'power', time: NOW, value: 0, tags: { phase: 'L1' } }],
        },
      ],
    });
  });

  it("shares one frozen tag object among a device's readings with the same tags", () => {
    const result = validator.validate({
      readings: [
        { ...good, tags: { site: 's1', phase: 'L1' } },
        { ...good, tags: { site: 's1', phase: 'L1' } },
        { ...good, tags: { phase: 'L1', site: 's1' } }, // other key order: other JSON
        { ...good, tags: { site: 's1', phase: 'L2' } },
        { ...good, device: 'd2', tags: { site: 's1', phase: 'L2' } },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result));
    const tags = result.devices.flatMap((batch) => batch.readings.map((reading) => reading.tags));
    expect(tags[1]).toBe(tags[0]);
    expect(Object.isFrozen(tags[0])).toBe(true);
    expect(new Set(tags).size).toBe(4);
    expect(tags.map((each) => JSON.stringify(each))).toEqual([
      '{"site":"s1","phase":"L1"}',
      '{"site":"s1","phase":"L1"}',
      '{"phase":"L1","site":"s1"}',
      '{"site":"s1","phase":"L2"}',
      '{"site":"s1","phase":"L2"}',
    ]);
  });

  it('refuses a reading whose device is null even when the batch names one', () => {
    expect(
      issuesOf(validator.validate({ device: 'room-1', readings: [{ ...good, device: null }] })),
    ).toEqual([expect.objectContaining({ path: 'readings[0].device' })]);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [[good], 'readings', null, 42]) {
      expect(issuesOf(validator.validate(body))[0]).toMatchObject({ path: '(body)' });
    }
  });

  it('requires a non-empty readings array', () => {
    expect(issuesOf(validator.validate({ device: 'd1' }))).toEqual([
      { path: 'readings', message: 'is required' },
    ]);
    expect(issuesOf(validator.validate({ readings: [] }))).toEqual([
      { path: 'readings', message: expect.stringContaining('at least one reading') },
    ]);
    expect(issuesOf(validator.validate({ readings: { 0: good } }))[0]).toMatchObject({
      path: 'readings',
      message: 'must be an array (got an object)',
    });
  });

  it('names the index and field of every missing field', () => {
    const issues = issuesOf(
      validator.validate({
        readings: [good, { device: 'd1', time: NOW, value: 1 }, { metric: 'm', time: NOW }],
      }),
    );
    expect(issues).toEqual([
      { path: 'readings[1].metric', message: 'is required' },
      { path: 'readings[2].device', message: expect.stringContaining('is required') },
      { path: 'readings[2].value', message: 'is required' },
    ]);
  });

  it('accepts a reading without a device when the top level names one', () => {
    const result = validator.validate({
      device: 'd9',
      readings: [{ metric: 'm', time: NOW, value: 1 }],
    });
    expect(result.ok && result.devices.map((batch) => batch.device)).toEqual(['d9']);
  });

  it.each([
    ['a numeric string', '21.5', 'must be a finite number (got string "21.5")'],
    ['a boolean', true, 'must be a finite number (got boolean true)'],
    ['null', null, 'must be a finite number (got null)'],
    ['an object', { v: 1 }, 'must be a finite number (got an object)'],
    ['NaN', Number.NaN, 'must be a finite number (got NaN)'],
    ['Infinity', Number.POSITIVE_INFINITY, 'must be a finite number (got Infinity)'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'must be a finite number (got -Infinity)'],
  ])('refuses %s as a value, naming field, index and value', (_name, value, message) => {
    const issues = issuesOf(validator.validate({ readings: [good, good, { ...good, value }] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'readings[2].value', message });
  });

  it('refuses wrong types for the other fields', () => {
    const issues = issuesOf(
      validator.validate({
        readings: [{ device: 7, metric: ['temp'], time: true, value: 1, unit: 5, tags: { a: 1 } }],
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'readings[0].device',
      'readings[0].metric',
      'readings[0].tags.a',
      'readings[0].time',
      'readings[0].unit',
    ]);
  });

  it('refuses identifiers that cannot be used in keys', () => {
    const issues = issuesOf(
      validator.validate({
        readings: [
          { ...good, device: 'a/b' },
          { ...good, metric: 'has space' },
        ],
      }),
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'readings[0].device', value: 'a/b' }),
      expect.objectContaining({ path: 'readings[1].metric', value: 'has space' }),
    ]);
  });

  it('refuses unparseable and fractional times with the accepted formats in the message', () => {
    const issues = issuesOf(
      validator.validate({
        readings: [
          { ...good, time: 'yesterday' },
          { ...good, time: '2026-03-01 12:00' },
          { ...good, time: NOW + 0.5 },
        ],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'readings[0].time',
      'readings[1].time',
      'readings[2].time',
    ]);
    for (const issue of issues) expect(issue.message).toContain('ISO-8601');
  });

  it('refuses times outside the configured window, in both directions', () => {
    const issues = issuesOf(
      validator.validate({
        readings: [
          { ...good, time: NOW - 25 * HOUR },
          { ...good, time: NOW - 23 * HOUR },
          { ...good, time: new Date(NOW + 120_000).toISOString() },
        ],
      }),
    );
    expect(issues).toEqual([
      {
        path: 'readings[0].time',
        message: expect.stringMatching(
          /must lie between .* \(1d back, 1min ahead\), got 2026-02-28T11:00/,
        ),
      },
      {
        path: 'readings[2].time',
        message: expect.stringContaining('got 2026-03-01T12:02:00.000Z'),
      },
    ]);
  });

  it('hints at epoch seconds when a time looks like seconds', () => {
    const [issue] = issuesOf(
      validator.validate({ readings: [{ ...good, time: Math.floor(NOW / 1000) }] }),
    );
    expect(issue.message).toContain('milliseconds, not seconds');
  });

  it('refuses more readings than the batch limit before validating them', () => {
    const result = validator.validate({ readings: Array.from({ length: 11 }, () => ({})) });
    expect(result).toEqual({ ok: false, reason: 'too_many_readings', count: 11, limit: 10 });
  });

  it('caps the reported issues but counts them all', () => {
    const big = new ReadingsRequestValidator(
      { maxReadings: 1000, maxPastMs: HOUR, maxFutureMs: HOUR },
      () => NOW,
    );
    const result = big.validate({
      readings: Array.from({ length: 300 }, () => ({ ...good, value: 'x' })),
    });
    expect(result).toMatchObject({ ok: false, reason: 'invalid', totalIssues: 300, count: 300 });
    expect(issuesOf(result)).toHaveLength(MAX_REPORTED_ISSUES);
  });

  it('checks the optional tenant field', () => {
    expect(validator.validate({ tenant: 'demo', readings: [good] })).toMatchObject({
      ok: true,
      tenant: 'demo',
    });
    expect(issuesOf(validator.validate({ tenant: 'Not Valid', readings: [good] }))[0].path).toBe(
      'tenant',
    );
  });

  it('ignores unknown fields so clients can send extra metadata', () => {
    const result = validator.validate({
      readings: [{ ...good, quality: 'good' }],
      source: 'agent',
    });
    const { device, ...reading } = good;
    expect(result.ok && result.devices).toEqual([{ device, firstIndex: 0, readings: [reading] }]);
  });
});
