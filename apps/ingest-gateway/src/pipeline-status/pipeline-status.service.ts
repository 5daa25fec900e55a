import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { ALL_TOPICS, Topics } from '@sluice/contracts';
import { KAFKA_CLIENT, type Kafka } from '@sluice/kafka';
import { metricsRegistry } from '@sluice/metrics';
import type { Admin } from 'kafkajs';
import {
  partitionLags,
  ratesBetween,
  type CounterSample,
  type PartitionLagView,
} from './pipeline-status.calc';

export interface TopicStatus {
  topic: string;
  partitions: number;
  /** Records ever written (sum of high watermarks). */
  records: number;
  /** Records per second since the previous status request (null on the first). */
  recordsPerSecond: number | null;
}

export interface ConsumerGroupStatus {
  groupId: string;
  /** The service that consumes with this group (null for a group found only by listing). */
  service: string | null;
  state: string;
  members: number;
  totalLag: number;
  topics: Array<{ topic: string; lag: number; partitions: PartitionLagView[] }>;
}

export interface PipelineStatus {
  generatedAt: number;
  /** Seconds between the two samples the rates come from (null on the first request). */
  rateWindowSeconds: number | null;
  ingest: {
    /** Readings this gateway instance accepted per second. */
    gatewayReadingsPerSecond: number | null;
    gatewayReadingsAccepted: number;
    /** Batches per second entering telemetry.raw.v1 (all gateways). */
    rawRecordsPerSecond: number | null;
  };
  topics: TopicStatus[];
  consumerGroups: ConsumerGroupStatus[];
  dlq: { topic: string; records: number; recordsPerSecond: number | null };
  /** Raw Prometheus metrics of the services this gateway can name. */
  metricsLinks: Array<{ service: string; url: string }>;
}

/**
 * The pipeline's consumer groups by service (the services' default *_GROUP_ID values). Listed
 * because not every broker answers ListGroups (the embedded one does not); on Kafka that does,
 * other groups with commits on pipeline topics are reported too.
 */
export const PIPELINE_CONSUMER_GROUPS = Symbol('PIPELINE_CONSUMER_GROUPS');
export const DEFAULT_PIPELINE_CONSUMER_GROUPS: ReadonlyArray<{ service: string; groupId: string }> =
  [
    { service: 'stream-transformer', groupId: 'stream-transformer' },
    { service: 'aggregator', groupId: 'aggregator-raw-sink' },
    { service: 'aggregator', groupId: 'aggregator-speed-layer' },
    { service: 'aggregator', groupId: 'aggregator-silence' },
    { service: 'actuator-controller', groupId: 'actuator-controller' },
    { service: 'actuator-controller', groupId: 'actuator-controller-events' },
    { service: 'notifier', groupId: 'notifier' },
    { service: 'simulator', groupId: 'simulator-agent' },
  ];

const ACCEPTED_COUNTER = 'sluice_gateway_readings_accepted_total';
const GATEWAY_COUNTER_KEY = '(gateway readings accepted)';

/**
 * What the pipeline is doing, from Kafka itself (high watermarks, committed group offsets) and this
 * gateway's own counters: ingest rate, lag per consumer group (= per service), DLQ size. Rates are
 * the difference to the previous request, so a dashboard polling every few seconds sees current
 * figures without a background sampler.
 */
@Injectable()
export class PipelineStatusService implements OnModuleDestroy {
  private admin: Admin | undefined;
  private previous: CounterSample | undefined;

  private readonly knownGroups: ReadonlyArray<{ service: string; groupId: string }>;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Optional()
    @Inject(PIPELINE_CONSUMER_GROUPS)
    knownGroups?: ReadonlyArray<{ service: string; groupId: string }>,
  ) {
    this.knownGroups = knownGroups ?? DEFAULT_PIPELINE_CONSUMER_GROUPS;
  }

  async status(): Promise<PipelineStatus> {
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const topics = ALL_TOPICS.filter((topic) => existing.has(topic));
    const highs = new Map(
      await Promise.all(
        topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const),
      ),
    );
    const sample: CounterSample = { at: Date.now(), values: new Map() };
    for (const [topic, offsets] of highs) {
      sample.values.set(
        topic,
        offsets.reduce((sum, offset) => sum + Number(offset.high), 0),
      );
    }
    const accepted = await gatewayReadingsAccepted();
    sample.values.set(GATEWAY_COUNTER_KEY, accepted);
    const rates = ratesBetween(this.previous, sample);
    const rateWindowSeconds =
      this.previous === undefined ? null : (sample.at - this.previous.at) / 1000;
    this.previous = sample;

    const consumerGroups = await this.consumerGroups(admin, highs);
    return {
      generatedAt: sample.at,
      rateWindowSeconds,
      ingest: {
        gatewayReadingsPerSecond: rates.get(GATEWAY_COUNTER_KEY) ?? null,
        gatewayReadingsAccepted: accepted,
        rawRecordsPerSecond: rates.get(Topics.telemetryRaw) ?? null,
      },
      topics: topics.map((topic) => ({
        topic,
        partitions: highs.get(topic)?.length ?? 0,
        records: sample.values.get(topic) ?? 0,
        recordsPerSecond: rates.get(topic) ?? null,
      })),
      consumerGroups,
      dlq: {
        topic: Topics.telemetryDlq,
        records: sample.values.get(Topics.telemetryDlq) ?? 0,
        recordsPerSecond: rates.get(Topics.telemetryDlq) ?? null,
      },
      metricsLinks: [{ service: 'ingest-gateway', url: '/metrics' }],
    };
  }

  private async consumerGroups(
    admin: Admin,
    highs: Map<string, Array<{ partition: number; high: string; low: string }>>,
  ): Promise<ConsumerGroupStatus[]> {
    const serviceOf = new Map(this.knownGroups.map((group) => [group.groupId, group.service]));
    const ids = new Set(serviceOf.keys());
    for (const groupId of await listGroupsIfSupported(admin)) ids.add(groupId);
    const described = await describeGroupsIfSupported(admin, [...ids]);
    const result: ConsumerGroupStatus[] = [];
    for (const groupId of [...ids].sort()) {
      const offsets = await admin.fetchOffsets({ groupId, topics: [...highs.keys()] });
      const topics = offsets
        // A topic the group never committed on is not one it consumes.
        .filter((entry) => entry.partitions.some((partition) => Number(partition.offset) >= 0))
        .map((entry) => {
          const partitions = partitionLags(highs.get(entry.topic) ?? [], entry.partitions);
          return {
            topic: entry.topic,
            lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
            partitions,
          };
        });
      if (topics.length === 0) continue;
      const group = described.get(groupId);
      result.push({
        groupId,
        service: serviceOf.get(groupId) ?? null,
        state: group?.state ?? 'unknown',
        members: group?.members.length ?? 0,
        totalLag: topics.reduce((sum, topic) => sum + topic.lag, 0),
        topics,
      });
    }
    return result;
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async onModuleDestroy(): Promise<void> {
    await this.admin?.disconnect();
    this.admin = undefined;
  }
}

// ListGroups/DescribeGroups are optional extras: brokers without them (the embedded one) still
// give offsets for the known groups.
async function listGroupsIfSupported(admin: Admin): Promise<string[]> {
  try {
    return (await admin.listGroups()).groups.map((group) => group.groupId);
  } catch (error) {
    if (isUnsupported(error)) return [];
    throw error;
  }
}

async function describeGroupsIfSupported(
  admin: Admin,
  ids: string[],
): Promise<Map<string, { state: string; members: unknown[] }>> {
  try {
    return new Map((await admin.describeGroups(ids)).groups.map((group) => [group.groupId, group]));
  } catch (error) {
    if (isUnsupported(error)) return new Map();
    throw error;
  }
}

function isUnsupported(error: unknown): boolean {
  // kafkajs's admin retrier wraps the broker's answer (KafkaJSNonRetriableError with a cause).
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.name === 'KafkaJSServerDoesNotSupportApiKey') return true;
  }
  return false;
}

async function gatewayReadingsAccepted(): Promise<number> {
  const metric = metricsRegistry.getSingleMetric(ACCEPTED_COUNTER);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, sample) => sum + sample.value, 0);
}
