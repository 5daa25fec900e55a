import { ApiError } from '../http/api-error';
import { BodyLimitError, UnknownPrecisionError } from '@sluice/ingest-parsers';
import { extractInfluxApiKey, redactUrl } from './influx-credentials';
import { toInfluxError } from './influx-error';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('InfluxDB credentials', () => {
  it('reads a token on both APIs', () => {
    expect(extractInfluxApiKey({ authorization: 'Token k1' }, {}, 'v2')).toBe('k1');
    expect(extractInfluxApiKey({ authorization: 'Token k1' }, {}, 'v1')).toBe('k1');
    expect(extractInfluxApiKey({ 'x-api-key': 'k2' }, {}, 'v2')).toBe('k2');
  });

  it('reads the password of Basic auth and the p query parameter on v1 only', () => {
    expect(extractInfluxApiKey({ authorization: basic('telegraf', 'k3') }, {}, 'v1')).toBe('k3');
    expect(extractInfluxApiKey({ authorization: basic('telegraf', 'a:b') }, {}, 'v1')).toBe('a:b');
    expect(extractInfluxApiKey({}, { u: 'me', p: 'k4' }, 'v1')).toBe('k4');
    expect(
      extractInfluxApiKey({ authorization: basic('telegraf', 'k3') }, {}, 'v2'),
    ).toBeUndefined();
    expect(extractInfluxApiKey({}, { p: 'k4' }, 'v2')).toBeUndefined();
    expect(extractInfluxApiKey({ authorization: basic('telegraf', '') }, {}, 'v1')).toBeUndefined();
    expect(extractInfluxApiKey({}, {}, 'v1')).toBeUndefined();
  });

  it('redacts the p query parameter from URLs it would log', () => {
    expect(redactUrl('/write?db=x&u=me&p=secret-key&precision=s')).toBe(
      '/write?db=x&u=me&p=[redacted]&precision=s',
    );
    expect(redactUrl('/write?p=secret')).toBe('/write?p=[redacted]');
  });
});

describe('InfluxDB error answers', () => {
  it('maps gateway and parser errors to InfluxDB codes, keeping Retry-After', () => {
    const unavailable = toInfluxError(
      new ApiError(503, 'kafka_unavailable', 'Kafka is unavailable', [], { 'retry-after': '5' }),
    );
    expect(unavailable.status).toBe(503);
    expect(unavailable.toBody()).toEqual({
      code: 'unavailable',
      message: 'Kafka is unavailable',
      error: 'Kafka is unavailable',
    });
    expect(unavailable.headers).toEqual({ 'retry-after': '5' });
    expect(toInfluxError(new ApiError(429, 'rate_limited', 'slow down')).code).toBe(
      'too many requests',
    );
    expect(toInfluxError(new UnknownPrecisionError('x')).status).toBe(400);
    const tooLarge = toInfluxError(new BodyLimitError('bytes', 1024));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.message).toContain('LINE_PROTOCOL_MAX_BYTES');
    expect(toInfluxError(new Error('boom')).status).toBe(500);
  });
});
