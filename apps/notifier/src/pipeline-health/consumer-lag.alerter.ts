import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { checkBounds, type BoundsState } from '@sluice/alerting';
import { buildHeaders, encodeRecord, type AlertEvent } from '@sluice/contracts';
import { KAFKA_CLIENT, KafkaProducer, type Kafka } from '@sluice/kafka';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';

/** kafkajs stays behind @sluice/kafka: the admin type is taken from the client it exports. */
type Admin = ReturnType<Kafka['admin']>;

/**
 * Total lag of a consumer group over every partition of `topics`: high watermark minus the
 * committed offset (nothing committed yet: minus the log start, as a fromBeginning group reads).
 */
export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  let lag = 0n;
  for (const { topic, partitions } of committed) {
    const offsets = new Map(partitions.map((p) => [p.partition, BigInt(p.offset)]));
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      const offset = offsets.get(partition) ?? -1n;
      const from = offset >= 0n ? offset : BigInt(low);
      const behind = BigInt(high) - from;
      if (behind > 0n) lag += behind;
    }
  }
  return Number(lag);
}

/**
 * Pipeline health: raises a `consumer_lag` alert (device null, metric = the consumer group) on
 * alerts.v1 for SYSTEM_ALERTS_TENANT when a watched group falls more than LAG_ALERT_THRESHOLD
 * records behind, and resolves it when it catches up. Off unless both are set. The threshold
 * check is the alerting lib's bounds detector, so it reports transitions only; its state lives in
 * memory, and a restart re-raises a still-lagging group (same dedupe key: the notifier keeps one
 * incident).
 */
@Injectable()
export class ConsumerLagAlerter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsumerLagAlerter.name);
  private readonly state = new Map<string, BoundsState>();
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    private readonly producer: KafkaProducer,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  get enabled(): boolean {
    return this.config.LAG_ALERT_THRESHOLD > 0 && this.config.SYSTEM_ALERTS_TENANT !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      this.running ??= this.check()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.warn(
            `consumer lag check failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => (this.running = undefined));
    }, this.config.LAG_ALERT_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** One check of every watched group; returns the alerts published. */
  async check(now = Date.now()): Promise<AlertEvent[]> {
    const tenant = this.config.SYSTEM_ALERTS_TENANT;
    if (tenant === undefined) return [];
    if (this.admin === undefined) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const events: AlertEvent[] = [];
    for (const [groupId, topics] of this.config.LAG_ALERT_GROUPS) {
      const lag = await groupLag(this.admin, groupId, topics);
      const step = checkBounds(
        'threshold',
        { max: this.config.LAG_ALERT_THRESHOLD, severity: 'critical' },
        this.state.get(groupId),
        { time: now, value: lag },
      );
      this.state.set(groupId, step.state);
      if (step.signal === undefined) continue;
      events.push({
        id: `${tenant}/_system/${groupId}/consumer_lag/${step.signal.state}/${now}`,
        tenant,
        device: null,
        metric: groupId,
        kind: 'consumer_lag',
        severity: step.signal.severity,
        state: step.signal.state,
        message:
          step.signal.state === 'firing'
            ? `consumer group ${groupId} is ${lag} records behind (threshold ${this.config.LAG_ALERT_THRESHOLD})`
            : `consumer group ${groupId} caught up (${lag} records behind)`,
        evidence: { groupId, lag, threshold: this.config.LAG_ALERT_THRESHOLD },
        at: now,
      });
    }
    if (events.length > 0) {
      await this.producer.send(
        this.config.TOPIC_ALERTS,
        events.map((event) => ({
          key: `${event.tenant}/_system`,
          value: encodeRecord(event),
          headers: buildHeaders({ ingestTs: now }),
        })),
      );
    }
    return events;
  }
}
