import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiKeysRepository } from '../registry/api-keys.repository';
import { AuthError } from './auth.errors';
import { hashApiKey, type Principal } from './api-key';

const MAX_CACHED_KEYS = 10_000;

interface CacheEntry {
  principal: Principal | 'unknown' | 'revoked';
  expiresAt: number;
}

/**
 * Resolves API keys to principals. Lookups are cached briefly (positive and negative), so a flood
 * of requests with one key — or with garbage keys — costs one database query per TTL, not one per
 * request. The raw key never leaves this function: only its hash is stored, cached and compared.
 */
@Injectable()
export class ApiKeyAuthService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyAuthService.name);
  private readonly cache = new Map<string, CacheEntry>();
  private usedSinceFlush = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly apiKeys: ApiKeysRepository,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushLastUsed(), this.config.AUTH_LAST_USED_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushLastUsed();
  }

  /** The caller's principal; throws AuthError (401) for a missing, unknown or revoked key. */
  async authenticate(rawKey: string | undefined): Promise<Principal> {
    if (rawKey === undefined) throw AuthError.missingKey();
    const hash = hashApiKey(rawKey);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (entry === undefined || entry.expiresAt <= now) {
      entry = {
        principal: await this.lookup(hash),
        expiresAt: now + this.config.AUTH_CACHE_TTL_MS,
      };
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
      this.cache.set(hash, entry);
    }
    if (entry.principal === 'unknown') throw AuthError.unknownKey();
    if (entry.principal === 'revoked') throw AuthError.revokedKey();
    this.usedSinceFlush.add(entry.principal.keyId);
    return entry.principal;
  }

  private async lookup(hash: string): Promise<CacheEntry['principal']> {
    const record = await this.apiKeys.findByHash(hash);
    if (record === undefined) return 'unknown';
    if (record.revokedAt !== null) return 'revoked';
    const principal: Principal = {
      keyId: record.id,
      tenant: record.tenant,
      scopes: record.scopes,
      deviceIds: record.deviceIds,
    };
    if (record.rateLimitPerS !== null)
      principal.rateLimit = {
        perSecond: record.rateLimitPerS,
        burst: record.rateLimitBurst ?? record.rateLimitPerS,
      };
    return principal;
  }

  private async flushLastUsed(): Promise<void> {
    if (this.usedSinceFlush.size === 0) return;
    const ids = [...this.usedSinceFlush];
    this.usedSinceFlush = new Set();
    try {
      await this.apiKeys.markUsed(ids, new Date());
    } catch (error) {
      this.logger.warn({
        msg: 'could not write API key last-used times',
        err: error,
        keys: ids.length,
      });
    }
  }
}
