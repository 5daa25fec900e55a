import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export interface OffsetFetchResponse {
  topics: Array<{
    topic: string;
    partitions: Array<{
      partition: number;
      offset: bigint;
      metadata: string | null;
      errorCode: number;
    }>;
  }>;
}

/** OffsetFetch v1 (a null topic list, "all topics", only exists from v2). */
export function decodeOffsetFetchRequest(r: ByteReader): OffsetFetchRequest {
  const groupId = r.string('group_id');
  const topics = r.array('topics', (r) => ({
    topic: r.string('topics[].name'),
    partitions: r.array('partition_indexes', (r) => r.int32('partition_indexes[]')),
  }));
  r.expectEnd();
  return { groupId, topics };
}

export function encodeOffsetFetchResponse(w: ByteWriter, res: OffsetFetchResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.offset).nullableString(p.metadata).int16(p.errorCode);
    });
  });
}
