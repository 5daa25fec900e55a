import {
  decodeDescribeGroupsRequest,
  DescribedGroup,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  encodeDescribeGroupsResponse,
} from '../../protocol/apis/describe-groups.codec';
import {
  decodeListGroupsRequest,
  encodeListGroupsResponse,
  ListGroupsRequest,
  ListGroupsResponse,
} from '../../protocol/apis/list-groups.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { defineApi } from '../api-handler';
import { BrokerDeps } from '../broker-deps';

/**
 * The protocol type of a group that has no current generation (no members, or known only by its
 * committed offsets). Kafka keeps the last generation's type in the persisted group metadata;
 * this broker persists offsets only, and the groups that commit to it are consumer groups.
 */
const CONSUMER_PROTOCOL_TYPE = 'consumer';
const NO_BYTES = Buffer.alloc(0);

/**
 * Every group the coordinator knows: those with a state in memory plus those known only by
 * committed offsets (Empty, e.g. after a restart).
 */
function handleListGroups(_req: ListGroupsRequest, deps: BrokerDeps): ListGroupsResponse {
  const protocolTypes = new Map<string, string>();
  for (const g of deps.groups.list()) {
    protocolTypes.set(g.groupId, g.protocolType ?? CONSUMER_PROTOCOL_TYPE);
  }
  for (const groupId of deps.offsets.groupIds()) {
    if (!protocolTypes.has(groupId)) protocolTypes.set(groupId, CONSUMER_PROTOCOL_TYPE);
  }
  return {
    errorCode: ErrorCode.NONE,
    groups: [...protocolTypes].map(([groupId, protocolType]) => ({ groupId, protocolType })),
  };
}

/**
 * Kafka's GroupMetadata.summary: the protocol and each member's metadata and assignment only for
 * a Stable group (in other states they belong to a generation being replaced); an unknown group
 * is "Dead" with no error.
 */
function describeGroup(groupId: string, deps: BrokerDeps): DescribedGroup {
  const group = deps.groups.describe(groupId);
  const described: DescribedGroup = {
    errorCode: ErrorCode.NONE,
    groupId,
    state: 'Dead',
    protocolType: '',
    protocol: '',
    members: [],
  };
  if (!group) {
    if (deps.offsets.hasGroup(groupId)) {
      return { ...described, state: 'Empty', protocolType: CONSUMER_PROTOCOL_TYPE };
    }
    return described;
  }
  const stable = group.state === 'Stable';
  return {
    ...described,
    state: group.state,
    protocolType: group.protocolType ?? CONSUMER_PROTOCOL_TYPE,
    protocol: stable ? (group.protocolName ?? '') : '',
    members: group.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadata : NO_BYTES,
      assignment: stable ? m.assignment : NO_BYTES,
    })),
  };
}

export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  decode: decodeListGroupsRequest,
  handle: async (req, _ctx, deps) => handleListGroups(req, deps),
  encode: encodeListGroupsResponse,
  errorCode: (res) => res.errorCode,
});

export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  decode: decodeDescribeGroupsRequest,
  handle: async (req, _ctx, deps) => ({
    groups: req.groupIds.map((groupId) => describeGroup(groupId, deps)),
  }),
  encode: encodeDescribeGroupsResponse,
  errorCode: (res) => res.groups.find((g) => g.errorCode !== ErrorCode.NONE)?.errorCode ?? 0,
});
