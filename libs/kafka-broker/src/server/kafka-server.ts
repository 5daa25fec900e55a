import { createServer, Server, Socket } from 'node:net';
import type { Logger } from 'pino';

import {
  CloseReason,
  ConnectionOptions,
  KafkaConnection,
  RequestHandler,
} from './kafka-connection';

export interface KafkaServerEvents {
  connectionOpened(): void;
  connectionClosed(reason: CloseReason): void;
}

/** The TCP listener: accepts clients and owns their connections until stop. */
export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();
  /** Every socket until it is fully closed (a connection leaves `connections` on close()). */
  private readonly sockets = new Set<Socket>();
  private nextConnectionId = 1;

  constructor(
    private readonly handle: RequestHandler,
    private readonly opts: ConnectionOptions,
    private readonly logger: Logger,
    private readonly events: KafkaServerEvents,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger.error({ err }, 'listener error'));
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`listener on ${host}:${port} has no TCP address`));
          return;
        }
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops accepting; stops reading from clients. Resolves when listener is closed. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Waits for the listener to close (it does once every socket has closed). A client that never
   * answers our FIN would hold it forever, so sockets still open after `timeoutMs` are destroyed.
   */
  async awaitClosed(listenerClosed: Promise<void>, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([listenerClosed, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        { open: this.sockets.size },
        'sockets did not close in time, destroying them',
      );
      for (const socket of this.sockets) socket.destroy();
      await listenerClosed;
    }
  }

  /** Lets every connection finish its accepted requests, then closes it. */
  async drainConnections(timeoutMs: number): Promise<void> {
    const drained = Promise.all([...this.connections].map((c) => c.drain()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        { open: this.connections.size },
        'connections did not drain in time, closing them',
      );
      for (const c of this.connections) c.close('shutdown');
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const conn = new KafkaConnection(
      socket,
      {
        id: this.nextConnectionId++,
        localAddress: unmapIpv4(socket.localAddress ?? '127.0.0.1'),
        remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
        remoteHost: unmapIpv4(socket.remoteAddress ?? ''),
      },
      this.handle,
      this.opts,
      this.logger,
      (c, reason) => {
        this.connections.delete(c);
        this.events.connectionClosed(reason);
      },
    );
    this.connections.add(conn);
    this.events.connectionOpened();
  }
}

/** '::ffff:127.0.0.1' (an IPv4 client on a dual-stack socket) is advertised as '127.0.0.1'. */
function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
