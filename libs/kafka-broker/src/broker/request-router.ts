import { performance } from 'node:perf_hooks';

import { ApiKey, apiName, SUPPORTED_APIS, supportedRange } from '../protocol/api-keys';
import {
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
} from '../protocol/apis/api-versions.codec';
import { ByteWriter } from '../protocol/byte-writer';
import { ErrorCode } from '../protocol/error-codes';
import { UnsupportedApiError } from '../protocol/protocol.errors';
import { decodeRequestHeader } from '../protocol/request-header.codec';
import type { ConnectionInfo, RequestHandler, ResponseFrame } from '../server/kafka-connection';
import { defineApi, ErasedApiHandler } from './api-handler';
import type { BrokerDeps } from './broker-deps';
import { fetchApi } from './handlers/fetch.handler';
import { describeGroupsApi, listGroupsApi } from './handlers/group-admin.handlers';
import {
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  syncGroupApi,
} from './handlers/group.handlers';
import { listOffsetsApi } from './handlers/list-offsets.handler';
import { metadataApi } from './handlers/metadata.handler';
import { offsetCommitApi, offsetFetchApi } from './handlers/offsets.handlers';
import { produceApi } from './handlers/produce.handler';
import { createTopicsApi, deleteTopicsApi } from './handlers/topic-admin.handlers';

const ADVERTISED = [...SUPPORTED_APIS].sort((a, b) => a.apiKey - b.apiKey);

const apiVersionsApi = defineApi({
  decode: decodeApiVersionsRequest,
  handle: async () => ({ errorCode: ErrorCode.NONE, apiKeys: ADVERTISED }),
  encode: (w, _version, res) => encodeApiVersionsResponse(w, res),
  errorCode: (res) => res.errorCode,
});

const HANDLERS: Record<ApiKey, ErasedApiHandler> = {
  [ApiKey.Produce]: produceApi,
  [ApiKey.Fetch]: fetchApi,
  [ApiKey.ListOffsets]: listOffsetsApi,
  [ApiKey.Metadata]: metadataApi,
  [ApiKey.OffsetCommit]: offsetCommitApi,
  [ApiKey.OffsetFetch]: offsetFetchApi,
  [ApiKey.FindCoordinator]: findCoordinatorApi,
  [ApiKey.JoinGroup]: joinGroupApi,
  [ApiKey.Heartbeat]: heartbeatApi,
  [ApiKey.LeaveGroup]: leaveGroupApi,
  [ApiKey.SyncGroup]: syncGroupApi,
  [ApiKey.DescribeGroups]: describeGroupsApi,
  [ApiKey.ListGroups]: listGroupsApi,
  [ApiKey.ApiVersions]: apiVersionsApi,
  [ApiKey.CreateTopics]: createTopicsApi,
  [ApiKey.DeleteTopics]: deleteTopicsApi,
};

/**
 * Turns request frames into response frames: header, version gate, per-API handler, metrics.
 * Throwing (malformed frame, unknown api key, unsupported version) makes the connection close.
 */
export function createRequestRouter(deps: BrokerDeps): RequestHandler {
  return async (frame: Buffer, conn: ConnectionInfo): Promise<ResponseFrame | null> => {
    const started = performance.now();
    const { header, body } = decodeRequestHeader(frame);
    const range = supportedRange(header.apiKey);
    if (!range) throw new UnsupportedApiError(header.apiKey, header.apiVersion);
    const name = apiName(header.apiKey);
    if (header.apiVersion < range.minVersion || header.apiVersion > range.maxVersion) {
      // KIP-511: a client probing a newer ApiVersions gets error 35 and our ranges in the v0
      // layout, then retries at v0 on the same connection.
      if (header.apiKey !== ApiKey.ApiVersions || header.apiVersion < 0) {
        throw new UnsupportedApiError(header.apiKey, header.apiVersion);
      }
      const w = new ByteWriter();
      encodeApiVersionsResponse(w, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: ADVERTISED,
      });
      deps.metrics.requestCompleted(
        name,
        ErrorCode.UNSUPPORTED_VERSION,
        (performance.now() - started) / 1000,
      );
      return { correlationId: header.correlationId, body: w.toChunks() };
    }
    const handled = await HANDLERS[range.apiKey](
      body,
      { conn, clientId: header.clientId ?? '', apiVersion: header.apiVersion },
      deps,
    );
    deps.metrics.requestCompleted(name, handled.errorCode, (performance.now() - started) / 1000);
    return handled.body === null
      ? null
      : { correlationId: header.correlationId, body: handled.body };
  };
}
