import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export type ListGroupsRequest = Record<string, never>;

export interface ListGroupsResponse {
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string }>;
}

/** ListGroups v0-2 have an empty body (the states filter arrives with flexible v4). */
export function decodeListGroupsRequest(r: ByteReader): ListGroupsRequest {
  r.expectEnd();
  return {};
}

export function encodeListGroupsResponse(
  w: ByteWriter,
  version: number,
  res: ListGroupsResponse,
): void {
  if (version >= 1) w.int32(0); // throttle_time_ms
  w.int16(res.errorCode);
  w.array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType));
}
