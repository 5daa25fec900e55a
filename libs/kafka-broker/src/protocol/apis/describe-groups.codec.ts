import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface DescribeGroupsRequest {
  groupIds: string[];
}

export interface DescribedMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable or Dead. */
  state: string;
  protocolType: string;
  /** The selected protocol (the assignor, for consumer groups). */
  protocol: string;
  members: DescribedMember[];
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

/** DescribeGroups v0-2 (v3 adds include_authorized_operations). */
export function decodeDescribeGroupsRequest(r: ByteReader): DescribeGroupsRequest {
  const groupIds = r.array('groups', (r) => r.string('groups[]'));
  r.expectEnd();
  return { groupIds };
}

export function encodeDescribeGroupsResponse(
  w: ByteWriter,
  version: number,
  res: DescribeGroupsResponse,
): void {
  if (version >= 1) w.int32(0); // throttle_time_ms
  w.array(res.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.state).string(g.protocolType);
    w.string(g.protocol);
    w.array(g.members, (w, m) =>
      w
        .string(m.memberId)
        .string(m.clientId)
        .string(m.clientHost)
        .bytes(m.metadata)
        .bytes(m.assignment),
    );
  });
}
