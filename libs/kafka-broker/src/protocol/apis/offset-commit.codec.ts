import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  retentionTimeMs: bigint;
  topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; offset: bigint; metadata: string | null }>;
  }>;
}

export interface OffsetCommitResponse {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}

/** OffsetCommit v2. */
export function decodeOffsetCommitRequest(r: ByteReader): OffsetCommitRequest {
  const groupId = r.string('group_id');
  const generationId = r.int32('generation_id');
  const memberId = r.string('member_id');
  const retentionTimeMs = r.int64('retention_time_ms');
  const topics = r.array('topics', (r) => ({
    topic: r.string('topics[].name'),
    partitions: r.array('partitions', (r) => ({
      partition: r.int32('partitions[].partition_index'),
      offset: r.int64('partitions[].committed_offset'),
      metadata: r.nullableString('partitions[].committed_metadata'),
    })),
  }));
  r.expectEnd();
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function encodeOffsetCommitResponse(w: ByteWriter, res: OffsetCommitResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int16(p.errorCode));
  });
}
