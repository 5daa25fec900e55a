import { ByteReader } from '../byte-reader';

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

/** LeaveGroup v0-1 (the response is encodeErrorOnlyResponse). */
export function decodeLeaveGroupRequest(r: ByteReader): LeaveGroupRequest {
  const groupId = r.string('group_id');
  const memberId = r.string('member_id');
  r.expectEnd();
  return { groupId, memberId };
}
