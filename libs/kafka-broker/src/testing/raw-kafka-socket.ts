import { connect, Socket } from 'node:net';

import { FrameDecoder } from '../server/frame-decoder';

const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

export interface RawResponse {
  correlationId: number;
  body: Buffer;
}

/**
 * A bare TCP client speaking only Kafka framing, to send what well-behaved clients never do
 * (garbage, truncated or oversized frames, unknown api keys) and to observe responses and
 * connection closes exactly.
 */
export class RawKafkaSocket {
  private readonly decoder = new FrameDecoder(MAX_RESPONSE_BYTES);
  private readonly responses: RawResponse[] = [];
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.closedFlag = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined); // a reset by the broker is an expected outcome here
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        this.responses.push({ correlationId: frame.readInt32BE(0), body: frame.subarray(4) });
      }
      this.waiter?.();
    });
  }

  static connect(address: string): Promise<RawKafkaSocket> {
    const sep = address.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(address.slice(sep + 1)), address.slice(0, sep), () =>
        resolve(new RawKafkaSocket(socket)),
      );
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Sends raw bytes as they are (no framing added). */
  write(...chunks: Buffer[]): void {
    for (const chunk of chunks) this.socket.write(chunk);
  }

  /** Frames a request: size, api key, version, correlation id, client id, body. */
  request(
    apiKey: number,
    apiVersion: number,
    correlationId: number,
    body: Buffer = Buffer.alloc(0),
  ): void {
    const header = Buffer.alloc(14);
    header.writeInt32BE(12 + body.length, 0);
    header.writeInt16BE(apiKey, 4);
    header.writeInt16BE(apiVersion, 6);
    header.writeInt32BE(correlationId, 8);
    header.writeInt16BE(2, 12);
    this.socket.write(Buffer.concat([header, Buffer.from('rw'), body]));
  }

  /** Sends a frame payload (header + body) with its size prefix. */
  frame(payload: Buffer): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([size, payload]));
  }

  async nextResponse(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length === 0) {
      if (this.closedFlag) throw new Error('connection closed before a response arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.responses.shift() as RawResponse;
  }

  /** Resolves true if the broker closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
    );
    const result = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
