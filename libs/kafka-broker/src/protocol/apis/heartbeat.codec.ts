import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

/** Heartbeat v0-1. */
export function decodeHeartbeatRequest(r: ByteReader): HeartbeatRequest {
  const groupId = r.string('group_id');
  const generationId = r.int32('generation_id');
  const memberId = r.string('member_id');
  r.expectEnd();
  return { groupId, generationId, memberId };
}

/** Heartbeat and LeaveGroup responses share this shape: [throttle_time_ms (v1+)] error_code. */
export function encodeErrorOnlyResponse(w: ByteWriter, version: number, errorCode: number): void {
  if (version >= 1) w.int32(0); // throttle_time_ms
  w.int16(errorCode);
}
