import {
  decodeProduceRequest,
  encodeProduceResponse,
  ProducePartitionResponse,
  ProduceRequest,
  ProduceResponse,
} from '../../protocol/apis/produce.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { BatchField, LOG_APPEND_TIME_FLAG } from '../../storage';
import { defineApi, errorCodeOf, firstError } from '../api-handler';
import { BrokerDeps } from '../broker-deps';
import { countRecords } from '../record-batches';

const VALID_ACKS = new Set([0, 1, -1]);

async function appendPartition(
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: number,
  deps: BrokerDeps,
): Promise<ProducePartitionResponse> {
  const failed = (errorCode: number): ProducePartitionResponse => ({
    partition,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
  });
  if (!VALID_ACKS.has(acks)) return failed(ErrorCode.INVALID_REQUIRED_ACKS);
  const log = deps.logs.partition(topic, partition);
  if (!log) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // Produce v3 must carry at least one record batch (Kafka: InvalidRecordException).
  if (records === null || records.length === 0) return failed(ErrorCode.CORRUPT_MESSAGE);
  try {
    const appended = await log.append(records);
    deps.metrics.produced(topic, records.length, countRecords(records));
    // Kafka reports the append time only when the batch uses LogAppendTime; -1 means CreateTime.
    const logAppendTime = records.readInt16BE(BatchField.ATTRIBUTES) & LOG_APPEND_TIME_FLAG;
    return {
      partition,
      errorCode: ErrorCode.NONE,
      baseOffset: appended.baseOffset,
      logAppendTimeMs: logAppendTime ? appended.logAppendTimeMs : -1n,
    };
  } catch (err) {
    const errorCode = errorCodeOf(err, deps, `append to ${topic}-${partition}`);
    if (errorCode === ErrorCode.CORRUPT_MESSAGE) {
      deps.logger.warn({ err, topic, partition }, 'rejected produce data');
    }
    return failed(errorCode);
  }
}

/**
 * Appends every partition's batches concurrently (each PartitionLog serialises its own appends,
 * so batches of one partition keep request order). Durability follows the storage fsync policy.
 */
async function handleProduce(
  req: ProduceRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<ProduceResponse | null> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map((p) => appendPartition(t.topic, p.partition, p.records, req.acks, deps)),
      ),
    })),
  );
  return req.acks === 0 ? null : { topics };
}

export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  decode: decodeProduceRequest,
  handle: handleProduce,
  encode: (w, _version, res) => encodeProduceResponse(w, res),
  errorCode: (res) => firstError(res.topics),
});
