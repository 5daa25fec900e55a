import {
  CreateTopicRequest,
  CreateTopicsRequest,
  CreateTopicsResponse,
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
} from '../../protocol/apis/create-topics.codec';
import {
  decodeDeleteTopicsRequest,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  encodeDeleteTopicsResponse,
} from '../../protocol/apis/delete-topics.codec';
import { ErrorCode } from '../../protocol/error-codes';
import type { TopicConfig } from '../../storage';
import { defineApi, errorCodeOf } from '../api-handler';
import { BrokerDeps } from '../broker-deps';

/** Topic configs this broker implements, by Kafka name. Anything else is INVALID_CONFIG. */
const NUMERIC_CONFIGS: Record<string, keyof TopicConfig> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
};

type Resolved =
  { errorCode: number } | { partitions: number | undefined; config: Partial<TopicConfig> };

/** Checks what storage cannot: replication, manual assignments, config names. */
function resolveCreate(topic: CreateTopicRequest, nodeId: number): Resolved {
  if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
    return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR };
  }
  let partitions: number | undefined = topic.numPartitions === -1 ? undefined : topic.numPartitions;
  if (topic.assignments.length > 0) {
    // Kafka: either a partition count or a manual assignment, not both.
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1)
      return { errorCode: ErrorCode.INVALID_REQUEST };
    const indexes = new Set(topic.assignments.map((a) => a.partition));
    const valid =
      topic.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === nodeId) &&
      indexes.size === topic.assignments.length &&
      [...indexes].every((i) => i >= 0 && i < indexes.size);
    if (!valid) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT };
    partitions = indexes.size;
  }
  const config: Partial<TopicConfig> = {};
  for (const { name, value } of topic.configs) {
    if (name === 'cleanup.policy' && value === 'delete') continue; // the only policy there is
    const field = NUMERIC_CONFIGS[name];
    const parsed = value === null ? NaN : Number(value);
    if (field === undefined || !Number.isInteger(parsed))
      return { errorCode: ErrorCode.INVALID_CONFIG };
    config[field] = parsed;
  }
  return { partitions, config };
}

/** CreateTopics v0: honours the partition count (-1 = the broker default) and per-topic configs. */
async function handleCreateTopics(
  req: CreateTopicsRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<CreateTopicsResponse> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const topics: CreateTopicsResponse['topics'] = [];
  for (const t of req.topics) {
    if ((counts.get(t.name) ?? 0) > 1) {
      topics.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST });
      continue;
    }
    const resolved = resolveCreate(t, deps.identity.nodeId);
    if ('errorCode' in resolved) {
      topics.push({ name: t.name, errorCode: resolved.errorCode });
      continue;
    }
    try {
      await deps.logs.createTopic(t.name, resolved.partitions, resolved.config);
      deps.logger.info(
        { topic: t.name, partitions: resolved.partitions ?? 'default' },
        'created topic',
      );
      topics.push({ name: t.name, errorCode: ErrorCode.NONE });
    } catch (err) {
      topics.push({ name: t.name, errorCode: errorCodeOf(err, deps, `create topic ${t.name}`) });
    }
  }
  return { topics };
}

/** DeleteTopics v0: removes the log and the groups' committed offsets for it. */
async function handleDeleteTopics(
  req: DeleteTopicsRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<DeleteTopicsResponse> {
  const topics: DeleteTopicsResponse['topics'] = [];
  for (const name of req.topicNames) {
    try {
      await deps.logs.deleteTopic(name);
      await deps.offsets.deleteTopic(name);
      deps.logger.info({ topic: name }, 'deleted topic');
      topics.push({ name, errorCode: ErrorCode.NONE });
    } catch (err) {
      topics.push({ name, errorCode: errorCodeOf(err, deps, `delete topic ${name}`) });
    }
  }
  return { topics };
}

export const createTopicsApi = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  decode: decodeCreateTopicsRequest,
  handle: handleCreateTopics,
  encode: (w, _version, res) => encodeCreateTopicsResponse(w, res),
  errorCode: (res) => res.topics.find((t) => t.errorCode !== 0)?.errorCode ?? 0,
});

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  decode: decodeDeleteTopicsRequest,
  handle: handleDeleteTopics,
  encode: (w, _version, res) => encodeDeleteTopicsResponse(w, res),
  errorCode: (res) => res.topics.find((t) => t.errorCode !== 0)?.errorCode ?? 0,
});
