import { WebSocket } from 'ws';
import { CLOSE_TRY_AGAIN_LATER, LiveClient } from './live-client';

/** Just the socket surface LiveClient reads: its state, its unsent bytes, send and close. */
class SocketProbe {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;

  send(data: string): void {
    this.sent.push(data);
  }

  close(code: number): void {
    this.closedWith = code;
    this.readyState = WebSocket.CLOSING;
  }
}

function clientWith(probe: SocketProbe): LiveClient {
  return new LiveClient(probe as unknown as WebSocket, {
    maxBufferedBytes: 1000,
    maxDroppedFrames: 3,
  });
}

describe('live client backpressure', () => {
  it('drops frames while the socket buffer is full and announces the gap when it drains', () => {
    const probe = new SocketProbe();
    const client = clientWith(probe);
    expect(client.sendReadings('a')).toBe(true);
    probe.bufferedAmount = 5000;
    expect(client.sendReadings('b')).toBe(false);
    expect(client.sendReadings('c')).toBe(false);
    probe.bufferedAmount = 0;
    expect(client.sendReadings('d')).toBe(true);
    expect(probe.sent).toEqual(['a', JSON.stringify({ type: 'dropped', frames: 2 }), 'd']);
    expect(probe.closedWith).toBeUndefined();
  });

  it('disconnects a client that stays behind with 1013', () => {
    const probe = new SocketProbe();
    const client = clientWith(probe);
    probe.bufferedAmount = 5000;
    for (let i = 0; i < 3; i++) client.sendReadings('x');
    expect(probe.closedWith).toBe(CLOSE_TRY_AGAIN_LATER);
    expect(client.sendReadings('y')).toBe(false);
    expect(probe.sent).toEqual([]);
  });
});
