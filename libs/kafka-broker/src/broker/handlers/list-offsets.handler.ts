import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  ListOffsetsPartitionResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
} from '../../protocol/apis/list-offsets.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { defineApi, errorCodeOf, firstError } from '../api-handler';
import { BrokerDeps } from '../broker-deps';

const LATEST = -1n;
const EARLIEST = -2n;

async function lookupOffset(
  topic: string,
  partition: number,
  timestamp: bigint,
  deps: BrokerDeps,
): Promise<ListOffsetsPartitionResponse> {
  const log = deps.logs.partition(topic, partition);
  if (!log) {
    return {
      partition,
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      timestamp: -1n,
      offset: -1n,
    };
  }
  if (timestamp === LATEST)
    return { partition, errorCode: 0, timestamp: -1n, offset: log.logEndOffset };
  if (timestamp === EARLIEST)
    return { partition, errorCode: 0, timestamp: -1n, offset: log.logStartOffset };
  try {
    const offset = await log.offsetForTimestamp(timestamp);
    // No batch at or after the timestamp: Kafka answers offset -1 (clients then use the end).
    // The matching record's own timestamp is not tracked, so it is reported as unknown (-1).
    return {
      partition,
      errorCode: 0,
      timestamp: -1n,
      offset: offset >= log.logEndOffset ? -1n : offset,
    };
  } catch (err) {
    const errorCode = errorCodeOf(
      err,
      deps,
      `offset for timestamp ${timestamp} in ${topic}-${partition}`,
    );
    return { partition, errorCode, timestamp: -1n, offset: -1n };
  }
}

/** ListOffsets v1: -1 = latest (log end), -2 = earliest (log start), else first offset at/after a timestamp. */
async function handleListOffsets(
  req: ListOffsetsRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<ListOffsetsResponse> {
  return {
    topics: await Promise.all(
      req.topics.map(async (t) => ({
        topic: t.topic,
        partitions: await Promise.all(
          t.partitions.map((p) => lookupOffset(t.topic, p.partition, p.timestamp, deps)),
        ),
      })),
    ),
  };
}

export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  decode: decodeListOffsetsRequest,
  handle: handleListOffsets,
  encode: (w, _version, res) => encodeListOffsetsResponse(w, res),
  errorCode: (res) => firstError(res.topics),
});
