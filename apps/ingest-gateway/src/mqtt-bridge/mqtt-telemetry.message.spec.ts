import {
  parseTelemetryPayload,
  parseTelemetryTopic,
  redactPayload,
} from './mqtt-telemetry.message';

describe('MQTT telemetry messages', () => {
  it('splits {prefix}/{tenant}/{device}/telemetry and refuses anything else', () => {
    expect(parseTelemetryTopic('sluice', 'sluice/acme/boiler-1/telemetry')).toEqual({
      tenant: 'acme',
      device: 'boiler-1',
    });
    for (const topic of [
      'other/acme/boiler-1/telemetry',
      'sluice/acme/telemetry',
      'sluice/acme/boiler-1/state',
      'sluice/acme/a/b/telemetry',
      'sluice//boiler-1/telemetry',
    ])
      expect(parseTelemetryTopic('sluice', topic)).toBeUndefined();
  });

  const topic = { tenant: 'acme', device: 'boiler-1' };

  it('turns a payload into a readings body of the topic’s tenant and device', () => {
    const payload = Buffer.from(
      JSON.stringify({
        key: 'k',
        readings: [{ metric: 'temperature', time: 1, value: 2, device: 'someone-else' }],
      }),
    );
    expect(parseTelemetryPayload(topic, payload)).toEqual({
      ok: true,
      key: 'k',
      body: {
        tenant: 'acme',
        device: 'boiler-1',
        readings: [{ metric: 'temperature', time: 1, value: 2, device: 'boiler-1' }],
      },
    });
    const inline = parseTelemetryPayload(
      topic,
      Buffer.from('{"key":"k","metric":"power","time":1,"value":3}'),
    );
    expect(inline).toMatchObject({ ok: true, body: { readings: [{ metric: 'power', value: 3 }] } });
  });

  it.each([
    ['not json', /not JSON/],
    ['[1,2]', /JSON object/],
    ['{"key":1,"readings":[]}', /"key" must be a string/],
    ['{"key":"k"}', /needs "readings"/],
    ['{"key":"k","readings":{}}', /must be an array/],
  ])('refuses %s', (text, detail) => {
    const result = parseTelemetryPayload(topic, Buffer.from(text));
    expect(result).toEqual({ ok: false, detail: expect.stringMatching(detail) });
  });

  it('never keeps the API key in a dead-letter payload', () => {
    expect(JSON.parse(redactPayload(Buffer.from('{"key":"sk_secret","metric":"a"}')))).toEqual({
      key: '[redacted]',
      metric: 'a',
    });
    expect(redactPayload(Buffer.from('{"key":"sk_secret'))).not.toContain('sk_secret');
  });
});
