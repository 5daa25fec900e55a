import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import { KafkaOperationError, KafkaTimeoutError } from './errors';
import { producerMetrics } from './kafka-metrics';

export interface OutgoingRecord {
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface KafkaProducerOptions {
  /** A send that Kafka has not acknowledged within this time fails, so callers can answer 503. */
  sendTimeoutMs?: number;
  compression?: 'none' | 'gzip';
}

/**
 * A producer that only reports success once every in-sync replica has the data (acks=all), so a
 * 2xx from the gateway means "in Kafka".
 */
export class KafkaProducer {
  private readonly producer: Producer;
  private readonly sendTimeoutMs: number;
  private readonly compression: CompressionTypes;
  private connected = false;
  private readonly metrics = producerMetrics();

  constructor(kafka: Kafka, options: KafkaProducerOptions = {}) {
    // The Java-compatible partitioner keeps key → partition identical to other Kafka clients.
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
    this.compression =
      options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    await this.sendBatch([{ topic, records }]);
  }

  async sendBatch(batches: Array<{ topic: string; records: OutgoingRecord[] }>): Promise<void> {
    const nonEmpty = batches.filter((batch) => batch.records.length > 0);
    if (nonEmpty.length === 0) return;
    const topicLabel = nonEmpty.map((batch) => batch.topic).join(',');
    const send = this.producer.sendBatch({
      acks: -1,
      compression: this.compression,
      topicMessages: nonEmpty.map((batch) => ({ topic: batch.topic, messages: batch.records })),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KafkaTimeoutError('produce', topicLabel, this.sendTimeoutMs)),
        this.sendTimeoutMs,
      );
    });
    const started = process.hrtime.bigint();
    try {
      await Promise.race([send, timeout]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const batch of nonEmpty) {
        this.metrics.duration.observe({ topic: batch.topic }, seconds);
        this.metrics.records.inc({ topic: batch.topic }, batch.records.length);
      }
    } catch (error) {
      for (const batch of nonEmpty) this.metrics.failures.inc({ topic: batch.topic });
      // The abandoned send may still complete later; callers retry with the same content, and every
      // consumer is idempotent, so a late duplicate is harmless while a lost record is not.
      send.catch(() => undefined);
      if (error instanceof KafkaOperationError) throw error;
      throw new KafkaOperationError('produce', topicLabel, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
