import type { Kafka } from 'kafkajs';
import { KafkaOperationError } from './errors';

export interface TopicSpec {
  topic: string;
  partitions?: number;
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are: changing the
 * partition count of a live topic would move keys between partitions and break per-device order).
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: TopicSpec[],
  defaultPartitions = 6,
): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions ?? defaultPartitions,
        })),
      });
    }
    return missing.map((spec) => spec.topic);
  } catch (error) {
    throw new KafkaOperationError(
      'ensureTopics',
      topics.map((spec) => spec.topic).join(','),
      error,
    );
  } finally {
    await admin.disconnect();
  }
}

/** A cheap round trip to the cluster, used by readiness checks. */
export async function pingKafka(kafka: Kafka, timeoutMs = 2_000): Promise<void> {
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new KafkaOperationError('describeCluster', undefined, error);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
