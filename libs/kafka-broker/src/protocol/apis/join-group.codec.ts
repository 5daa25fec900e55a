import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface JoinGroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v0 has no rebalance timeout: Kafka uses the session timeout for both. */
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: JoinGroupProtocol[];
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

/** JoinGroup v0-2. */
export function decodeJoinGroupRequest(r: ByteReader, version: number): JoinGroupRequest {
  const groupId = r.string('group_id');
  const sessionTimeoutMs = r.int32('session_timeout_ms');
  const rebalanceTimeoutMs = version >= 1 ? r.int32('rebalance_timeout_ms') : sessionTimeoutMs;
  const memberId = r.string('member_id');
  const protocolType = r.string('protocol_type');
  const protocols = r.array('protocols', (r) => ({
    name: r.string('protocols[].name'),
    // Copied: the group keeps member metadata beyond the life of the request frame.
    metadata: Buffer.from(r.bytes('protocols[].metadata')),
  }));
  r.expectEnd();
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols };
}

export function encodeJoinGroupResponse(
  w: ByteWriter,
  version: number,
  res: JoinGroupResponse,
): void {
  if (version >= 2) w.int32(0); // throttle_time_ms
  w.int16(res.errorCode)
    .int32(res.generationId)
    .string(res.protocolName)
    .string(res.leader)
    .string(res.memberId);
  w.array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata));
}
