import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { isLastAttempt, retryDelayMs, type BackoffPolicy } from '@sluice/alerting';
import { encodeRecord } from '@sluice/contracts';
import { KafkaProducer } from '@sluice/kafka';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';
import { DeliveriesRepository, type ClaimedDelivery } from './deliveries.repository';
import { DeliveryError } from './delivery.errors';
import { deliveryMetrics } from './delivery.metrics';
import { EmailSender } from './email.sender';
import { sendHttpNotification } from './http-channel.sender';

/**
 * Drains the outbox: claims due deliveries (lease + attempt counted first), sends them with their
 * idempotency key, then marks them delivered, schedules a retry with backoff and jitter, or
 * dead-letters them after the last attempt. Polls, and is woken right after new deliveries commit.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  private readonly email: EmailSender;
  private readonly backoff: BackoffPolicy;
  /**
   * Deliveries claimed at once: no more than the workers can send within one lease even if every
   * send runs into its timeout, or claims would expire while still queued here and be sent twice.
   */
  private readonly claimSize: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopped = false;

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly producer: KafkaProducer,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {
    this.email = new EmailSender(config.SMTP_URL, config.SMTP_FROM, config.DELIVERY_TIMEOUT_MS);
    this.backoff = {
      baseMs: config.DELIVERY_BACKOFF_BASE_MS,
      maxMs: config.DELIVERY_BACKOFF_MAX_MS,
      maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
    };
    const rounds = Math.max(
      1,
      Math.floor(config.DELIVERY_LEASE_MS / config.DELIVERY_TIMEOUT_MS) - 1,
    );
    this.claimSize = Math.max(
      1,
      Math.min(config.DELIVERY_BATCH_SIZE, config.DELIVERY_CONCURRENCY * rounds),
    );
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.email.close();
  }

  /** New deliveries were committed: send now instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Claims and sends these deliveries now (test notifications, resends); returns them as claimed. */
  async deliverNow(ids: readonly string[]): Promise<void> {
    const claimed = await this.deliveries.claim({
      limit: ids.length,
      leaseMs: this.config.DELIVERY_LEASE_MS,
      now: Date.now(),
      ids,
    });
    await this.sendAll(claimed);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .catch((error: unknown) => this.logger.error(`outbox drain failed: ${String(error)}`))
        .finally(() => {
          this.running = undefined;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.config.DELIVERY_POLL_MS);
        });
    }, delayMs);
  }

  /** Sends due deliveries until none is left (or shutdown). */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const claimed = await this.deliveries.claim({
        limit: this.claimSize,
        leaseMs: this.config.DELIVERY_LEASE_MS,
        now: Date.now(),
      });
      if (claimed.length === 0) return;
      await this.sendAll(claimed);
      if (claimed.length < this.claimSize) return;
    }
  }

  private async sendAll(claimed: ClaimedDelivery[]): Promise<void> {
    const delivered: ClaimedDelivery[] = [];
    // in-app notifications of one batch go to Kafka in one produce call
    const inApp = claimed.filter((delivery) => delivery.channelType === 'websocket');
    const others = claimed.filter((delivery) => delivery.channelType !== 'websocket');
    const tasks: Array<Promise<void>> = [];
    if (inApp.length > 0) tasks.push(this.publishInApp(inApp, delivered));
    let next = 0;
    const workers = Array.from(
      { length: Math.min(this.config.DELIVERY_CONCURRENCY, others.length) },
      async () => {
        while (next < others.length) await this.attempt(others[next++], delivered);
      },
    );
    await Promise.all([...tasks, ...workers]);
    await this.succeeded(delivered);
  }

  private async publishInApp(
    deliveries: ClaimedDelivery[],
    delivered: ClaimedDelivery[],
  ): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await this.producer.send(
        this.config.TOPIC_NOTIFICATIONS,
        deliveries.map((delivery) => ({
          key: delivery.tenant,
          value: encodeRecord({ ...delivery.payload, sentAt: Date.now() }),
        })),
      );
      deliveryMetrics.attemptDuration.observe(
        { channel: 'websocket' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      delivered.push(...deliveries);
    } catch (error) {
      await Promise.all(deliveries.map((delivery) => this.failed(delivery, error)));
    }
  }

  /** One send; a success is recorded by the caller (in bulk), a failure right away. */
  private async attempt(delivery: ClaimedDelivery, delivered: ClaimedDelivery[]): Promise<void> {
    if (delivery.channelType === 'websocket') return this.publishInApp([delivery], delivered);
    const started = process.hrtime.bigint();
    try {
      await this.send(delivery);
      deliveryMetrics.attemptDuration.observe(
        { channel: delivery.channelType },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      delivered.push(delivery);
    } catch (error) {
      await this.failed(delivery, error);
    }
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const config = delivery.channelConfig;
    if (config === null) {
      throw new DeliveryError(
        delivery.channelType,
        `channel ${delivery.channelId ?? '(deleted)'} is deleted or disabled`,
        false,
      );
    }
    const notification = { ...delivery.payload, sentAt: Date.now() };
    switch (delivery.channelType) {
      case 'webhook':
      case 'slack':
        return sendHttpNotification({
          kind: delivery.channelType,
          url: String(config.url),
          secret: typeof config.secret === 'string' ? config.secret : undefined,
          notification,
          timeoutMs: this.config.DELIVERY_TIMEOUT_MS,
          now: Date.now(),
        });
      case 'email':
        return this.email.send(config.to as string[], notification);
      default:
        throw new DeliveryError(delivery.channelType, 'unknown channel type', false);
    }
  }

  private async succeeded(deliveries: ClaimedDelivery[]): Promise<void> {
    await this.deliveries.markDelivered(deliveries.map((delivery) => delivery.id));
    for (const delivery of deliveries) {
      deliveryMetrics.attempts.inc({ channel: delivery.channelType, outcome: 'delivered' });
      deliveryMetrics.duration.observe(
        { channel: delivery.channelType },
        Math.max(0, Date.now() - delivery.createdAt) / 1000,
      );
    }
  }

  private async failed(delivery: ClaimedDelivery, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(error instanceof DeliveryError) || error.retryable;
    const dead = !retryable || isLastAttempt(delivery.attempts, this.backoff);
    const retryAt = dead ? null : Date.now() + retryDelayMs(delivery.attempts, this.backoff);
    await this.deliveries.markFailed(delivery.id, message, retryAt);
    deliveryMetrics.attempts.inc({ channel: delivery.channelType, outcome: 'failed' });
    if (dead) deliveryMetrics.deadLettered.inc({ channel: delivery.channelType });
    this.logger.warn(
      `delivery ${delivery.id} (${delivery.channelType}, attempt ${delivery.attempts}) failed${dead ? ', dead-lettered' : ''}: ${message}`,
    );
  }
}
