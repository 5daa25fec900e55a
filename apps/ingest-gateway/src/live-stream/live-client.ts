import { WebSocket } from 'ws';
import type { Principal } from '../auth/api-key';
import type { ServerMessage } from './live-stream.protocol';
import { wsFramesDropped, wsFramesSent, wsSlowClientsClosed } from './live-stream.metrics';

export interface LiveClientLimits {
  /** Unsent bytes above which readings frames are dropped instead of queued. */
  maxBufferedBytes: number;
  /** Consecutive dropped frames after which the client is closed with 1013 (try again later). */
  maxDroppedFrames: number;
}

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * One /ws connection. A slow reader must not grow gateway memory without bound: once its socket
 * buffer is full, readings frames are dropped (and counted, and announced with a `dropped` message
 * when it catches up); a client that stays behind is disconnected.
 */
export class LiveClient {
  principal: Principal | undefined;
  /** Cleared on each ping, set by the pong: a client that misses one round is terminated. */
  alive = true;
  private droppedInARow = 0;

  constructor(
    readonly socket: WebSocket,
    private readonly limits: LiveClientLimits,
  ) {}

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Control messages (acks, errors) are small and always queued. */
  sendControl(message: ServerMessage): void {
    if (this.isOpen) this.socket.send(JSON.stringify(message));
  }

  /** Sends a pre-serialised readings frame unless the client is too far behind. */
  sendReadings(frame: string): boolean {
    if (!this.isOpen) return false;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.droppedInARow += 1;
      wsFramesDropped.inc();
      if (this.droppedInARow >= this.limits.maxDroppedFrames) {
        wsSlowClientsClosed.inc();
        this.socket.close(CLOSE_TRY_AGAIN_LATER, 'client too slow: frames dropped');
      }
      return false;
    }
    if (this.droppedInARow > 0) {
      this.sendControl({ type: 'dropped', frames: this.droppedInARow });
      this.droppedInARow = 0;
    }
    this.socket.send(frame);
    wsFramesSent.inc();
    return true;
  }

  close(code: number, reason: string): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
  }
}
