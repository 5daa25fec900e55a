import type { CleanReading } from '../api/gateway-types';
import { ReconnectBackoff } from './reconnect-backoff';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unauthorized';

export interface IncidentEvent {
  type: 'incident';
  incident: Record<string, unknown>;
}

export interface LiveSocketOptions {
  /** ws:// or wss:// URL of the gateway's /ws. */
  url: string;
  apiKey: string;
  onReadings: (device: string, readings: CleanReading[]) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Called after every successful (re)subscription: a chance to backfill what was missed. */
  onResubscribed?: () => void;
  onIncident?: (event: IncidentEvent) => void;
  backoff?: ReconnectBackoff;
}

/** The gateway accepts at most this many devices per subscribe message. */
const SUBSCRIBE_CHUNK = 1000;
const CLOSE_POLICY_VIOLATION = 1008;

/**
 * One WebSocket to the gateway for the whole app. Views subscribe devices (reference counted);
 * the socket authenticates with an `auth` message (the key stays out of URLs and access logs),
 * re-subscribes after every reconnect, and reconnects by itself with backoff — immediately when
 * the browser reports the network is back.
 */
export class LiveSocket {
  private socket: WebSocket | undefined;
  private readonly subscriptions = new Map<string, number>();
  private readonly readingListeners = new Set<(device: string, readings: CleanReading[]) => void>();
  private readonly resubscribeListeners = new Set<() => void>();
  private readonly incidentListeners = new Set<(event: IncidentEvent) => void>();
  private alertsWanted = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private status: LiveStatus = 'connecting';
  private readonly backoff: ReconnectBackoff;

  constructor(private readonly options: LiveSocketOptions) {
    this.backoff = options.backoff ?? new ReconnectBackoff();
  }

  get currentStatus(): LiveStatus {
    return this.status;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    if (navigator.onLine) this.connect();
    else this.setStatus('offline');
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'dashboard closed');
    this.socket = undefined;
  }

  subscribe(devices: string[]): void {
    const added = devices.filter((device) => {
      const count = this.subscriptions.get(device) ?? 0;
      this.subscriptions.set(device, count + 1);
      return count === 0;
    });
    if (added.length > 0 && this.status === 'live') this.sendSubscribe('subscribe', added);
  }

  unsubscribe(devices: string[]): void {
    const removed = devices.filter((device) => {
      const count = this.subscriptions.get(device) ?? 0;
      if (count <= 1) {
        this.subscriptions.delete(device);
        return count === 1;
      }
      this.subscriptions.set(device, count - 1);
      return false;
    });
    if (removed.length > 0 && this.status === 'live') this.sendSubscribe('unsubscribe', removed);
  }

  /** Every live frame, for views that need each point (charts); returns the remover. */
  addReadingsListener(listener: (device: string, readings: CleanReading[]) => void): () => void {
    this.readingListeners.add(listener);
    return () => this.readingListeners.delete(listener);
  }

  /** Called after each (re)authentication: views backfill what they missed while disconnected. */
  addResubscribeListener(listener: () => void): () => void {
    this.resubscribeListeners.add(listener);
    return () => this.resubscribeListeners.delete(listener);
  }

  /** Incident notifications (opened / acknowledged / resolved); returns the remover. */
  addIncidentListener(listener: (event: IncidentEvent) => void): () => void {
    this.incidentListeners.add(listener);
    return () => this.incidentListeners.delete(listener);
  }

  /** Incident events (issue 7's `subscribe-alerts`); servers without it answer with an error frame. */
  subscribeAlerts(): void {
    this.alertsWanted = true;
    if (this.status === 'live') this.send({ type: 'subscribe-alerts' });
  }

  private readonly onOnline = (): void => {
    if (this.stopped) return;
    this.backoff.reset();
    clearTimeout(this.retryTimer);
    if (this.socket === undefined) this.connect();
  };

  private readonly onOffline = (): void => {
    this.setStatus('offline');
  };

  private connect(): void {
    clearTimeout(this.retryTimer);
    this.setStatus(this.backoff.attempts === 0 ? 'connecting' : 'reconnecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.send({ type: 'auth', apiKey: this.options.apiKey });
    socket.onmessage = (event) => this.onMessage(String(event.data));
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.stopped) return;
      if (event.code === CLOSE_POLICY_VIOLATION) {
        this.setStatus('unauthorized');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setStatus(navigator.onLine ? 'reconnecting' : 'offline');
    this.retryTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private onMessage(raw: string): void {
    let message: { type?: string; [key: string]: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    switch (message.type) {
      case 'authenticated': {
        this.backoff.reset();
        this.setStatus('live');
        const devices = [...this.subscriptions.keys()];
        if (devices.length > 0) this.sendSubscribe('subscribe', devices);
        if (this.alertsWanted) this.send({ type: 'subscribe-alerts' });
        this.options.onResubscribed?.();
        for (const listener of this.resubscribeListeners) listener();
        break;
      }
      case 'readings':
        this.options.onReadings(message.device as string, message.readings as CleanReading[]);
        for (const listener of this.readingListeners) {
          listener(message.device as string, message.readings as CleanReading[]);
        }
        break;
      case 'incident':
        this.options.onIncident?.(message as unknown as IncidentEvent);
        for (const listener of this.incidentListeners)
          listener(message as unknown as IncidentEvent);
        break;
      default:
        break;
    }
  }

  private sendSubscribe(type: 'subscribe' | 'unsubscribe', devices: string[]): void {
    for (let i = 0; i < devices.length; i += SUBSCRIBE_CHUNK) {
      this.send({ type, devices: devices.slice(i, i + SUBSCRIBE_CHUNK) });
    }
  }

  private send(message: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }
}

export function liveSocketUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
