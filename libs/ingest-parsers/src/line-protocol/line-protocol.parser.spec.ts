import { RawReadingSchema } from '@sluice/contracts';
import { BodyLimitError, UnknownPrecisionError } from './line-protocol.errors';
import { parsePrecision, type LineProtocolParserOptions } from './line-protocol.options';
import {
  LineProtocolParser,
  parseLineProtocol,
  type LineProtocolParseResult,
} from './line-protocol.parser';

const NOW = 1_700_000_000_000;

function parse(body: string, options: Parameters<typeof parseLineProtocol>[1] = {}) {
  return parseLineProtocol(body, { defaultTime: NOW, ...options });
}

/** The only point of a one-line body, failing the test with the parse error otherwise. */
function onePoint(line: string, options: Parameters<typeof parseLineProtocol>[1] = {}) {
  const result = parse(line, options);
  expect(result.errors).toEqual([]);
  expect(result.points).toHaveLength(1);
  return result.points[0];
}

function reasonOf(line: string, options: Parameters<typeof parseLineProtocol>[1] = {}): string {
  const result = parse(line, options);
  expect(result.points).toEqual([]);
  expect(result.errors).toHaveLength(1);
  return result.errors[0].reason;
}

describe('line protocol parser', () => {
  describe('mapping to readings', () => {
    it('names metrics <measurement>.<field> and takes the device from the device tag', () => {
      const point = onePoint('cpu,device=web-1,region=eu usage_idle=97.5,usage_user=2.5 5000000');
      expect(point).toEqual({
        device: 'web-1',
        line: 1,
        readings: [
          { metric: 'cpu.usage_idle', time: 5, value: 97.5, tags: { region: 'eu' } },
          { metric: 'cpu.usage_user', time: 5, value: 2.5, tags: { region: 'eu' } },
        ],
      });
      for (const reading of point.readings) RawReadingSchema.parse(reading);
    });

    it('names the metric after the measurement alone for the field "value"', () => {
      expect(onePoint('temperature,device=d1 value=21.5').readings[0].metric).toBe('temperature');
      const always = onePoint('temperature,device=d1 value=21.5', { valueFieldKey: false });
      expect(always.readings[0].metric).toBe('temperature.value');
    });

    it('falls back to the host tag Telegraf sets, and keeps host as a tag when device wins', () => {
      const telegraf = onePoint('mem,host=db-2 used_percent=40.1');
      expect(telegraf.device).toBe('db-2');
      expect(telegraf.readings[0].tags).toBeUndefined();
      const both = onePoint('mem,device=sensor-9,host=gw-1 used_percent=40.1');
      expect(both.device).toBe('sensor-9');
      expect(both.readings[0].tags).toEqual({ host: 'gw-1' });
    });

    it('uses configured device tag keys and a default device', () => {
      const options = { deviceTagKeys: ['serial'], defaultDevice: 'gateway-7' };
      expect(onePoint('power,serial=SN-1 watts=3', options).device).toBe('SN-1');
      expect(onePoint('power,host=h watts=3', options)).toMatchObject({
        device: 'gateway-7',
        readings: [{ tags: { host: 'h' } }],
      });
    });

    it('refuses points without a device or with an invalid device id', () => {
      expect(reasonOf('cpu,region=eu usage=1')).toBe(
        'missing device tag (expected one of "device", "host")',
      );
      expect(reasonOf('cpu,host=bad/host usage=1')).toMatch(
        /^invalid device id "bad\/host" from tag "host": must be 1-128 chars/,
      );
    });

    it('refuses metric names the contract does not allow, naming measurement and field', () => {
      expect(reasonOf('cpu,host=h us/er=1')).toMatch(
        /^invalid metric name "cpu.us\/er" \(measurement "cpu", field "us\/er"\)/,
      );
      expect(reasonOf('1cpu,host=h value=1')).toMatch(/^invalid metric name "1cpu"/);
    });

    it('refuses tags longer than the contract allows', () => {
      expect(reasonOf(`cpu,host=h,note=${'x'.repeat(257)} v=1`)).toMatch(
        /^invalid tags: tag "note"/,
      );
    });
  });

  describe('escaping', () => {
    it('unescapes commas, spaces and equals signs in tag keys and values', () => {
      const point = onePoint('cpu,host=h,tag\\,key\\ 1\\==a\\ b\\,c\\=d v=1');
      expect(point.readings[0].tags).toEqual({ 'tag,key 1=': 'a b,c=d' });
    });

    it('unescapes commas and spaces in measurements, but keeps a backslash before "="', () => {
      expect(reasonOf('my\\,cpu\\ load,host=h value=1')).toMatch(
        /^invalid metric name "my,cpu load" /,
      );
      expect(reasonOf('cpu\\=load,host=h value=1')).toMatch(/^invalid metric name "cpu\\\\=load" /);
      // An unescaped "=" is an ordinary character of a measurement.
      expect(reasonOf('cpu=load,host=h value=1')).toMatch(/^invalid metric name "cpu=load" /);
    });

    it('unescapes commas, spaces and equals signs in field keys', () => {
      expect(reasonOf('cpu,host=h us\\ er\\,x\\=y=1')).toMatch(
        /\(measurement "cpu", field "us er,x=y"\)/,
      );
    });

    it('treats backslashes as in the InfluxDB reference: "\\\\" is one, a lone one is literal', () => {
      const tagsOf = (value: string) => onePoint(`cpu,host=h,p=${value} v=1`).readings[0].tags;
      expect(tagsOf('a\\b')).toEqual({ p: 'a\\b' });
      expect(tagsOf('a\\\\b')).toEqual({ p: 'a\\b' });
      expect(tagsOf('a\\\\\\b')).toEqual({ p: 'a\\\\b' });
      expect(tagsOf('a\\\\\\\\b')).toEqual({ p: 'a\\\\b' });
      expect(tagsOf('C:\\\\')).toEqual({ p: 'C:\\' });
      expect(tagsOf('\\\\\\,x')).toEqual({ p: '\\,x' });
    });

    it('keeps quotes in tags literally', () => {
      expect(onePoint('cpu,host=h,q="x" v=1').readings[0].tags).toEqual({ q: '"x"' });
    });

    it('unescapes \\" and \\\\ in string fields and keeps other backslashes', () => {
      const point = onePoint(
        'log,host=h code=1,msg="say \\"hi\\", path C:\\\\tmp\\\\ and foo\\,bar",eq="a=b c,d"',
      );
      expect(point.readings[0].tags).toEqual({
        msg: 'say "hi", path C:\\tmp\\ and foo\\,bar',
        eq: 'a=b c,d',
      });
    });

    it('keeps a newline inside a string field in the point and counts the line', () => {
      const result = parse('log,host=h code=1,msg="two\nlines"\nlog,host=h code=2');
      expect(result.errors).toEqual([]);
      expect(result.points.map((p) => [p.line, p.readings[0].tags])).toEqual([
        [1, { msg: 'two\nlines' }],
        [3, undefined],
      ]);
    });
  });

  describe('field types', () => {
    const valueOf = (field: string) => onePoint(`m,host=h f=${field}`).readings[0].value;

    it('reads floats in every notation', () => {
      expect(valueOf('1')).toBe(1);
      expect(valueOf('-1.5')).toBe(-1.5);
      expect(valueOf('.5')).toBe(0.5);
      expect(valueOf('1.')).toBe(1);
      expect(valueOf('1e3')).toBe(1000);
      expect(valueOf('1.5E-2')).toBe(0.015);
      expect(valueOf('-2e+2')).toBe(-200);
      expect(valueOf('0.1')).toBe(0.1);
      expect(valueOf('123456.789012345')).toBe(123456.789012345);
      expect(valueOf('3.14159265358979323846')).toBe(Math.PI);
      expect(valueOf(String(Number.MAX_VALUE))).toBe(Number.MAX_VALUE);
    });

    it('reads integers (i) and unsigned integers (u) over their whole range, as doubles', () => {
      expect(valueOf('42i')).toBe(42);
      expect(valueOf('-42i')).toBe(-42);
      expect(valueOf('9007199254740993i')).toBe(2 ** 53); // beyond 2^53: nearest double
      expect(valueOf('9223372036854775807i')).toBe(2 ** 63);
      expect(valueOf('-9223372036854775808i')).toBe(-(2 ** 63));
      expect(valueOf('0009223372036854775807i')).toBe(2 ** 63);
      expect(valueOf('0u')).toBe(0);
      expect(valueOf('18446744073709551615u')).toBe(2 ** 64);
    });

    it('refuses integers outside int64 / uint64 like InfluxDB', () => {
      expect(reasonOf('m,host=h f=9223372036854775808i')).toBe(
        'unable to parse integer 9223372036854775808: value out of range',
      );
      expect(reasonOf('m,host=h f=-9223372036854775809i')).toBe(
        'unable to parse integer -9223372036854775809: value out of range',
      );
      expect(reasonOf('m,host=h f=18446744073709551616u')).toBe(
        'unable to parse unsigned 18446744073709551616: value out of range',
      );
    });

    it('reads every boolean spelling as a 1 or 0 reading', () => {
      for (const spelling of ['t', 'T', 'true', 'True', 'TRUE']) expect(valueOf(spelling)).toBe(1);
      for (const spelling of ['f', 'F', 'false', 'False', 'FALSE'])
        expect(valueOf(spelling)).toBe(0);
    });

    it.each([
      ['-', 'invalid number'],
      ['-i', 'invalid number'],
      ['-.', 'invalid number'],
      ['.', 'invalid number'],
      ['1.0i', 'invalid number'],
      ['1ii', 'invalid number'],
      ['1a', 'invalid number'],
      ['-e-e-e', 'invalid number'],
      ['42+3', 'invalid number'],
      ['1.1.1', 'invalid number'],
      ['0.-1', 'invalid number'],
      ['9ie10', 'invalid number'],
      ['9e10i', 'invalid number'],
      ['1e', 'invalid number'],
      ['-123u', 'invalid number'],
      ['NaN', 'invalid number'],
      ['1e999', 'invalid float'],
      ['tru', 'invalid boolean'],
      ['yes', 'invalid boolean'],
    ])('refuses the field value %s (%s)', (field, reason) => {
      expect(reasonOf(`m,host=h f=${field}`)).toBe(reason);
    });

    it('keeps string fields as tags, refuses them, or ignores them, as configured', () => {
      const line = 'svc,host=h up=1,version="1.2.3"';
      expect(onePoint(line).readings).toEqual([
        { metric: 'svc.up', time: NOW, value: 1, tags: { version: '1.2.3' } },
      ]);
      expect(reasonOf(line, { stringFields: 'reject' })).toBe(
        'string field "version" refused: only numeric and boolean fields are accepted',
      );
      expect(onePoint(line, { stringFields: 'ignore' }).readings[0].tags).toBeUndefined();
      expect(reasonOf('svc,host=h version="1.2.3"')).toBe(
        'no numeric or boolean field (string fields alone make no reading)',
      );
      expect(reasonOf(`svc,host=h up=1,log="${'x'.repeat(257)}"`)).toMatch(
        /^string field kept as tag: tag "log": /,
      );
      expect(reasonOf('svc,host=h,version=x up=1,version="1.2.3"')).toBe(
        'string field "version" has the same name as a tag',
      );
    });

    it('lets the last of repeated field keys win, as InfluxDB does', () => {
      expect(onePoint('m,host=h a=1,b=2,a=3').readings.map((r) => [r.metric, r.value])).toEqual([
        ['m.a', 3],
        ['m.b', 2],
      ]);
    });
  });

  describe('timestamps', () => {
    it('uses the supplied default time when a point has none', () => {
      expect(onePoint('m,host=h f=1', { defaultTime: 1234 }).readings[0].time).toBe(1234);
      expect(onePoint('m,host=h f=1   ', { defaultTime: 1234 }).readings[0].time).toBe(1234);
    });

    it('truncates the default time to a coarser precision, as InfluxDB does', () => {
      const options = { defaultTime: 1_700_000_123_456, precision: 's' as const };
      expect(onePoint('m,host=h f=1', options).readings[0].time).toBe(1_700_000_123_000);
    });

    it.each([
      ['ns', '1700000000123456789', 1_700_000_000_123],
      ['us', '1700000000123456', 1_700_000_000_123],
      ['ms', '1700000000123', 1_700_000_000_123],
      ['s', '1700000000', 1_700_000_000_000],
      ['m', '28333333', 28_333_333 * 60_000],
      ['h', '472222', 472_222 * 3_600_000],
    ] as const)('converts precision %s to epoch ms, truncating below 1 ms', (precision, ts, ms) => {
      expect(onePoint(`m,host=h f=1 ${ts}`, { precision }).readings[0].time).toBe(ms);
    });

    it('truncates rather than rounds sub-millisecond digits', () => {
      expect(onePoint('m,host=h f=1 1999999').readings[0].time).toBe(1);
      expect(onePoint('m,host=h f=1 999999').readings[0].time).toBe(0);
    });

    it('reads the v1 and v2 precision parameters', () => {
      expect(
        ['n', 'ns', 'u', 'us', 'ms', 's', 'm', 'h', undefined, ''].map(parsePrecision),
      ).toEqual(['ns', 'ns', 'us', 'us', 'ms', 's', 'm', 'h', 'ns', 'ns']);
      expect(() => parsePrecision('d')).toThrow(UnknownPrecisionError);
    });

    it('refuses bad, negative and out-of-range timestamps', () => {
      expect(reasonOf('m,host=h f=1 12a')).toBe('bad timestamp');
      expect(reasonOf('m,host=h f=1 1434055562000000000i')).toBe('bad timestamp');
      expect(reasonOf('m,host=h f=1 0\\')).toBe('bad timestamp');
      expect(reasonOf('m,host=h f=1 123 456')).toBe('point is invalid');
      expect(reasonOf('m,host=h f=1 -1')).toBe(
        'negative timestamps (before 1970-01-01T00:00:00Z) are not supported',
      );
      expect(reasonOf('m,host=h f=1 9223372036854775807')).toBe(
        'time outside range 0 - 9223372036854775806 (nanoseconds since 1970)',
      );
      expect(reasonOf('m,host=h f=1 9223372036855', { precision: 's' })).toMatch(/^time outside/);
      expect(onePoint('m,host=h f=1 9223372036854775806').readings[0].time).toBe(9223372036854);
      expect(reasonOf('m,host=h f=1 9223372036854776', { precision: 'us' })).toMatch(
        /^time outside/,
      );
      expect(onePoint('m,host=h f=1 9223372036854775', { precision: 'us' })).toBeDefined();
    });
  });

  describe('line structure', () => {
    it('skips comments, blank and whitespace-only lines and accepts CRLF line ends', () => {
      const body =
        '# a comment\r\n\r\n   \n  m,host=h f=1 1000000\r\n\t# indented comment\nm,host=h f=2\r\n';
      const result = parse(body);
      expect(result.errors).toEqual([]);
      expect(result.points.map((p) => [p.line, p.readings[0].value])).toEqual([
        [4, 1],
        [6, 2],
      ]);
    });

    it.each([
      ['cpu', 'missing fields'],
      ['cpu,host=h', 'missing fields'],
      [',host=h f=1', 'missing measurement'],
      ['cpu, f=1', 'missing tag key'],
      ['cpu,host=h,=x f=1', 'missing tag key'],
      ['cpu,host f=1', 'missing tag value'],
      ['cpu,host= f=1', 'missing tag value'],
      ['cpu,host=,zone=a f=1', 'missing tag value'],
      ['cpu,host=f=o f=1', 'invalid tag format'],
      ['cpu,host=a,host=b f=1', 'duplicate tags'],
      ['cpu,host=h =1', 'missing field key'],
      ['cpu,host=h f=1,=2', 'missing field key'],
      ['cpu,host=h f=', 'missing field value'],
      ['cpu,host=h f= 1', 'missing field value'],
      ['cpu,host=h f=,g=1', 'missing field value'],
      ['cpu,host=h f=1,g', 'invalid field format'],
      ['cpu,host=h f=1,', 'invalid field format'],
      ['cpu,host=h f="x"y', 'invalid field format'],
      ['cpu,host=h f="unterminated', 'unbalanced quotes'],
    ])('refuses %j: %s', (line, reason) => {
      expect(reasonOf(line)).toBe(reason);
    });

    it('accepts the good lines of a body and reports the bad ones with InfluxDB messages', () => {
      const body = [
        'cpu,host=a usage=1 1000000',
        'cpu,host=a usage=2 2000000',
        'cpu,host=a usage=',
        '# fine',
        'cpu,host=a usage=4 4000000',
        'cpu,host=a usage=abc 5000000',
        '',
        'cpu,host=a usage=7 7000000',
      ].join('\n');
      const result = parse(body);
      expect(result.points.map((p) => [p.line, p.readings[0].value])).toEqual([
        [1, 1],
        [2, 2],
        [5, 4],
        [8, 7],
      ]);
      expect(result.errors).toEqual([
        {
          line: 3,
          reason: 'missing field value',
          message: "unable to parse 'cpu,host=a usage=': missing field value (line 3)",
        },
        {
          line: 6,
          reason: 'invalid boolean',
          message: "unable to parse 'cpu,host=a usage=abc 5000000': invalid boolean (line 6)",
        },
      ]);
      expect(result.errorCount).toBe(2);
      expect(result.readingCount).toBe(4);
    });

    it('does not end a bad line at a newline inside a quoted value', () => {
      const result = parse('m,host=h f=x,s="a\nb"\nm,host=h f=2');
      expect(result.errors.map((e) => [e.line, e.reason])).toEqual([[1, 'invalid boolean']]);
      expect(result.points.map((p) => p.line)).toEqual([3]);
    });

    it('quotes at most 512 characters of a bad line', () => {
      const [error] = parse(`m,host=h f=1,${'x'.repeat(2000)}`).errors;
      expect(error.message).toHaveLength(
        "unable to parse '".length + 512 + 1 + "': invalid field format (line 1)".length,
      );
    });
  });

  describe('limits', () => {
    it('refuses a body with more points than allowed, ignoring comments and blank lines', () => {
      const body = '# c\n\nm,host=h f=1\nm,host=h f=2\n';
      expect(parse(body, { maxLines: 2 }).points).toHaveLength(2);
      expect(() => parse(`${body}m,host=h f=3`, { maxLines: 2 })).toThrow(
        new BodyLimitError('lines', 2),
      );
    });

    it('refuses a body larger than allowed, counted in bytes', () => {
      expect(() => parse('m,host=h s="é"', { maxBytes: 14 })).toThrow(BodyLimitError);
      expect(parse('m,host=h f=1', { maxBytes: 12 }).points).toHaveLength(1);
    });

    it('keeps the first maxErrors messages and counts the rest', () => {
      const body = Array.from({ length: 10 }, (_, i) => `m,host=h f=bad${i}`).join('\n');
      const result = parse(body, { maxErrors: 3 });
      expect(result.errors.map((e) => e.line)).toEqual([1, 2, 3]);
      expect(result.errorCount).toBe(10);
    });
  });

  describe('streaming', () => {
    const body = [
      '# header',
      'cpu,host=a,zone=z\\ 1 usage=1.5,up=true,msg="x,\\"y\\"\nz" 1700000000123456789',
      'cpu,host=a usage=',
      'mem,device=dev-1,room=é used=42i\r',
      'disk,host=b free=7u 1700000000000000000',
      '',
      'bad line',
      'temp,host=c value=-3.25e1',
    ].join('\n');
    const options: LineProtocolParserOptions = {};

    function collect(results: LineProtocolParseResult[]): LineProtocolParseResult {
      return {
        points: results.flatMap((r) => r.points),
        errors: results.flatMap((r) => r.errors),
        errorCount: results.reduce((sum, r) => sum + r.errorCount, 0),
        readingCount: results.reduce((sum, r) => sum + r.readingCount, 0),
      };
    }

    it('gives the same result for a body split at any position as for the whole body', () => {
      const parser = new LineProtocolParser(options);
      const whole = parser.parse(body, { defaultTime: NOW });
      expect(whole.points).toHaveLength(4);
      expect(whole.errorCount).toBe(2);
      for (let cut = 0; cut <= body.length; cut++) {
        const stream = parser.createStream({ defaultTime: NOW });
        const results = [
          stream.write(body.slice(0, cut)),
          stream.write(body.slice(cut)),
          stream.end(),
        ];
        expect(collect(results)).toEqual(whole);
      }
    });

    it('decodes multi-byte characters split across Buffer chunks', () => {
      const bytes = Buffer.from(body);
      const parser = new LineProtocolParser(options);
      const whole = parser.parse(bytes, { defaultTime: NOW });
      const stream = parser.createStream({ defaultTime: NOW });
      const results: LineProtocolParseResult[] = [];
      for (let i = 0; i < bytes.length; i += 3)
        results.push(stream.write(bytes.subarray(i, i + 3)));
      results.push(stream.end());
      expect(collect(results)).toEqual(whole);
    });

    it('returns the points of complete lines as soon as their chunk arrives', () => {
      const stream = new LineProtocolParser().createStream({ defaultTime: NOW });
      expect(stream.write('m,host=h f=1\nm,host=h f=').points.map((p) => p.line)).toEqual([1]);
      expect(stream.write('2\n').points.map((p) => p.readings[0].value)).toEqual([2]);
      expect(stream.end().points).toEqual([]);
    });
  });

  it('parses a 100k-line body', () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) =>
        `sensor,host=dev-${i % 100},site=s${i % 7} temperature=${i / 4},ok=${i % 2 === 0} ${1_700_000_000_000 + i}`,
    );
    const result = new LineProtocolParser({ maxLines: 100_000 }).parse(lines.join('\n'), {
      precision: 'ms',
    });
    expect(result.errorCount).toBe(0);
    expect(result.points).toHaveLength(100_000);
    expect(result.readingCount).toBe(200_000);
    const last = result.points[99_999];
    expect(last).toEqual({
      device: 'dev-99',
      line: 100_000,
      readings: [
        {
          metric: 'sensor.temperature',
          time: 1_700_000_099_999,
          value: 99_999 / 4,
          tags: { site: 's4' },
        },
        { metric: 'sensor.ok', time: 1_700_000_099_999, value: 0, tags: { site: 's4' } },
      ],
    });
    expect(result.points.every((p, i) => p.line === i + 1 && p.device === `dev-${i % 100}`)).toBe(
      true,
    );
  });
});
