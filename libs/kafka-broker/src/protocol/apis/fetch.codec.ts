import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>;
}

export interface FetchPartitionResponse {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  /** Whole record batches, passed through to the socket without copying. */
  records: Buffer | null;
}

export interface FetchResponse {
  topics: Array<{ topic: string; partitions: FetchPartitionResponse[] }>;
}

/** Fetch v4. */
export function decodeFetchRequest(r: ByteReader): FetchRequest {
  const replicaId = r.int32('replica_id');
  const maxWaitMs = r.int32('max_wait_ms');
  const minBytes = r.int32('min_bytes');
  const maxBytes = r.int32('max_bytes');
  const isolationLevel = r.int8('isolation_level');
  const topics = r.array('topics', (r) => ({
    topic: r.string('topics[].topic'),
    partitions: r.array('partitions', (r) => ({
      partition: r.int32('partitions[].partition'),
      fetchOffset: r.int64('partitions[].fetch_offset'),
      partitionMaxBytes: r.int32('partitions[].partition_max_bytes'),
    })),
  }));
  r.expectEnd();
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, topics };
}

export function encodeFetchResponse(w: ByteWriter, res: FetchResponse): void {
  w.int32(0); // throttle_time_ms
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset);
      // aborted_transactions: no transactions are ever written, so always empty.
      w.array([], () => undefined);
      w.nullableBytes(p.records);
    });
  });
}
