import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  MetadataRequest,
  MetadataResponse,
  MetadataTopic,
} from '../../protocol/apis/metadata.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { TopicExistsError } from '../../storage';
import { validateTopicName } from '../../storage/topic-config.validation';
import { defineApi, errorCodeOf, RequestContext } from '../api-handler';
import { BrokerDeps } from '../broker-deps';
import { advertisedHost } from './advertised-host';

async function handleMetadata(
  req: MetadataRequest,
  ctx: RequestContext,
  deps: BrokerDeps,
): Promise<MetadataResponse> {
  const { nodeId, port, clusterId } = deps.identity;
  const names =
    req.topics === null ? deps.logs.listTopics().map((t) => t.name) : [...new Set(req.topics)];
  const errors = new Map<string, number>();
  for (const name of names) errors.set(name, await ensureTopic(name, req, deps));
  const partitionCounts = new Map(deps.logs.listTopics().map((t) => [t.name, t.partitions]));
  const topics = names.map((name): MetadataTopic => {
    const errorCode = errors.get(name) ?? ErrorCode.NONE;
    const count = errorCode === ErrorCode.NONE ? (partitionCounts.get(name) ?? 0) : 0;
    return {
      errorCode,
      name,
      isInternal: false,
      partitions: Array.from({ length: count }, (_, partitionIndex) => ({
        errorCode: ErrorCode.NONE,
        partitionIndex,
        leaderId: nodeId,
        replicaNodes: [nodeId],
        isrNodes: [nodeId],
      })),
    };
  });
  return {
    brokers: [{ nodeId, host: advertisedHost(ctx, deps), port }],
    clusterId,
    controllerId: nodeId,
    topics,
  };
}

/** Auto-creates a missing topic when both the broker and (v4+) the request allow it. */
async function ensureTopic(name: string, req: MetadataRequest, deps: BrokerDeps): Promise<number> {
  if (deps.logs.hasTopic(name)) return ErrorCode.NONE;
  try {
    validateTopicName(name);
  } catch {
    return ErrorCode.INVALID_TOPIC_EXCEPTION;
  }
  if (!deps.autoCreateTopics || !req.allowAutoTopicCreation)
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  try {
    await deps.logs.createTopic(name);
    deps.logger.info({ topic: name }, 'auto-created topic');
  } catch (err) {
    // A concurrent Metadata request created it first: fine.
    if (!(err instanceof TopicExistsError))
      return errorCodeOf(err, deps, `auto-create topic ${name}`);
  }
  return ErrorCode.NONE;
}

export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  decode: decodeMetadataRequest,
  handle: handleMetadata,
  encode: encodeMetadataResponse,
  errorCode: (res) => res.topics.find((t) => t.errorCode !== 0)?.errorCode ?? 0,
});
