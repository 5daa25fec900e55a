import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
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
}

/**
 * At-least-once batch consumption: the handler receives a whole fetched batch, and its offsets are
 * committed only after the handler resolved, i.e. after its effects are durable. A failing handler
 * is retried (with backoff, heartbeating so the member keeps its partitions) instead of skipping
 * data, so handlers must be idempotent; bad *data* is the handler's to route to a DLQ, a throw means
 * a dependency failed.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: true,
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    this.running = true;
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
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
    if (!this.running) {
      await this.consumer.disconnect();
      return;
    }
    this.running = false;
    await this.consumer.stop();
    await this.consumer.disconnect();
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
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
