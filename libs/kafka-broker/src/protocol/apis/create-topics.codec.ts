import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface CreateTopicRequest {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partition: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface CreateTopicsRequest {
  topics: CreateTopicRequest[];
  timeoutMs: number;
}

export interface CreateTopicsResponse {
  topics: Array<{ name: string; errorCode: number }>;
}

/** CreateTopics v0 (no validate_only before v1). */
export function decodeCreateTopicsRequest(r: ByteReader): CreateTopicsRequest {
  const topics = r.array('topics', (r) => ({
    name: r.string('topics[].name'),
    numPartitions: r.int32('topics[].num_partitions'),
    replicationFactor: r.int16('topics[].replication_factor'),
    assignments: r.array('assignments', (r) => ({
      partition: r.int32('assignments[].partition_index'),
      brokerIds: r.array('assignments[].broker_ids', (r) => r.int32('broker_ids[]')),
    })),
    configs: r.array('configs', (r) => ({
      name: r.string('configs[].name'),
      value: r.nullableString('configs[].value'),
    })),
  }));
  const timeoutMs = r.int32('timeout_ms');
  r.expectEnd();
  return { topics, timeoutMs };
}

export function encodeCreateTopicsResponse(w: ByteWriter, res: CreateTopicsResponse): void {
  w.array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode));
}
