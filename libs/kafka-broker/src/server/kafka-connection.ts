import type { Socket } from 'node:net';
import type { Logger } from 'pino';

import { FrameDecoder } from './frame-decoder';

/** What the server knows about a client connection, handed to every request. */
export interface ConnectionInfo {
  readonly id: number;
  /** The local address the client connected to: what Metadata advertises by default. */
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** The client's IP address without port (IPv4-mapped IPv6 unmapped): DescribeGroups shows it. */
  readonly remoteHost: string;
}

/** The response to one request: its correlation id and the body as chunks (written with writev). */
export interface ResponseFrame {
  correlationId: number;
  body: Buffer[];
}

/**
 * Handles one request frame. Resolves to the response, or null when the request gets none
 * (acks=0 produce). Rejects to close the connection (malformed frame, unsupported api).
 */
export type RequestHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<ResponseFrame | null>;

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Stop reading from a client with this many requests unanswered (pipelining bound). */
  maxInFlightRequests: number;
  /** Stop reading while this many response bytes wait in the socket's buffer. */
  maxPendingWriteBytes: number;
}

export type CloseReason = 'client' | 'frame-size' | 'request-error' | 'socket-error' | 'shutdown';

interface Slot {
  settled: boolean;
  response: ResponseFrame | null;
}

/**
 * One client connection: frames in, responses out in request order. Requests are handled
 * concurrently (a parked Fetch or JoinGroup does not block the pipeline), but a response is
 * written only once every earlier request on the connection has been answered, as the Kafka
 * protocol requires.
 */
export class KafkaConnection {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private readingPaused = false;
  private stopping = false;
  private closed = false;
  private closedResolve!: () => void;
  readonly closedPromise = new Promise<void>((resolve) => (this.closedResolve = resolve));

  constructor(
    private readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly handle: RequestHandler,
    private readonly opts: ConnectionOptions,
    private readonly logger: Logger,
    private readonly onClose: (conn: KafkaConnection, reason: CloseReason) => void,
  ) {
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlowControl());
    socket.on('end', () => this.close('client'));
    socket.on('error', (err) => {
      this.logger.debug({ err, conn: info.id }, 'client socket error');
      this.close('socket-error');
    });
    socket.on('close', () => this.close('client'));
  }

  /** Stops reading requests; resolves once every accepted request is answered, then closes. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.socket.pause();
    if (this.slots.length === 0) this.close('shutdown');
    await this.closedPromise;
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (reason === 'shutdown') {
      // drain() paused the socket: resume it (later data is dropped, we are closed) so the
      // client's FIN is read and the socket closes instead of staying half-open forever.
      this.socket.resume();
      this.socket.end();
    } else this.socket.destroy();
    this.onClose(this, reason);
    this.closedResolve();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.logger.warn(
        { err, conn: this.info.id, remote: this.info.remoteAddress },
        'closing connection: bad frame size',
      );
      this.close('frame-size');
      return;
    }
    for (const frame of frames) {
      if (this.closed || this.stopping) return;
      this.dispatch(frame);
    }
    this.updateFlowControl();
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { settled: false, response: null };
    this.slots.push(slot);
    this.handle(frame, this.info).then(
      (response) => {
        slot.settled = true;
        slot.response = response;
        this.flush();
      },
      (err: unknown) => {
        this.logger.warn(
          { err, conn: this.info.id, remote: this.info.remoteAddress },
          'closing connection: bad request',
        );
        this.close('request-error');
      },
    );
  }

  /** Writes every answered response at the head of the queue, in one corked burst. */
  private flush(): void {
    if (this.closed || !this.slots[0]?.settled) return;
    this.socket.cork();
    while (this.slots.length > 0 && this.slots[0].settled) {
      const { response } = this.slots[0];
      this.slots.shift();
      if (response) this.write(response);
    }
    this.socket.uncork();
    if (this.stopping && this.slots.length === 0) this.close('shutdown');
    else this.updateFlowControl();
  }

  private write(response: ResponseFrame): void {
    let size = 4;
    for (const chunk of response.body) size += chunk.length;
    const header = Buffer.allocUnsafe(8);
    header.writeInt32BE(size, 0);
    header.writeInt32BE(response.correlationId, 4);
    this.socket.write(header);
    for (const chunk of response.body) this.socket.write(chunk);
  }

  private updateFlowControl(): void {
    if (this.closed || this.stopping) return;
    const overloaded =
      this.slots.length >= this.opts.maxInFlightRequests ||
      this.socket.writableLength >= this.opts.maxPendingWriteBytes;
    if (overloaded && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    } else if (!overloaded && this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }
}
