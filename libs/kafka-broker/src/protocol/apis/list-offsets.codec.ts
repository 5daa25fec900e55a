import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface ListOffsetsRequest {
  replicaId: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; timestamp: bigint }> }>;
}

export interface ListOffsetsPartitionResponse {
  partition: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
}

export interface ListOffsetsResponse {
  topics: Array<{ topic: string; partitions: ListOffsetsPartitionResponse[] }>;
}

/** ListOffsets v1. */
export function decodeListOffsetsRequest(r: ByteReader): ListOffsetsRequest {
  const replicaId = r.int32('replica_id');
  const topics = r.array('topics', (r) => ({
    topic: r.string('topics[].name'),
    partitions: r.array('partitions', (r) => ({
      partition: r.int32('partitions[].partition_index'),
      timestamp: r.int64('partitions[].timestamp'),
    })),
  }));
  r.expectEnd();
  return { replicaId, topics };
}

export function encodeListOffsetsResponse(w: ByteWriter, res: ListOffsetsResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
    });
  });
}
