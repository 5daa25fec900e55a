import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
} from '../../protocol/apis/offset-commit.codec';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
} from '../../protocol/apis/offset-fetch.codec';
import { ErrorCode } from '../../protocol/error-codes';
import type { OffsetCommitEntry } from '../../storage';
import { defineApi, errorCodeOf, firstError } from '../api-handler';
import { BrokerDeps } from '../broker-deps';

/** Kafka's offset.metadata.max.bytes default. */
const MAX_METADATA_CHARS = 4096;

/**
 * OffsetCommit v2. The group decides whether the committer may commit (generation, membership,
 * rebalance phase); each partition must exist; accepted entries are persisted in one write.
 * retention_time is ignored: committed offsets are kept until their topic is deleted.
 */
async function handleOffsetCommit(
  req: OffsetCommitRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<OffsetCommitResponse> {
  const groupError =
    req.groupId === ''
      ? ErrorCode.INVALID_GROUP_ID
      : deps.groups.validateOffsetCommit({
          groupId: req.groupId,
          generationId: req.generationId,
          memberId: req.memberId,
        });
  const accepted: OffsetCommitEntry[] = [];
  const topics = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      let errorCode: number = groupError;
      if (errorCode === ErrorCode.NONE) {
        if (!deps.logs.partition(t.topic, p.partition))
          errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (p.metadata !== null && p.metadata.length > MAX_METADATA_CHARS) {
          errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        } else {
          accepted.push({
            topic: t.topic,
            partition: p.partition,
            offset: p.offset,
            metadata: p.metadata,
          });
        }
      }
      return { partition: p.partition, errorCode };
    }),
  }));
  if (accepted.length > 0) {
    try {
      await deps.offsets.commit(req.groupId, accepted);
    } catch (err) {
      const errorCode = errorCodeOf(err, deps, `commit offsets of group ${req.groupId}`);
      for (const t of topics)
        for (const p of t.partitions) if (p.errorCode === 0) p.errorCode = errorCode;
    }
  }
  return { topics };
}

/** OffsetFetch v1: a partition without a committed offset gets -1 and no error. */
async function handleOffsetFetch(
  req: OffsetFetchRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<OffsetFetchResponse> {
  return {
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((partition) => {
        if (req.groupId === '') {
          return { partition, offset: -1n, metadata: '', errorCode: ErrorCode.INVALID_GROUP_ID };
        }
        const committed = deps.offsets.fetch(req.groupId, t.topic, partition);
        return {
          partition,
          offset: committed?.offset ?? -1n,
          metadata: committed?.metadata ?? '',
          errorCode: ErrorCode.NONE,
        };
      }),
    })),
  };
}

export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  decode: decodeOffsetCommitRequest,
  handle: handleOffsetCommit,
  encode: (w, _version, res) => encodeOffsetCommitResponse(w, res),
  errorCode: (res) => firstError(res.topics),
});

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  decode: decodeOffsetFetchRequest,
  handle: handleOffsetFetch,
  encode: (w, _version, res) => encodeOffsetFetchResponse(w, res),
  errorCode: (res) => firstError(res.topics),
});
