import { parseClientMessage } from './live-stream.protocol';

describe('live stream protocol', () => {
  it('parses the client messages', () => {
    expect(parseClientMessage('{"type":"subscribe","devices":["d1","d2"]}')).toEqual({
      ok: true,
      message: { type: 'subscribe', devices: ['d1', 'd2'] },
    });
    expect(parseClientMessage('{"type":"auth","apiKey":"k"}')).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"ping"}')).toMatchObject({ ok: true });
  });

  it('names what is wrong with a bad message', () => {
    expect(parseClientMessage('{"type":"subscribe"')).toMatchObject({
      ok: false,
      error: { code: 'invalid_json' },
    });
    expect(parseClientMessage('{"type":"subscribe","devices":["ok","a/b"]}')).toMatchObject({
      ok: false,
      error: { code: 'invalid_message', details: [{ path: 'devices[1]' }] },
    });
    expect(parseClientMessage('{"type":"dance"}')).toMatchObject({
      ok: false,
      error: { code: 'invalid_message', details: [{ path: 'type' }] },
    });
  });
});
