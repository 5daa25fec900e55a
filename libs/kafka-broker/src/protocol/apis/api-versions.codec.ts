import { ByteWriter } from '../byte-writer';
import { ByteReader } from '../byte-reader';
import { VersionRange } from '../api-keys';

export type ApiVersionsRequest = Record<string, never>;

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: readonly Pick<VersionRange, 'apiKey' | 'minVersion' | 'maxVersion'>[];
}

/** ApiVersions v0 has an empty body. */
export function decodeApiVersionsRequest(r: ByteReader): ApiVersionsRequest {
  r.expectEnd();
  return {};
}

/**
 * Always the v0 layout: it is also the answer to a too-new ApiVersions request (error 35), which
 * clients parse as v0 before retrying with v0 (KIP-511).
 */
export function encodeApiVersionsResponse(w: ByteWriter, res: ApiVersionsResponse): void {
  w.int16(res.errorCode);
  w.array(res.apiKeys, (w, k) => w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion));
}
