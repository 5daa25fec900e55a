import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../../protocol/apis/find-coordinator.codec';
import {
  decodeHeartbeatRequest,
  encodeErrorOnlyResponse,
  HeartbeatRequest,
} from '../../protocol/apis/heartbeat.codec';
import {
  decodeJoinGroupRequest,
  encodeJoinGroupResponse,
  JoinGroupRequest,
  JoinGroupResponse,
} from '../../protocol/apis/join-group.codec';
import { decodeLeaveGroupRequest, LeaveGroupRequest } from '../../protocol/apis/leave-group.codec';
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../../protocol/apis/sync-group.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { defineApi } from '../api-handler';
import { advertisedHost } from './advertised-host';

/** A single broker coordinates every group. */
export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  decode: decodeFindCoordinatorRequest,
  handle: async (_req, ctx, deps) => ({
    errorCode: ErrorCode.NONE,
    nodeId: deps.identity.nodeId,
    host: advertisedHost(ctx, deps),
    port: deps.identity.port,
  }),
  encode: (w, _version, res) => encodeFindCoordinatorResponse(w, res),
  errorCode: (res) => res.errorCode,
});

export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  decode: decodeJoinGroupRequest,
  handle: async (req, ctx, deps) => {
    const result = await deps.groups.join({
      ...req,
      clientId: ctx.clientId,
      // Kafka's client_host is Java's InetAddress.toString(): the IP after a slash.
      clientHost: `/${ctx.conn.remoteHost}`,
    });
    return { ...result, leader: result.leaderId };
  },
  encode: encodeJoinGroupResponse,
  errorCode: (res) => res.errorCode,
});

export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  decode: decodeSyncGroupRequest,
  handle: (req, _ctx, deps) => deps.groups.sync(req),
  encode: encodeSyncGroupResponse,
  errorCode: (res) => res.errorCode,
});

export const heartbeatApi = defineApi<HeartbeatRequest, number>({
  decode: decodeHeartbeatRequest,
  handle: async (req, _ctx, deps) => deps.groups.heartbeat(req),
  encode: encodeErrorOnlyResponse,
  errorCode: (code) => code,
});

export const leaveGroupApi = defineApi<LeaveGroupRequest, number>({
  decode: decodeLeaveGroupRequest,
  handle: async (req, _ctx, deps) => deps.groups.leave(req.groupId, req.memberId),
  encode: encodeErrorOnlyResponse,
  errorCode: (code) => code,
});
