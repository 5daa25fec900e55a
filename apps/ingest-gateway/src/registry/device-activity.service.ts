import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { DevicesRepository } from './devices.repository';

// Bounds the in-memory "known to exist" set; clearing it only costs one extra lookup per device.
const MAX_KNOWN_DEVICES = 100_000;

/**
 * Keeps the registry in step with ingest without a database round trip per request: devices known
 * to exist are remembered, new ones are registered before their readings are published (so the
 * stream-transformer can enrich them), and last-seen times are written in one statement per flush.
 */
@Injectable()
export class DeviceActivityService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DeviceActivityService.name);
  private readonly known = new Set<string>();
  private pendingSeen = new Map<string, { tenant: string; id: string; seenAt: Date }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly devices: DevicesRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushSafely(), this.config.DEVICE_LAST_SEEN_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushSafely();
  }

  /**
   * Makes sure every device exists. With auto-registration off, returns the ids that are not
   * registered (the caller refuses their readings); otherwise registers them and returns [].
   */
  async ensureRegistered(tenant: string, ids: readonly string[]): Promise<string[]> {
    const unknown = ids.filter((id) => !this.known.has(`${tenant}/${id}`));
    if (unknown.length === 0) return [];
    if (this.config.INGEST_AUTO_REGISTER_DEVICES) {
      await this.devices.registerMissing(tenant, unknown);
      this.remember(tenant, unknown);
      return [];
    }
    const existing = await this.devices.existing(tenant, unknown);
    this.remember(tenant, [...existing]);
    return unknown.filter((id) => !existing.has(id));
  }

  recordSeen(tenant: string, ids: readonly string[], seenAt: Date): void {
    for (const id of ids) this.pendingSeen.set(`${tenant}/${id}`, { tenant, id, seenAt });
  }

  async flush(): Promise<void> {
    if (this.pendingSeen.size === 0) return;
    const batch = this.pendingSeen;
    this.pendingSeen = new Map();
    try {
      await this.devices.markSeen([...batch.values()]);
    } catch (error) {
      // keep the entries for the next flush unless newer ones arrived meanwhile
      for (const [key, entry] of batch)
        if (!this.pendingSeen.has(key)) this.pendingSeen.set(key, entry);
      throw error;
    }
  }

  private async flushSafely(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      this.logger.warn({
        msg: 'could not write device last-seen times',
        err: error,
        pending: this.pendingSeen.size,
      });
    }
  }

  private remember(tenant: string, ids: readonly string[]): void {
    if (this.known.size + ids.length > MAX_KNOWN_DEVICES) this.known.clear();
    for (const id of ids) this.known.add(`${tenant}/${id}`);
  }
}
