import { Inject, Injectable, Logger } from '@nestjs/common';
import { createCounter } from '@sluice/metrics';
import { REDIS, type Redis } from '@sluice/redis';
import type { Principal } from '../auth/api-key';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import { TOKEN_BUCKET_SCRIPT } from './token-bucket.lua';

export interface RateLimit {
  /** Readings per second refilled into the key's bucket. */
  perSecond: number;
  /** Bucket capacity: the most readings a key may send at once after being idle. */
  burst: number;
}

const rateLimited = createCounter({
  name: 'sluice_gateway_rate_limited_requests_total',
  help: 'Ingest requests refused with 429 because their API key ran out of tokens',
});
const rateLimitErrors = createCounter({
  name: 'sluice_gateway_rate_limit_errors_total',
  help: 'Rate-limit checks that could not reach Redis (the request was let through)',
});

type TokenBucketRedis = Redis & {
  sluiceTokenBucket(
    key: string,
    perSecond: number,
    burst: number,
    cost: number,
    now: number,
  ): Promise<[number, number, number]>;
};

/**
 * Per-API-key token buckets in Redis, counted in readings (a 5,000-line body costs 5,000, a JSON
 * batch its length), so the limit protects the pipeline whatever the request sizes. A key's own
 * limit (`api_keys.rate_limit_per_s` / `rate_limit_burst`) overrides `RATE_LIMIT_READINGS_PER_S` /
 * `RATE_LIMIT_BURST`; a rate of 0 disables limiting. Every ingest path calls `consume` once it
 * knows how many readings a request carries, before publishing.
 *
 * If Redis cannot be reached the request is let through (and counted): the limiter protects the
 * pipeline from one greedy key, it must not turn a Redis outage into an ingest outage.
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly redis: TokenBucketRedis;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    redis.defineCommand('sluiceTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
    this.redis = redis as TokenBucketRedis;
  }

  limitFor(principal: Principal): RateLimit {
    return (
      principal.rateLimit ?? {
        perSecond: this.config.RATE_LIMIT_READINGS_PER_S,
        burst: this.config.RATE_LIMIT_BURST,
      }
    );
  }

  /** Takes `cost` readings from the key's bucket; throws 429 `rate_limited` with Retry-After. */
  async consume(principal: Principal, cost: number): Promise<void> {
    const limit = this.limitFor(principal);
    if (limit.perSecond <= 0 || cost <= 0) return;
    let answer: [number, number, number];
    try {
      answer = await this.redis.sluiceTokenBucket(
        `ratelimit:${principal.keyId}`,
        limit.perSecond,
        limit.burst,
        cost,
        Date.now(),
      );
    } catch (error) {
      rateLimitErrors.inc();
      this.logger.warn({ msg: 'rate limit check failed; request let through', err: error });
      return;
    }
    const [allowed, , waitMs] = answer;
    if (allowed === 1) return;
    rateLimited.inc();
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    throw new ApiError(
      429,
      'rate_limited',
      `API key exceeded its rate limit of ${limit.perSecond} readings/s (burst ${limit.burst}); retry in ${retryAfter} s`,
      [],
      { 'retry-after': String(retryAfter) },
    );
  }
}
