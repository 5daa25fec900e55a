import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import { ConsumerLagMonitor } from './consumer-lag.monitor';
import type { KafkaLogger } from './kafka-client.factory';

export interface ConsumedMessage {
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  highWatermark: string;
}

/** Observations a service can turn into metrics (lag, batch size, handler time, retries). */
export interface BatchConsumerObserver {
  batchProcessed?(info: {
    groupId: string;
    topic: string;
    partition: number;
    messages: number;
    durationSeconds: number;
    lag: number;
  }): void;
  handlerFailed?(info: {
    groupId: string;
    topic: string;
    partition: number;
    error: unknown;
    attempt: number;
  }): void;
  /** Lag of an assigned partition measured on the timer (committed offset vs. high watermark). */
  lagMeasured?(info: { groupId: string; topic: string; partition: number; lag: number }): void;
  /** Partitions this member lost in a rebalance: whatever it reported for them is stale now. */
  partitionsRevoked?(info: {
    groupId: string;
    partitions: Array<{ topic: string; partition: number }>;
  }): void;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  handler: (batch: ConsumedBatch) => Promise<void>;
  fromBeginning?: boolean;
  /** Partitions handled in parallel by this member; order within a partition is always kept. */
  partitionsConcurrently?: number;
  logger?: KafkaLogger;
  observer?: BatchConsumerObserver;
  sessionTimeoutMs?: number;
  /** Upper bound of the backoff between retries of a failing handler. */
  maxRetryDelayMs?: number;
  maxBytesPerPartition?: number;
  /** How often the group's lag is measured besides after each batch (0 = only after batches). */
  lagRefreshMs?: number;
}

export const DEFAULT_LAG_REFRESH_MS = 10_000;

/**
 * At-least-once batch consumption: the handler receives a whole fetched batch, and its offsets are
 * committed only after the handler resolved, i.e. after its effects are durable. A failing handler
 * is retried (with backoff, heartbeating so the member keeps its partitions) instead of skipping
 * data, so handlers must be idempotent; bad *data* is the handler's to route to a DLQ, a throw means
 * a dependency failed.
 *
 * Offsets are committed in the background, one OffsetCommit at a time carrying every partition
 * handled since the last one. kafkajs's own auto-commit awaited a commit after every partition's
 * batch, and fetches the next records only once all batches of a fetch are done, so each commit
 * round trip delayed every record behind it. A commit lost in a crash or a rebalance only replays
 * batches the handlers already made idempotent; a graceful stop commits before leaving the group.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly lagMonitor: ConsumerLagMonitor;
  private running = false;
  /** Records whose handler succeeded, and the next offset per `topic/partition` after them. */
  private processedRecords = 0;
  private readonly positions: Record<string, string> = {};
  /** fromBeginning: false — each partition's end offset when this member started. */
  private readonly startOffsets = new Map<string, string>();
  /** Next offsets of handled batches not yet sent in an OffsetCommit, by `topic/partition`. */
  private readonly uncommitted = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  /** The commits in flight, in order; never rejects. */
  private commits: Promise<void> = Promise.resolve();
  /**
   * kafkajs's commit for this run, taken from a batch's payload: `consumer.commitOffsets` silently
   * does nothing once a stop has begun, which is exactly when the last batch's offsets are due.
   */
  private commitToGroup: EachBatchPayload['commitOffsetsIfNecessary'] | undefined;
  /** `pause()` was called, and no `resumeAtEnd()` since. */
  private paused = false;
  /** kafkajs's `run` has returned: only from then on can it pause, resume and seek. */
  private fetching = false;
  /** Pauses and resumes in the order they were asked for. */
  private feedChanges: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: BatchConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      // Behind a backlog every fetch returns this much per partition, and the decoded batch lives
      // across the handler's awaits, so it outlives the young generation: at 4 MiB the transformer
      // spent 9-11.6 µs per reading catching up instead of 6-7 (pipeline bench, 1000 devices). A
      // batch larger than this is still returned whole when its partition is the first with data.
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: true,
    });
    const { observer, groupId } = options;
    this.lagMonitor = new ConsumerLagMonitor(kafka, {
      groupId,
      intervalMs: options.lagRefreshMs ?? DEFAULT_LAG_REFRESH_MS,
      logger: options.logger,
      onLag: (lags) => {
        // a paused consumer does not mean to read what arrives meanwhile (it resumes at the end):
        // the records behind its committed offset are not work it owes
        for (const lag of lags)
          observer?.lagMeasured?.({ groupId, ...lag, lag: this.paused ? 0 : lag.lag });
      },
      onRevoked: (partitions) => observer?.partitionsRevoked?.({ groupId, partitions }),
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.lagMonitor.assigned(event.payload.memberAssignment);
      this.forgetUnassigned(event.payload.memberAssignment);
      if (this.startOffsets.size > 0)
        void this.pinUncommittedPartitions(event.payload.memberAssignment);
      // kafkajs restarts a crashed consumer with a new group member that has forgotten the pause
      if (this.paused && this.fetching) this.consumer.pause(this.topicList());
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    if (this.options.fromBeginning === false) await this.snapshotStartOffsets();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.fetching = true;
    if (this.paused) this.consumer.pause(this.topicList());
    this.lagMonitor.start();
  }

  /**
   * Stops fetching until `resumeAtEnd`; the member stays in its group and keeps its partitions.
   * For a consumer that only wants what arrives while someone listens (the gateway's live feed):
   * an idle one would otherwise decode every record of its topics for nobody. Callable before
   * `start`, so a consumer can start paused.
   */
  pause(): Promise<void> {
    return this.changeFeed(() => {
      this.paused = true;
      if (this.fetching) this.consumer.pause(this.topicList());
    });
  }

  /**
   * Fetches again, from each partition's end as of this call: what arrived while paused is
   * skipped. Resolves once the new positions are set, so a record produced after that is
   * delivered. If the end offsets cannot be read, fetching resumes where it paused (and a warning
   * is logged): slower to catch up, but nothing arriving from now on is missed.
   */
  resumeAtEnd(): Promise<void> {
    return this.changeFeed(async () => {
      if (!this.paused) return;
      this.paused = false;
      if (!this.fetching) return;
      const ends = await this.endOffsets(
        'could not read the end offsets; resuming where the consumer paused',
      );
      for (const { topic, partition, high } of ends)
        this.consumer.seek({ topic, partition, offset: high });
      this.consumer.resume(this.topicList());
    });
  }

  private changeFeed(change: () => void | Promise<void>): Promise<void> {
    this.feedChanges = this.feedChanges.catch(() => undefined).then(change);
    return this.feedChanges;
  }

  private topicList(): Array<{ topic: string }> {
    return this.options.topics.map((topic) => ({ topic }));
  }

  /** Measures this member's lag now (the timer does it every `lagRefreshMs`). */
  measureLag(): ReturnType<ConsumerLagMonitor['measure']> {
    return this.lagMonitor.measure();
  }

  /** Resolves once the member joined its group and got an assignment (useful for tests and readiness). */
  waitForAssignment(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        removeListener();
        reject(
          new Error(
            `consumer group ${this.options.groupId} got no assignment within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const removeListener = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        removeListener();
        resolve();
      });
    });
  }

  onCrash(listener: (error: unknown) => void): void {
    this.consumer.on(this.consumer.events.CRASH, (event) => listener(event.payload.error));
  }

  /** Stops fetching, lets the in-flight batch finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    await this.lagMonitor.stop();
    if (!this.running) {
      await this.consumer.disconnect();
      return;
    }
    this.running = false;
    this.fetching = false;
    await this.commits;
    // the in-flight batch, if any, commits its own offsets before kafkajs leaves the group
    await this.consumer.stop();
    await this.commits;
    await this.consumer.disconnect();
    // What this member handled in its lifetime: after a graceful stop the group's committed
    // offsets equal these positions (operators and the shutdown test compare them).
    this.options.logger?.info(
      {
        groupId: this.options.groupId,
        processedRecords: this.processedRecords,
        positions: this.positions,
      },
      'consumer stopped: in-flight batch finished and committed',
    );
  }

  private async snapshotStartOffsets(): Promise<void> {
    const ends = await this.endOffsets(
      'could not read the start offsets; partitions without a committed offset start at the latest',
    );
    for (const { topic, partition, high } of ends)
      this.startOffsets.set(`${topic}/${partition}`, high);
  }

  /**
   * Each partition's end offset in the subscribed topics, from a short-lived admin client; none
   * (and `failure` logged as a warning) when Kafka could not be asked.
   */
  private async endOffsets(
    failure: string,
  ): Promise<Array<{ topic: string; partition: number; high: string }>> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const ends: Array<{ topic: string; partition: number; high: string }> = [];
      for (const topic of this.options.topics) {
        for (const { partition, high } of await admin.fetchTopicOffsets(topic))
          ends.push({ topic, partition, high });
      }
      return ends;
    } catch (error) {
      this.options.logger?.warn({ err: error, groupId: this.options.groupId }, failure);
      return [];
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * kafkajs resolves "latest" for a partition without a committed offset each time a member starts
   * fetching it, so with fromBeginning: false, records that arrived after the group started but
   * before its first commit on that partition were skipped by the next member (e.g. after a
   * restart): lost. Committing the end offset seen at start pins "from now on" to this member's
   * start. An older offset than kafkajs's own is safe: it can only make records be read, never skipped.
   */
  private async pinUncommittedPartitions(assignment: Record<string, number[]>): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const topics = Object.keys(assignment).filter((topic) => assignment[topic].length > 0);
      const pins: Array<{ topic: string; partition: number; offset: string }> = [];
      for (const { topic, partitions } of await admin.fetchOffsets({
        groupId: this.options.groupId,
        topics,
      })) {
        const assigned = new Set(assignment[topic]);
        for (const { partition, offset } of partitions) {
          const start = this.startOffsets.get(`${topic}/${partition}`);
          if (assigned.has(partition) && offset === '-1' && start !== undefined)
            pins.push({ topic, partition, offset: start });
        }
      }
      if (pins.length > 0) await this.consumer.commitOffsets(pins);
    } catch (error) {
      this.options.logger?.warn(
        { err: error, groupId: this.options.groupId },
        'could not pin the start offsets of uncommitted partitions',
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.commitToGroup = payload.commitOffsetsIfNecessary;
    if (batch.messages.length === 0) return;
    const consumed: ConsumedBatch = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      messages: batch.messages.map((message) => ({
        offset: message.offset,
        key: message.key ? message.key.toString('utf8') : null,
        value: message.value ?? Buffer.alloc(0),
        headers: decodeHeaders(message.headers),
        timestamp: message.timestamp,
      })),
    };
    const started = process.hrtime.bigint();
    for (let attempt = 1; ; attempt++) {
      if (!isRunning() || isStale()) return;
      try {
        await this.options.handler(consumed);
        break;
      } catch (error) {
        this.options.logger?.error(
          {
            err: error,
            groupId: this.options.groupId,
            topic: batch.topic,
            partition: batch.partition,
            attempt,
          },
          'batch handler failed; retrying without committing',
        );
        this.options.observer?.handlerFailed?.({
          groupId: this.options.groupId,
          topic: batch.topic,
          partition: batch.partition,
          error,
          attempt,
        });
        await delay(Math.min(100 * 2 ** (attempt - 1), this.options.maxRetryDelayMs ?? 5_000));
        await heartbeat();
      }
    }
    resolveOffset(batch.lastOffset());
    this.processedRecords += consumed.messages.length;
    const position = `${batch.topic}/${batch.partition}`;
    const next = String(BigInt(batch.lastOffset()) + 1n);
    this.positions[position] = next;
    this.uncommitted.set(position, {
      topic: batch.topic,
      partition: batch.partition,
      offset: next,
    });
    const committed = this.commitInBackground();
    // stopping: kafkajs leaves the group right after this batch, so the commit cannot wait
    if (!this.running) await committed;
    await heartbeat();
    const lastOffset = BigInt(batch.lastOffset());
    this.options.observer?.batchProcessed?.({
      groupId: this.options.groupId,
      topic: batch.topic,
      partition: batch.partition,
      messages: consumed.messages.length,
      durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      lag: Math.max(0, Number(BigInt(batch.highWatermark) - lastOffset - 1n)),
    });
  }

  private commitInBackground(): Promise<void> {
    this.commits = this.commits.then(() => this.commitHandled());
    return this.commits;
  }

  private async commitHandled(): Promise<void> {
    const commit = this.commitToGroup;
    if (this.uncommitted.size === 0 || commit === undefined) return;
    const offsets = [...this.uncommitted.values()];
    this.uncommitted.clear();
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
    for (const { topic, partition, offset } of offsets) {
      const partitions = byTopic.get(topic) ?? [];
      partitions.push({ partition, offset });
      byTopic.set(topic, partitions);
    }
    try {
      await commit({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    } catch (error) {
      // Sent again with the next commit (a later batch's offset replaces its partition's), so a
      // graceful stop still leaves every handled offset committed; a crash first only replays.
      for (const entry of offsets) {
        const position = `${entry.topic}/${entry.partition}`;
        if (!this.uncommitted.has(position)) this.uncommitted.set(position, entry);
      }
      this.options.logger?.warn(
        { err: error, groupId: this.options.groupId, offsets },
        'offset commit failed; it is retried with the next one',
      );
    }
  }

  /** After a rebalance: offsets of partitions another member owns now must not be committed. */
  private forgetUnassigned(assignment: Record<string, number[]>): void {
    for (const [position, { topic, partition }] of this.uncommitted) {
      if (!assignment[topic]?.includes(partition)) this.uncommitted.delete(position);
    }
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
