import type { Admin, Kafka } from 'kafkajs';
import type { KafkaLogger } from './kafka-client.factory';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Records between the group's committed offset and the high watermark. */
  lag: number;
}

export interface ConsumerLagMonitorOptions {
  groupId: string;
  intervalMs: number;
  onLag: (lags: PartitionLag[]) => void;
  /** Partitions this member no longer owns: their series must go, another member reports them. */
  onRevoked: (partitions: Array<{ topic: string; partition: number }>) => void;
  logger?: KafkaLogger;
}

/**
 * Measures a consumer group's lag on a timer, from the committed offsets and the partitions' high
 * watermarks, for the partitions *this member* is assigned (so N replicas do not report the same
 * partition N times). The per-batch figure alone goes stale exactly when it matters: a handler stuck
 * retrying, or a member that fetches nothing, never reports a new batch while the backlog grows.
 */
export class ConsumerLagMonitor {
  private assignment = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private connected = false;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerLagMonitorOptions,
  ) {}

  /** The member's assignment after a (re)join; partitions it lost are reported as revoked. */
  assigned(assignment: Record<string, number[]>): void {
    const revoked: Array<{ topic: string; partition: number }> = [];
    for (const [topic, partitions] of this.assignment) {
      const kept = new Set(assignment[topic] ?? []);
      for (const partition of partitions)
        if (!kept.has(partition)) revoked.push({ topic, partition });
    }
    this.assignment = new Map(Object.entries(assignment).filter(([, p]) => p.length > 0));
    if (revoked.length > 0) this.options.onRevoked(revoked);
  }

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      // A slow cluster must not pile up overlapping admin round trips.
      this.inFlight ??= this.measureSafely().finally(() => (this.inFlight = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Let a measurement in progress finish, or it would reconnect the admin after we closed it.
    await this.inFlight;
    if (this.connected) {
      this.connected = false;
      await this.admin?.disconnect().catch(() => undefined);
    }
  }

  /** One measurement now (the timer calls this; tests may too). */
  async measure(): Promise<PartitionLag[]> {
    if (this.assignment.size === 0) return [];
    const admin = await this.connectedAdmin();
    const topics = [...this.assignment.keys()];
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of await admin.fetchOffsets({
      groupId: this.options.groupId,
      topics,
    })) {
      for (const { partition, offset } of partitions)
        committed.set(`${topic}/${partition}`, BigInt(offset));
    }
    const lags: PartitionLag[] = [];
    for (const topic of topics) {
      const assigned = new Set(this.assignment.get(topic));
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (!assigned.has(partition)) continue;
        const offset = committed.get(`${topic}/${partition}`) ?? -1n;
        // -1: nothing committed yet, the group starts at the log start (fromBeginning).
        const from = offset >= 0n ? offset : BigInt(low);
        const lag = BigInt(high) - from;
        lags.push({ topic, partition, lag: Number(lag > 0n ? lag : 0n) });
      }
    }
    this.options.onLag(lags);
    return lags;
  }

  private async measureSafely(): Promise<void> {
    try {
      await this.measure();
    } catch (error) {
      this.options.logger?.warn(
        { err: error, groupId: this.options.groupId },
        'consumer lag measurement failed (the per-batch figure is still reported)',
      );
    }
  }

  private async connectedAdmin(): Promise<Admin> {
    this.admin ??= this.kafka.admin();
    if (!this.connected) {
      await this.admin.connect();
      this.connected = true;
    }
    return this.admin;
  }
}
