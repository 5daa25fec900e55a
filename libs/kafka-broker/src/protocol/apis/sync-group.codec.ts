import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResponse {
  errorCode: number;
  assignment: Buffer;
}

/** SyncGroup v0-1. */
export function decodeSyncGroupRequest(r: ByteReader): SyncGroupRequest {
  const groupId = r.string('group_id');
  const generationId = r.int32('generation_id');
  const memberId = r.string('member_id');
  const assignments = r.array('assignments', (r) => ({
    memberId: r.string('assignments[].member_id'),
    // Copied: assignments outlive the frame (re-sent to members that sync again later).
    assignment: Buffer.from(r.bytes('assignments[].assignment')),
  }));
  r.expectEnd();
  return { groupId, generationId, memberId, assignments };
}

export function encodeSyncGroupResponse(
  w: ByteWriter,
  version: number,
  res: SyncGroupResponse,
): void {
  if (version >= 1) w.int32(0); // throttle_time_ms
  w.int16(res.errorCode).bytes(res.assignment);
}
