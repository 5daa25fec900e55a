import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createCounter } from '@sluice/metrics';
import { REDIS, type Redis } from '@sluice/redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';
import { ApiError } from '../http/api-error';
import {
  PublishOutcomeUnknownError,
  type PublishResult,
} from '../readings-ingest/readings.publisher';

const KEY_RULE = /^[\x21-\x7e]{1,255}$/;

const idempotentReplays = createCounter({
  name: 'sluice_gateway_idempotent_replays_total',
  help: 'Ingest requests answered from a stored result because their Idempotency-Key was already used',
});

interface StoredEntry<T> {
  state: 'pending' | 'done';
  fingerprint: string;
  result?: T;
}

export interface IdempotentOutcome<T> {
  result: T;
  /** true: the result is the stored one of an earlier request; nothing was published now. */
  replayed: boolean;
}

/**
 * `Idempotency-Key` for ingest batches: a client that retries after a timeout or a 503 gets the
 * original result instead of publishing the batch twice. The key is claimed in Redis (`SET NX`)
 * before publishing and replaced by the result once Kafka acknowledged, for
 * `IDEMPOTENCY_TTL_S`. While a request with the key is in flight a duplicate gets 409
 * `idempotency_in_progress` (Retry-After 1); the same key with a different body gets 422.
 *
 * The subtle case is a publish whose outcome is unknown (the gateway answered 503 at its deadline
 * but the producer may still deliver): the claim is kept until the send settles — stored as done if
 * it landed, released if it definitely failed — and if even that stays unknown (the producer timed
 * out as well) the claim simply expires after `IDEMPOTENCY_PENDING_S`, longer than the Kafka
 * client's retry budget, so a retry can never race a late delivery.
 *
 * Keys are scoped per tenant. Reusable by any batch path (gRPC batches): `execute(tenant, key,
 * fingerprint(body), () => publish())`.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** A stable digest of a request body, so a reused key with different content is detected. */
  static fingerprint(body: unknown): string {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return createHash('sha256').update(text).digest('base64url');
  }

  /** Checks the header value; throws 400 naming the rule. */
  static validateKey(key: string): void {
    if (!KEY_RULE.test(key)) {
      const message = 'must be 1-255 printable ASCII characters without spaces';
      throw new ApiError(400, 'invalid_idempotency_key', `Idempotency-Key ${message}`, [
        { path: 'Idempotency-Key', message },
      ]);
    }
  }

  async execute<T>(
    tenant: string,
    key: string,
    fingerprint: string,
    publish: () => Promise<T>,
    /** The result to store when a publish that answered 503 turns out to have landed. */
    fromLatePublish?: (published: PublishResult) => T,
  ): Promise<IdempotentOutcome<T>> {
    IdempotencyService.validateKey(key);
    const redisKey = `idempotency:${tenant}:${key}`;
    const pending: StoredEntry<T> = { state: 'pending', fingerprint };
    const claimed = await this.redisCall(() =>
      this.redis.set(redisKey, JSON.stringify(pending), 'PX', this.pendingMs, 'NX'),
    );
    if (claimed !== 'OK')
      return { result: await this.existing<T>(redisKey, fingerprint), replayed: true };

    let result: T;
    try {
      result = await publish();
    } catch (error) {
      this.release(redisKey, fingerprint, error, fromLatePublish);
      throw error;
    }
    await this.store(redisKey, fingerprint, result);
    return { result, replayed: false };
  }

  private get pendingMs(): number {
    return this.config.IDEMPOTENCY_PENDING_S * 1000;
  }

  private async existing<T>(redisKey: string, fingerprint: string): Promise<T> {
    const raw = await this.redisCall(() => this.redis.get(redisKey));
    if (raw === null) {
      // expired or released between SET NX and GET: the caller may simply retry now
      throw inProgress();
    }
    const entry = JSON.parse(raw) as StoredEntry<T>;
    if (entry.fingerprint !== fingerprint) {
      const message = 'was already used with a different request body';
      throw new ApiError(422, 'idempotency_key_reused', `Idempotency-Key ${message}`, [
        { path: 'Idempotency-Key', message },
      ]);
    }
    if (entry.state === 'pending') throw inProgress();
    idempotentReplays.inc();
    return entry.result as T;
  }

  private async store<T>(redisKey: string, fingerprint: string, result: T): Promise<void> {
    const done: StoredEntry<T> = { state: 'done', fingerprint, result };
    try {
      await this.redis.set(redisKey, JSON.stringify(done), 'EX', this.config.IDEMPOTENCY_TTL_S);
    } catch (error) {
      // the readings are in Kafka: answer success; the pending claim expires and a retry within
      // IDEMPOTENCY_PENDING_S still gets 409 rather than a second publish
      this.logger.warn({ msg: 'could not store an idempotent result', err: error });
    }
  }

  private release<T>(
    redisKey: string,
    fingerprint: string,
    error: unknown,
    fromLatePublish: ((published: PublishResult) => T) | undefined,
  ): void {
    if (error instanceof PublishOutcomeUnknownError) {
      error.settled.then(
        (published) => {
          if (fromLatePublish) void this.store(redisKey, fingerprint, fromLatePublish(published));
        },
        // still unknown: the claim expires by itself after IDEMPOTENCY_PENDING_S
        () => undefined,
      );
      return;
    }
    this.redis.del(redisKey).catch((cause: unknown) => {
      this.logger.warn({ msg: 'could not release an idempotency key', err: cause });
    });
  }

  private async redisCall<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      const failure = new ApiError(
        503,
        'idempotency_unavailable',
        'Redis is unavailable, so the Idempotency-Key cannot be honoured; nothing was accepted, retry later',
        [],
        { 'retry-after': String(this.config.INGEST_RETRY_AFTER_S) },
      );
      failure.cause = error;
      throw failure;
    }
  }
}

function inProgress(): ApiError {
  const message = 'a request with this Idempotency-Key is still being processed';
  return new ApiError(
    409,
    'idempotency_in_progress',
    message,
    [{ path: 'Idempotency-Key', message }],
    {
      'retry-after': '1',
    },
  );
}
