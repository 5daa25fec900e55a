import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface ProducePartitionData {
  partition: number;
  /** View into the request frame: the record batches exactly as the client sent them. */
  records: Buffer | null;
}

export interface ProduceTopicData {
  topic: string;
  partitions: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  partition: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
}

export interface ProduceResponse {
  topics: Array<{ topic: string; partitions: ProducePartitionResponse[] }>;
}

/** Produce v3. */
export function decodeProduceRequest(r: ByteReader): ProduceRequest {
  const transactionalId = r.nullableString('transactional_id');
  const acks = r.int16('acks');
  const timeoutMs = r.int32('timeout_ms');
  const topics = r.array('topic_data', (r) => ({
    topic: r.string('topic_data[].name'),
    partitions: r.array('partition_data', (r) => ({
      partition: r.int32('partition_data[].index'),
      records: r.nullableBytes('partition_data[].records'),
    })),
  }));
  r.expectEnd();
  return { transactionalId, acks, timeoutMs, topics };
}

export function encodeProduceResponse(w: ByteWriter, res: ProduceResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTimeMs);
    });
  });
  w.int32(0); // throttle_time_ms
}
