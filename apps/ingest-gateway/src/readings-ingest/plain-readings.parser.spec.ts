import { ApiError } from '../http/api-error';
import { JsonBody } from '../http/json-body.parser';
import { parsePlainReadings } from './plain-readings.parser';
import { encodeRawBatches } from './raw-record.encoder';
import { ReadingsRequestValidator, type ReadingsValidation } from './readings-request.validator';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const LIMITS = { maxReadings: 10, maxPastMs: 24 * HOUR, maxFutureMs: 60_000 };
const validator = new ReadingsRequestValidator(LIMITS, () => NOW);
const RULES = { maxReadings: 10, earliest: NOW - 24 * HOUR, latest: NOW + 60_000 };

const plain = (text: string) => parsePlainReadings(Buffer.from(text), RULES);
const viaJsonParse = (text: string) => validator.validate(JSON.parse(text));
const reading = (fields: string) => `{"metric":"temperature","time":${NOW},"value":21.5${fields}}`;

/** The raw records both results would be published as. */
function records(validation: ReadingsValidation): string[] {
  if (!validation.ok) throw new Error(`expected a valid batch, got ${JSON.stringify(validation)}`);
  const batches = validation.devices.map(({ device, readings }) => ({
    tenant: 'acme',
    device,
    source: 'http' as const,
    receivedAt: NOW,
    readings,
  }));
  return encodeRawBatches(batches).map((value) => value.toString('utf8'));
}

describe('plain readings parser', () => {
  it.each([
    [
      'device per reading, tags, unit',
      `{"readings":[${reading(',"device":"d1","tags":{"site":"s1"}')},${reading(',"device":"d2","unit":"C"')},${reading(',"device":"d1","tags":{"site":"s1"}')}]}`,
    ],
    [
      'top-level tenant and device, readings without device',
      `{"tenant":"acme","device":"room-1","readings":[${reading('')},${reading(',"device":"room-2"')}]}`,
    ],
    [
      'the tenant after the readings',
      `{"readings":[${reading(',"device":"d1"')}],"tenant":"acme"}`,
    ],
    [
      'pretty-printed with CRLF and tabs',
      JSON.stringify(
        { device: 'd1', readings: [{ metric: 'm', time: NOW, value: 1, tags: { a: 'b' } }] },
        null,
        '\t',
      ).replace(/\n/g, '\r\n'),
    ],
    [
      'empty tags, integer-like tag keys, several tag sets per device',
      `{"device":"d1","readings":[${reading(',"tags":{}')},${reading(',"tags":{"b":"1","2":"x","1":"y"}')},${reading(',"tags":{"b":"1","2":"x","1":"y"}')},${reading(',"tags":{"b":"2"}')}]}`,
    ],
    [
      'fields in any order',
      `{"readings":[{"value":-0.5,"tags":{"k":"v"},"time":${NOW},"unit":"kWh","metric":"energy.total","device":"meter:7"}]}`,
    ],
    [
      'a time written with a fraction and an exponent',
      `{"device":"d1","readings":[{"metric":"m","time":${NOW / 1e5}e5,"value":1}]}`,
    ],
    [
      'UTF-8 in a unit and tags',
      `{"device":"d1","readings":[${reading(',"unit":"°C","tags":{"Ort":"Zürich","城市":"東京 🌧"}')}]}`,
    ],
    [
      'unknown fields of every kind, ignored as the schema ignores them',
      `{"source":{"agent":"x","v":[1,-2.5e3,true,false,null,{},[]],"n":null},"readings":[${reading(',"device":"d1","quality":"good","meta":{"a":[{"b":"ç"}]},"seq":7')}],"sent":1e3}`,
    ],
    [
      'the boundaries of the time window',
      `{"device":"d1","readings":[{"metric":"m","time":${RULES.earliest},"value":1},{"metric":"m","time":${RULES.latest},"value":2}]}`,
    ],
  ])('reads %s exactly as JSON.parse and the validator do', (_name, text) => {
    const result = plain(text);
    expect(result).toBeDefined();
    const expected = viaJsonParse(text);
    expect({ ok: true, ...result }).toEqual(expected);
    expect(records({ ok: true, ...result! })).toEqual(records(expected));
  });

  it('gives a device’s readings with the same tags one frozen tag object', () => {
    const result = plain(
      `{"device":"d1","readings":[${reading(',"tags":{"a":"1"}')},${reading(',"tags":{"a":"1"}')},${reading(',"tags":{"a":"2"}')}]}`,
    );
    const tags = result!.devices[0].readings.map((each) => each.tags);
    expect(tags[1]).toBe(tags[0]);
    expect(tags[2]).not.toBe(tags[0]);
    expect(Object.isFrozen(tags[0])).toBe(true);
  });

  it('reads every JSON number as the same double as JSON.parse', () => {
    const texts = [
      '0',
      '-0',
      '7',
      '-7',
      '0.1',
      '0.30000000000000004',
      '21.50',
      '1e2',
      '1E+2',
      '1.5e-3',
      '-2.5E-300',
      '5e-324',
      '1.7976931348623157e308',
      '123456789012345',
      '1234567890123456789',
      '9007199254740993',
      '0.000000000000000000000001',
      '123.456e-22',
      '1e22',
      '1e23',
      '8.000000000000001',
    ];
    // deterministic pseudo-random doubles in their usual spellings
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    for (let i = 0; i < 300; i += 1) {
      const value = random() * 10 ** Math.floor(random() * 30);
      texts.push(String(value), value.toExponential(i % 17), value.toFixed(i % 12));
    }
    for (const text of texts) {
      const result = plain(
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":${text}}]}`,
      );
      expect([text, result?.devices[0].readings[0].value]).toEqual([text, JSON.parse(text)]);
    }
  });

  describe('leaves everything but a plainly valid batch to JSON.parse and the schema', () => {
    it.each([
      ['an escape in a string', `{"readings":[${reading(',"device":"d\\u0031"')}]}`],
      [
        'an escape in an unknown field',
        `{"readings":[${reading(',"device":"d1","note":"say \\"hi\\""')}]}`,
      ],
      ['a constructor field', `{"readings":[${reading(',"device":"d1","constructor":"x"')}]}`],
      [
        'an unknown field nested deeper than the skip bound',
        `{"deep":${'['.repeat(40)}${']'.repeat(40)},"readings":[${reading(',"device":"d1"')}]}`,
      ],
      ['a repeated field', `{"readings":[${reading(',"device":"d1","value":3')}]}`],
      [
        'a repeated tag key',
        `{"readings":[${reading(',"device":"d1","tags":{"a":"1","a":"2"}')}]}`,
      ],
      [
        'a constructor tag key',
        `{"readings":[${reading(',"device":"d1","tags":{"constructor":"x"}')}]}`,
      ],
      ['a BOM', `\uFEFF{"readings":[${reading(',"device":"d1"')}]}`],
      ['the device after the readings', `{"readings":[${reading('')}],"device":"d1"}`],
    ])('%s (valid all the same)', (_name, text) => {
      expect(plain(text)).toBeUndefined();
      const validation = validator.validateJson(new JsonBody(Buffer.from(text)));
      expect(validation.ok).toBe(true);
      expect(validation).toEqual(viaJsonParse(text.replace(/^\uFEFF/, '')));
    });

    it.each([
      [
        'a null unit',
        `{"readings":[${reading(',"device":"d1","unit":null')}]}`,
        'readings[0].unit',
      ],
      [
        'an ISO time outside the window',
        `{"device":"d1","readings":[{"metric":"m","time":"2026-02-01T00:00:00Z","value":1}]}`,
        'readings[0].time',
      ],
      [
        'a time in seconds',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW / 1000},"value":1}]}`,
        'readings[0].time',
      ],
      [
        'a time one millisecond past the window',
        `{"device":"d1","readings":[{"metric":"m","time":${RULES.latest + 1},"value":1}]}`,
        'readings[0].time',
      ],
      [
        'a fractional time',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW}.5,"value":1}]}`,
        'readings[0].time',
      ],
      [
        'a string value',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":"1"}]}`,
        'readings[0].value',
      ],
      [
        'a value overflowing to Infinity',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":1e999}]}`,
        'readings[0].value',
      ],
      [
        'a missing metric',
        `{"device":"d1","readings":[{"time":${NOW},"value":1}]}`,
        'readings[0].metric',
      ],
      ['a missing device', `{"readings":[${reading('')}]}`, 'readings[0].device'],
      ['a bad device id', `{"readings":[${reading(',"device":"a b"')}]}`, 'readings[0].device'],
      [
        'a bad metric name',
        `{"device":"d1","readings":[{"metric":"9m","time":${NOW},"value":1}]}`,
        'readings[0].metric',
      ],
      ['a bad tenant', `{"tenant":"Acme","readings":[${reading(',"device":"d1"')}]}`, 'tenant'],
      [
        'a tag key over 128 characters',
        `{"readings":[${reading(`,"device":"d1","tags":{"${'k'.repeat(129)}":"v"}`)}]}`,
        `readings[0].tags.${'k'.repeat(129)}`,
      ],
      [
        'a tag value over 256 characters',
        `{"readings":[${reading(`,"device":"d1","tags":{"k":"${'x'.repeat(257)}"}`)}]}`,
        'readings[0].tags.k',
      ],
      [
        'a number tag value',
        `{"readings":[${reading(',"device":"d1","tags":{"k":1}')}]}`,
        'readings[0].tags.k',
      ],
      ['an empty readings array', '{"device":"d1","readings":[]}', 'readings'],
      ['no readings', '{"device":"d1"}', 'readings'],
    ])('%s: the schema names the field', (_name, text, path) => {
      expect(plain(text)).toBeUndefined();
      const validation = validator.validateJson(new JsonBody(Buffer.from(text)));
      expect(validation).toEqual(viaJsonParse(text));
      expect(validation).toMatchObject({ ok: false, reason: 'invalid' });
      if (validation.ok || validation.reason !== 'invalid') return;
      expect(validation.issues[0].path).toBe(path);
    });

    it('more readings than the batch limit: 413 material, counted', () => {
      const text = `{"device":"d1","readings":[${Array.from({ length: 11 }, () => reading('')).join(',')}]}`;
      expect(plain(text)).toBeUndefined();
      expect(validator.validateJson(new JsonBody(Buffer.from(text)))).toEqual({
        ok: false,
        reason: 'too_many_readings',
        count: 11,
        limit: 10,
      });
    });

    it.each([
      ['a trailing comma', `{"readings":[${reading(',"device":"d1",')}]}`, /position/],
      [
        'a NaN',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":NaN}]}`,
        /NaN or Infinity/,
      ],
      [
        'a leading zero',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":01}]}`,
        /position/,
      ],
      [
        'a bare decimal point',
        `{"device":"d1","readings":[{"metric":"m","time":${NOW},"value":1.}]}`,
        /position/,
      ],
      ['an unterminated body', `{"readings":[${reading(',"device":"d1"')}`, /JSON/],
      ['text after the body', `{"readings":[${reading(',"device":"d1"')}]} x`, /position/],
      ['an unterminated string', '{"readings":[{"device":"d1', /JSON/],
      [
        'a raw control character in a string',
        `{"readings":[${reading(',"device":"d\t1"')}]}`,
        /JSON/,
      ],
      [
        'a __proto__ tag key',
        `{"readings":[${reading(',"device":"d1","tags":{"__proto__":"x"}')}]}`,
        /forbidden prototype property/,
      ],
      [
        'a __proto__ key inside an unknown field',
        `{"meta":{"__proto__":{"admin":true}},"readings":[${reading(',"device":"d1"')}]}`,
        /forbidden prototype property/,
      ],
      [
        'a __proto__ written with an escape',
        `{"readings":[${reading(',"device":"d1","tags":{"\\u005f_proto__":"x"}')}]}`,
        /forbidden prototype property/,
      ],
    ])('%s: 400 invalid_json with the parser’s reason', (_name, text, reason) => {
      expect(plain(text)).toBeUndefined();
      let thrown: unknown;
      try {
        validator.validateJson(new JsonBody(Buffer.from(text)));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect(thrown).toMatchObject({ status: 400, code: 'invalid_json' });
      expect((thrown as ApiError).details[0]).toMatchObject({
        path: '(body)',
        message: expect.stringMatching(reason),
      });
    });
  });

  it('decodes invalid UTF-8 as the whole body would be (U+FFFD)', () => {
    const [before, after] = reading(',"device":"d1","tags":{"k":"a_b"}').split('_');
    const bytes = Buffer.concat([
      Buffer.from(`{"readings":[${before}`),
      Buffer.from([0xff, 0xc3]),
      Buffer.from(`${after}]}`),
    ]);
    const result = parsePlainReadings(bytes, RULES);
    expect(result!.devices[0].readings[0].tags).toEqual({ k: 'a\uFFFD\uFFFDb' });
    expect({ ok: true, ...result }).toEqual(validator.validate(JSON.parse(bytes.toString('utf8'))));
  });

  it('never gives a tag object another prototype', () => {
    const text = `{"readings":[${reading(',"device":"d1","tags":{"__proto__":"x"}')}]}`;
    expect(plain(text)).toBeUndefined();
    const result = plain(`{"readings":[${reading(',"device":"d1","tags":{"toString":"x"}')}]}`);
    const tags = result!.devices[0].readings[0].tags!;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags)).toEqual(['toString']);
  });
});
