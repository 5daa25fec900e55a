import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  CleanReadingBatchSchema,
  RecordDecodeError,
  decodeRecord,
  readIngestTs,
  type IncidentNotificationRecord,
} from '@sluice/contracts';
import { observeIngestLatency, type ConsumedMessage } from '@sluice/kafka';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { AuthError } from '../auth/auth.errors';
import { extractApiKey, hasScope, mayAccessDevice, type Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import {
  CLOSE_GOING_AWAY,
  CLOSE_POLICY_VIOLATION,
  LiveClient,
  type LiveClientLimits,
} from './live-client';
import { parseClientMessage, type ClientMessage } from './live-stream.protocol';
import {
  liveDeliveryLatency,
  liveFeedActive,
  liveRecordsInvalid,
  wsClients,
} from './live-stream.metrics';
import { SubscriptionRegistry } from './subscription-registry';

export const LIVE_STREAM_PATH = '/ws';
const AUTH_TIMEOUT_MS = 10_000;
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** The source of readings frames: consumed only while some client is subscribed to a device. */
export interface ReadingsFeed {
  /** Starts consuming from the end; resolves once a record produced from now on will be delivered. */
  resume(): Promise<void>;
  /** Pauses and resumes are carried out in the order they are asked for. */
  pause(): Promise<void>;
}

/**
 * The WebSocket hub at /ws, on the gateway's own HTTP server. It uses `ws` directly rather than
 * Nest's WsAdapter: authentication has to happen at the handshake (so a bad key gets an HTTP 401,
 * not an open socket), the protocol is `{"type": ...}` rather than WsAdapter's `{event, data}`,
 * and slow-client handling needs the socket's buffered amount.
 */
@Injectable()
export class LiveStreamServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveStreamServer.name);
  private readonly subscriptions = new SubscriptionRegistry<LiveClient>();
  private readonly clients = new Set<LiveClient>();
  /** Clients that sent `subscribe-alerts` (incident notifications of their tenant). */
  private readonly alertSubscribers = new Set<LiveClient>();
  private readonly limits: LiveClientLimits;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
  });
  private httpServer: Server | undefined;
  private feed: ReadingsFeed | undefined;
  private feedWanted = false;
  /** The last pause or resume asked of the feed; a subscription is acknowledged once it is done. */
  private feedSettled: Promise<void> = Promise.resolve();
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    void this.handleUpgrade(request, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: ApiKeyAuthService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limits = {
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      maxDroppedFrames: config.WS_MAX_DROPPED_FRAMES,
    };
  }

  onApplicationBootstrap(): void {
    this.httpServer = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.httpServer.on('upgrade', this.onUpgrade);
    this.pingTimer = setInterval(() => this.keepAlive(), this.config.WS_PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Closes every socket with 1001 before the HTTP server stops, so clients reconnect elsewhere. */
  beforeApplicationShutdown(): void {
    clearInterval(this.pingTimer);
    this.httpServer?.off('upgrade', this.onUpgrade);
    for (const client of this.clients) client.close(CLOSE_GOING_AWAY, 'server shutting down');
    this.wss.close();
  }

  /**
   * The feed is paused while no client is subscribed to any device: a gateway replica without
   * WebSocket clients would otherwise decode the whole clean topic (and make the broker serve it)
   * for nobody. The first subscription resumes it at the topic's end before it is acknowledged.
   */
  attachReadingsFeed(feed: ReadingsFeed): void {
    this.feed = feed;
    void this.updateFeed();
  }

  /** Fans one telemetry.clean.v1 record out to the subscribers of its device. */
  deliver(message: ConsumedMessage): void {
    // Most records have no subscriber: decide on the key before paying for a JSON parse.
    if (message.key === null || this.subscriptions.subscribersOf(message.key).size === 0) return;
    let batch;
    try {
      batch = decodeRecord(CleanReadingBatchSchema, message.value);
    } catch (error) {
      if (!(error instanceof RecordDecodeError)) throw error;
      liveRecordsInvalid.inc();
      this.logger.warn({
        msg: 'skipping undecodable clean record',
        key: message.key,
        offset: message.offset,
        err: error,
      });
      return;
    }
    const subscribers = this.subscriptions.subscribersOf(`${batch.tenant}/${batch.device}`);
    if (subscribers.size === 0) return;
    const frame = JSON.stringify({
      type: 'readings',
      device: batch.device,
      readings: batch.readings,
    });
    const ingestTs = readIngestTs(message.headers);
    for (const client of subscribers) {
      if (client.sendReadings(frame) && ingestTs !== undefined) {
        liveDeliveryLatency.observe(Math.max(0, Date.now() - ingestTs) / 1000);
        observeIngestLatency('ws_delivered', ingestTs);
      }
    }
  }

  /**
   * Pushes an incident notification to the alert subscribers of its tenant (and, for keys limited
   * to some devices, only incidents of those devices or of no device).
   */
  deliverIncident(record: IncidentNotificationRecord): number {
    if (this.alertSubscribers.size === 0) return 0;
    const frame = JSON.stringify({
      type: 'incident',
      notification: record.notification,
      incident: record.incident,
    });
    let sent = 0;
    for (const client of this.alertSubscribers) {
      const principal = client.principal;
      if (principal === undefined || principal.tenant !== record.incident.tenant) continue;
      if (record.incident.device !== null && !mayAccessDevice(principal, record.incident.device)) {
        continue;
      }
      // incidents are rare and important: queued like control messages, never dropped
      if (client.isOpen) {
        client.socket.send(frame);
        sent += 1;
      }
    }
    return sent;
  }

  private async handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://gateway');
    if (url.pathname !== LIVE_STREAM_PATH) {
      rejectUpgrade(
        socket,
        new ApiError(404, 'not_found', `no WebSocket endpoint at ${url.pathname}`),
      );
      return;
    }
    const key = url.searchParams.get('apiKey') ?? extractApiKey(request.headers);
    let principal: Principal | undefined;
    if (key !== undefined) {
      try {
        principal = await this.authenticateForRead(key);
      } catch (error) {
        rejectUpgrade(socket, error instanceof ApiError ? error : unavailable());
        if (!(error instanceof ApiError))
          this.logger.error({ msg: 'WebSocket authentication failed', err: error });
        return;
      }
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, principal));
  }

  private accept(ws: WebSocket, principal: Principal | undefined): void {
    const client = new LiveClient(ws, this.limits);
    this.clients.add(client);
    wsClients.inc();
    let authTimer: NodeJS.Timeout | undefined;
    if (principal) {
      this.authenticated(client, principal);
    } else {
      authTimer = setTimeout(() => {
        if (!client.principal) client.close(CLOSE_POLICY_VIOLATION, 'authentication required');
      }, AUTH_TIMEOUT_MS);
    }
    // One message after another: a client may send `subscribe` right behind `auth` without waiting
    // for `authenticated`, and must not be refused because the key lookup was still pending.
    let inbox: Promise<void> = Promise.resolve();
    ws.on('message', (data: RawData) => {
      const raw = rawText(data);
      inbox = inbox
        .then(() => this.onMessage(client, raw))
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'WebSocket message handling failed', err: error }),
        );
    });
    ws.on('pong', () => (client.alive = true));
    ws.on('error', (error) => this.logger.debug({ msg: 'WebSocket error', err: error }));
    ws.on('close', () => {
      clearTimeout(authTimer);
      this.clients.delete(client);
      this.alertSubscribers.delete(client);
      this.subscriptions.remove(client);
      void this.updateFeed();
      wsClients.dec();
    });
  }

  private authenticated(client: LiveClient, principal: Principal): void {
    client.principal = principal;
    client.sendControl({ type: 'authenticated', tenant: principal.tenant });
  }

  private async onMessage(client: LiveClient, raw: string): Promise<void> {
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      client.sendControl(parsed.error);
      return;
    }
    const message = parsed.message;
    if (message.type === 'ping') {
      client.sendControl({ type: 'pong' });
      return;
    }
    if (message.type === 'auth') {
      await this.onAuth(client, message.apiKey);
      return;
    }
    if (!client.principal) {
      sendError(client, AuthError.missingKey());
      return;
    }
    if (message.type === 'subscribe-alerts' || message.type === 'unsubscribe-alerts') {
      if (message.type === 'subscribe-alerts') this.alertSubscribers.add(client);
      else this.alertSubscribers.delete(client);
      client.sendControl({
        type: 'alerts-subscribed',
        subscribed: message.type === 'subscribe-alerts',
      });
      return;
    }
    await this.onSubscription(client, client.principal, message);
  }

  private async onAuth(client: LiveClient, apiKey: string): Promise<void> {
    if (client.principal) {
      client.sendControl({
        type: 'error',
        code: 'already_authenticated',
        message: 'this connection is already authenticated',
        details: [],
      });
      return;
    }
    try {
      this.authenticated(client, await this.authenticateForRead(apiKey));
    } catch (error) {
      sendError(client, error instanceof ApiError ? error : unavailable());
      client.close(CLOSE_POLICY_VIOLATION, 'authentication failed');
    }
  }

  private async onSubscription(
    client: LiveClient,
    principal: Principal,
    message: Extract<ClientMessage, { type: 'subscribe' | 'unsubscribe' }>,
  ): Promise<void> {
    if (message.type === 'unsubscribe') {
      this.subscriptions.unsubscribe(client, principal.tenant, message.devices);
      void this.updateFeed();
      client.sendControl({ type: 'subscribed', devices: this.subscriptions.devicesOf(client) });
      return;
    }
    const forbidden = message.devices.findIndex((device) => !mayAccessDevice(principal, device));
    if (forbidden >= 0) {
      sendError(
        client,
        AuthError.deviceNotAllowed(message.devices[forbidden], `devices[${forbidden}]`),
      );
      return;
    }
    const total = new Set([...this.subscriptions.devicesOf(client), ...message.devices]).size;
    if (total > this.config.WS_MAX_SUBSCRIPTIONS) {
      const text = `a connection may subscribe to at most ${this.config.WS_MAX_SUBSCRIPTIONS} devices (WS_MAX_SUBSCRIPTIONS)`;
      client.sendControl({
        type: 'error',
        code: 'too_many_subscriptions',
        message: text,
        details: [{ path: 'devices', message: text }],
      });
      return;
    }
    this.subscriptions.subscribe(client, principal.tenant, message.devices);
    await this.updateFeed();
    client.sendControl({ type: 'subscribed', devices: this.subscriptions.devicesOf(client) });
  }

  /** Resumes or pauses the feed when subscriptions appear or all go; resolves once it has. */
  private updateFeed(): Promise<void> {
    const wanted = this.subscriptions.hasSubscriptions();
    const feed = this.feed;
    if (feed === undefined || wanted === this.feedWanted) return this.feedSettled;
    this.feedWanted = wanted;
    // the feed orders its pauses and resumes itself; this is the one later subscriptions wait for
    this.feedSettled = (wanted ? feed.resume() : feed.pause())
      .then(() => liveFeedActive.set(wanted ? 1 : 0))
      .catch((error: unknown) =>
        this.logger.warn({
          msg: `could not ${wanted ? 'resume' : 'pause'} the live feed`,
          err: error,
        }),
      );
    return this.feedSettled;
  }

  private async authenticateForRead(apiKey: string): Promise<Principal> {
    const principal = await this.auth.authenticate(apiKey);
    if (!hasScope(principal, 'read')) throw AuthError.missingScope('read');
    return principal;
  }

  /** A client that did not answer the previous ping is gone (half-open TCP): terminate it. */
  private keepAlive(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

function sendError(client: LiveClient, error: ApiError): void {
  client.sendControl({ type: 'error', ...error.toBody().error });
}

function unavailable(): ApiError {
  return new ApiError(503, 'auth_unavailable', 'authentication is unavailable, retry later');
}

function rejectUpgrade(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(error.toBody());
  const reason =
    error.status === 401
      ? 'Unauthorized'
      : error.status === 403
        ? 'Forbidden'
        : error.status === 404
          ? 'Not Found'
          : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
